"""The subject's rights over their own report: disputes, statements and fraud alerts.

Every test but the last two goes over HTTP through the gateway with the
edition policy in front, every subgraph in-process, with real signed tokens
for subjects, banks and a government body, over a copy of the seeded demo
database: what each requester would see, minus the socket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from strawberry.types.base import StrawberryObjectDefinition

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_demo_token
from creditgraph.bureau.marks import DISPUTABLE
from creditgraph.bureau.schema import schema as bureau_schema
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.public.schema import schema as public_schema
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import (
    EASTBRIDGE_BANK,
    HARBOUR_FINANCE,
    PERSONA,
    TAX_BUREAU,
    WESTLAKE_BANK,
)
from creditgraph.server import build_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.cli_helpers import assert_one_line_error, cli_env, run_cli
from tests.graphql_helpers import counting_pool, data_of, execute

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
DEBTOR = PERSONA["debtor"].identifier
ALERTED = PERSONA["fraud_alert"].identifier
GUARANTOR = PERSONA["guarantor"].identifier
NO_ENV: dict[str, str] = {}


class Graph:
    """The gateway's HTTP app, and tokens minted with its demo key."""

    def __init__(self, client: httpx.AsyncClient, home: Path) -> None:
        self.client = client
        self.home = home

    def subject(self, identifier: str) -> str:
        return mint_demo_token(self.home, "SUBJECT", identifier, None, env=NO_ENV)

    def bank(self, code: str) -> str:
        return mint_demo_token(self.home, "BANK", code, "loan officer 7", env=NO_ENV)

    def government(self, code: str) -> str:
        return mint_demo_token(self.home, "GOVERNMENT", code, "inspector", env=NO_ENV)

    async def ask(
        self, token: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
async def graph(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Graph]:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = Gateway(supergraph, InProcessTransport(schemas, writable_pool))
    policy = PolicyGateway(gateway, Policy.load(policy_path()), writable_pool)
    access = Access(TokenVerifier.from_settings(tmp_path, NO_ENV), policy)
    app = build_app(gateway, pool=writable_pool, access=access)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield Graph(client, tmp_path)


def error_codes(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [
        (item["extensions"]["code"], item["extensions"].get("argument"))
        for item in answer.get("errors", [])
    ]


async def counts(writable_pool: asyncpg.Pool) -> tuple[int, ...]:
    row = await writable_pool.fetchrow(
        """select (select count(*) from bureau.disputes),
                  (select count(*) from bureau.statements),
                  (select count(*) from bureau.fraud_alerts),
                  (select count(*) from bureau.fraud_alerts where lifted_at is not null)"""
    )
    assert row is not None
    return tuple(row)


MARK = "dispute { status filedAt respondBy }"
MY_ACCOUNTS = f"query {{ me {{ accounts {{ nodes {{ account {{ id {MARK} }} }} }} }} }}"
FILE = """
mutation($record: ID!, $reason: String!) {
  fileDispute(recordId: $record, reason: $reason) {
    id recordType recordId reason filedAt respondBy status
  }
}
"""


async def my_account_ids(graph: Graph, identifier: str) -> list[str]:
    answer = await graph.ask(graph.subject(identifier), MY_ACCOUNTS)
    return [node["account"]["id"] for node in answer["data"]["me"]["accounts"]["nodes"]]


async def joint_mortgage(graph: Graph) -> str:
    """The husband's account that is also on his wife's report."""
    (joint,) = set(await my_account_ids(graph, HUSBAND)) & set(await my_account_ids(graph, WIFE))
    return joint


def assert_twenty_days(mark: dict[str, Any]) -> None:
    filed = datetime.fromisoformat(mark["filedAt"])
    assert mark["status"] == "OPEN"
    assert date.fromisoformat(mark["respondBy"]) == filed.astimezone(UTC).date() + timedelta(20)


# -- fileDispute ----------------------------------------------------------------------


async def test_a_disputed_account_is_marked_on_both_spouses_reports_and_the_banks(
    graph: Graph,
) -> None:
    account = await joint_mortgage(graph)
    filed = await graph.ask(
        graph.subject(HUSBAND),
        FILE,
        {"record": f"CreditAccount:{account}", "reason": "I repaid March on time."},
    )
    assert "errors" not in filed, filed
    dispute = filed["data"]["fileDispute"]
    assert dispute["recordType"] == "CREDIT_ACCOUNT"
    assert dispute["recordId"] == f"CreditAccount:{account}"
    assert dispute["reason"] == "I repaid March on time."
    assert_twenty_days(dispute)

    for identifier in (HUSBAND, WIFE):
        answer = await graph.ask(graph.subject(identifier), MY_ACCOUNTS)
        marks = {
            node["account"]["id"]: node["account"]["dispute"]
            for node in answer["data"]["me"]["accounts"]["nodes"]
        }
        assert marks.pop(account) == {
            "status": "OPEN",
            "filedAt": dispute["filedAt"],
            "respondBy": dispute["respondBy"],
        }
        assert set(marks.values()) == {None}, "only the disputed account is marked"

    seen = await graph.ask(
        graph.bank(EASTBRIDGE_BANK.code),
        f"""query($id: String!) {{ subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {{
              accounts {{ nodes {{ account {{ id {MARK} }} }} }}
              disputes {{ recordId reason respondBy }} }} }}""",
        {"id": HUSBAND},
    )
    subject = seen["data"]["subject"]
    marked = {n["account"]["id"]: n["account"]["dispute"] for n in subject["accounts"]["nodes"]}
    assert marked[account] is not None
    assert_twenty_days(marked[account])
    # the bank sees that the account is disputed, not what the subject said
    assert subject["disputes"] == [
        {"recordId": f"CreditAccount:{account}", "reason": None, "respondBy": dispute["respondBy"]}
    ]
    assert ("FORBIDDEN_FIELD", None) in error_codes(seen)


PUBLIC_RECORDS = f"""
query($id: String!, $purpose: InquiryPurpose!) {{
  subject(identifier: $id, purpose: $purpose) {{
    enforcementCases {{ nodes {{ id {MARK} }} }}
    disputes {{ recordId respondBy reason }}
  }}
}}
"""


async def test_a_disputed_public_record_is_marked_in_every_edition(graph: Graph) -> None:
    debtor = graph.subject(DEBTOR)
    mine = await graph.ask(debtor, PUBLIC_RECORDS, {"id": DEBTOR, "purpose": "SELF"})
    (case,) = [node["id"] for node in mine["data"]["subject"]["enforcementCases"]["nodes"]]
    filed = await graph.ask(
        debtor, FILE, {"record": f"EnforcementCase:{case}", "reason": "The debt was settled."}
    )
    respond_by = filed["data"]["fileDispute"]["respondBy"]
    for bank, edition in ((WESTLAKE_BANK, "BANK"), (HARBOUR_FINANCE, "SOCIAL")):
        granted = await graph.ask(
            debtor,
            """mutation($bank: String!, $edition: Edition) { grantConsent(
                 grantee: $bank, purpose: LOAN_APPROVAL, edition: $edition) { id } }""",
            {"bank": bank.code, "edition": edition},
        )
        assert "errors" not in granted, granted

    readers = {
        "SUBJECT": (debtor, "SELF"),
        "BANK": (graph.bank(WESTLAKE_BANK.code), "LOAN_APPROVAL"),
        "SOCIAL": (graph.bank(HARBOUR_FINANCE.code), "LOAN_APPROVAL"),
        "GOVERNMENT": (graph.government(TAX_BUREAU.code), "PUBLIC_CREDIT_CHECK"),
    }
    for edition, (token, purpose) in readers.items():
        answer = await graph.ask(token, PUBLIC_RECORDS, {"id": DEBTOR, "purpose": purpose})
        subject = answer["data"]["subject"]
        (node,) = subject["enforcementCases"]["nodes"]
        assert node["id"] == case
        assert node["dispute"]["respondBy"] == respond_by, edition
        assert_twenty_days(node["dispute"])
        # the dispute itself: what was said only to the subject (it may name a lender), the
        # mark to banks and society, nothing to government
        if edition == "GOVERNMENT":
            assert subject["disputes"] is None
            assert ("FORBIDDEN_FIELD", None) in error_codes(answer)
        else:
            (listed,) = subject["disputes"]
            assert listed["recordId"] == f"EnforcementCase:{case}"
            said = listed["reason"]
            assert said == ("The debt was settled." if edition == "SUBJECT" else None)


async def test_records_of_every_kind_on_the_report_can_be_disputed(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    guarantee = await writable_pool.fetchval(
        """select g.id from bureau.guarantees g join bureau.subjects s on s.id = g.guarantor_id
           where s.identifier = $1 order by g.id limit 1""",
        GUARANTOR,
    )
    inquiry = await writable_pool.fetchval(
        "select id from gateway.inquiry_record where subject_identifier = $1 order by id limit 1",
        ALERTED,
    )
    restriction = await writable_pool.fetchval(
        """select id from public_records.consumption_restrictions
           where subject_identifier = $1 limit 1""",
        DEBTOR,
    )
    for identifier, record, shown in (
        (GUARANTOR, f"Guarantee:{guarantee}", f"me {{ guaranteesGiven {{ id {MARK} }} }}"),
        (ALERTED, f"Inquiry:{inquiry}", f"me {{ inquiries {{ nodes {{ id {MARK} }} }} }}"),
        (
            DEBTOR,
            f"ConsumptionRestriction:{restriction}",
            f"me {{ consumptionRestrictions {{ id {MARK} }} }}",
        ),
    ):
        token = graph.subject(identifier)
        filed = await graph.ask(token, FILE, {"record": record, "reason": "Not mine."})
        assert filed["data"]["fileDispute"]["recordId"] == record, filed
        answer = await graph.ask(token, f"query {{ {shown} }}")
        found = answer["data"]["me"]
        items = next(iter(found.values()))
        items = items["nodes"] if isinstance(items, dict) else items
        marked = {item["id"] for item in items if item["dispute"] is not None}
        assert marked == {record.split(":")[1]}


IDENTITY = f"""
query($id: String!, $purpose: InquiryPurpose!) {{
  subject(identifier: $id, purpose: $purpose) {{
    phones {{ id {MARK} }} addresses {{ id {MARK} }} employments {{ id {MARK} }}
    educations {{ id {MARK} }} marriages {{ id {MARK} }}
    spouse {{ phones {{ id {MARK} }} }}
  }}
}}
"""
IDENTITY_KINDS = {
    "phones": "Phone",
    "addresses": "Address",
    "employments": "Employment",
    "educations": "Education",
    "marriages": "Marriage",
}


async def test_the_identity_section_is_disputed_record_by_record(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    # a married person with a record of every identity kind, whose spouse has a phone
    found = await writable_pool.fetchrow(
        """select s.identifier, o.identifier from bureau.subjects s
           join bureau.marriage_partners mine on mine.subject_id = s.id
           join bureau.marriages m on m.id = mine.marriage_id and m.ended_on is null
           join bureau.marriage_partners theirs
             on theirs.marriage_id = m.id and theirs.subject_id <> s.id
           join bureau.subjects o on o.id = theirs.subject_id
           where exists (select from bureau.phones where subject_id = s.id)
             and exists (select from bureau.addresses where subject_id = s.id)
             and exists (select from bureau.employments where subject_id = s.id)
             and exists (select from bureau.educations where subject_id = s.id)
             and exists (select from bureau.phones where subject_id = o.id)
           order by s.id limit 1"""
    )
    assert found is not None, "the demo data has such a person"
    person, partner = found
    token = graph.subject(person)
    mine = (await graph.ask(token, IDENTITY, {"id": person, "purpose": "SELF"}))["data"]
    disputed = {}
    for field, type_name in IDENTITY_KINDS.items():
        first = mine["subject"][field][0]["id"]
        record = f"{type_name}:{first}"
        filed = await graph.ask(token, FILE, {"record": record, "reason": "That is not right."})
        assert filed["data"]["fileDispute"]["recordId"] == record, filed
        disputed[field] = first

    # the spouse's number is on this report, in the spouse section, but it is theirs to dispute
    (spouse_phone, *_) = mine["subject"]["spouse"]["phones"]
    refused = await graph.ask(
        token, FILE, {"record": f"Phone:{spouse_phone['id']}", "reason": "Not theirs."}
    )
    assert refused["data"] is None
    assert error_codes(refused) == [("BAD_USER_INPUT", "recordId")]

    # the marks show to the subject, and to a bank they authorise, on exactly those records
    granted = await graph.ask(
        token,
        """mutation($bank: String!) { grantConsent(grantee: $bank, purpose: LOAN_APPROVAL) {
             id } }""",
        {"bank": WESTLAKE_BANK.code},
    )
    assert "errors" not in granted, granted
    for reader, purpose in ((token, "SELF"), (graph.bank(WESTLAKE_BANK.code), "LOAN_APPROVAL")):
        answer = await graph.ask(reader, IDENTITY, {"id": person, "purpose": purpose})
        assert "errors" not in answer, answer
        subject = answer["data"]["subject"]
        for field, first in disputed.items():
            marked = {item["id"] for item in subject[field] if item["dispute"] is not None}
            assert marked == {first}, (purpose, field)
            assert_twenty_days(next(i for i in subject[field] if i["id"] == first)["dispute"])
        assert all(phone["dispute"] is None for phone in subject["spouse"]["phones"])

    # a marriage has two partners: the mark is on the spouse's own report too
    theirs = await graph.ask(graph.subject(partner), IDENTITY, {"id": partner, "purpose": "SELF"})
    marriages = theirs["data"]["subject"]["marriages"]
    assert [m["id"] for m in marriages if m["dispute"] is not None] == [disputed["marriages"]]


# -- the data source's answer (creditgraph disputes) ---------------------------------------

MY_DISPUTES = "query { me { disputes { id status outcome resolution resolvedAt } } }"


def disputes_listed(env: dict[str, str], *flags: str) -> list[dict[str, Any]]:
    result = run_cli("disputes", "list", "--json", *flags, env=env)
    assert result.returncode == 0, result.stderr
    documents: list[dict[str, Any]] = orjson.loads(result.stdout)
    return documents


async def account_marks(graph: Graph, token: str, account: str) -> dict[str, Any] | None:
    answer = await graph.ask(token, MY_ACCOUNTS)
    marks = {
        n["account"]["id"]: n["account"]["dispute"]
        for n in answer["data"]["me"]["accounts"]["nodes"]
    }
    found: dict[str, Any] | None = marks.pop(account)
    assert set(marks.values()) == {None}
    return found


async def test_a_kept_record_stays_marked_and_a_corrected_one_does_not(
    graph: Graph, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    account = await joint_mortgage(graph)
    record = f"CreditAccount:{account}"
    token = graph.subject(HUSBAND)
    filed = await graph.ask(token, FILE, {"record": record, "reason": "Wrong balance."})
    dispute = filed["data"]["fileDispute"]

    # the operator sees what waits for an answer, the subject's reason with it
    (waiting,) = disputes_listed(env, "--open")
    assert (waiting["id"], waiting["record"], waiting["reason"]) == (
        int(dispute["id"]),
        record,
        "Wrong balance.",
    )
    assert (waiting["subject_identifier"], waiting["status"], waiting["overdue"]) == (
        HUSBAND,
        "OPEN",
        False,
    )

    # the lender stands by its record: the mark stays, saying so, on both spouses' reports
    kept = run_cli(
        "disputes", "answer", dispute["id"], "--outcome", "KEPT_WITH_NOTE",
        "--resolution", "The balance matches the statement of 30 June.", env=env,
    )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    assert f"answered dispute {dispute['id']} on {record}: KEPT_WITH_NOTE" in kept.stdout
    for identifier in (HUSBAND, WIFE):
        assert await account_marks(graph, graph.subject(identifier), account) == {
            "status": "KEPT_WITH_NOTE",
            "filedAt": dispute["filedAt"],
            "respondBy": dispute["respondBy"],
        }
    (mine,) = (await graph.ask(token, MY_DISPUTES))["data"]["me"]["disputes"]
    assert (mine["status"], mine["outcome"], mine["resolution"]) == (
        "RESOLVED",
        "KEPT_WITH_NOTE",
        "The balance matches the statement of 30 June.",
    )
    assert mine["resolvedAt"] is not None
    assert disputes_listed(env, "--open") == []

    # disputed again: the open dispute's mark comes first, until the lender corrects the record
    again = await graph.ask(token, FILE, {"record": record, "reason": "It is still wrong."})
    second = again["data"]["fileDispute"]
    mark = await account_marks(graph, token, account)
    assert mark is not None
    assert (mark["status"], mark["filedAt"]) == ("OPEN", second["filedAt"])
    corrected = run_cli(
        "disputes", "answer", second["id"], "--outcome", "CORRECTED",
        "--resolution", "Balance corrected to 412,000.00.", env=env,
    )  # fmt: skip
    assert corrected.returncode == 0, corrected.stderr
    # the earlier answer kept the record; this one corrected it: the latest answer speaks
    assert await account_marks(graph, token, account) is None
    text = run_cli("disputes", "list", env=env).stdout
    assert f"{second['id']}  {record} on {HUSBAND}: RESOLVED CORRECTED" in text
    assert "answer: Balance corrected to 412,000.00." in text


async def test_a_dispute_past_its_deadline_is_listed_overdue(
    graph: Graph, writable_pool: asyncpg.Pool, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    account = await joint_mortgage(graph)
    filed = await graph.ask(
        graph.subject(HUSBAND), FILE, {"record": f"CreditAccount:{account}", "reason": "Late?"}
    )
    dispute_id = int(filed["data"]["fileDispute"]["id"])
    await writable_pool.execute(
        """update bureau.disputes set filed_at = filed_at - interval '21 days',
               respond_by = respond_by - 21 where id = $1""",
        dispute_id,
    )
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    (listed,) = disputes_listed(env, "--open")
    assert (listed["id"], listed["overdue"]) == (dispute_id, True)
    assert f"{dispute_id}  CreditAccount:{account} on {HUSBAND}: OPEN  OVERDUE" in (
        run_cli("disputes", "list", "--open", env=env).stdout
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (["999999", "--outcome", "CORRECTED", "--resolution", "done"], "no dispute 999999"),
        (["{answered}", "--outcome", "REMOVED", "--resolution", "again"], "is RESOLVED, not open"),
        (["{open}", "--outcome", "CORRECTED", "--resolution", "   "], "must say what"),
        (["{open}", "--outcome", "CORRECTED", "--resolution", "x" * 2001], "at most 2000"),
    ],
)
async def test_a_refused_answer_says_why_in_one_line_and_writes_nothing(
    graph: Graph,
    writable_pool: asyncpg.Pool,
    writable_seeded_database_url: str,
    tmp_path: Path,
    answer: list[str],
    message: str,
) -> None:
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    token = graph.subject(HUSBAND)
    account, other, *_ = await my_account_ids(graph, HUSBAND)
    ids = {}
    for name, record in (("answered", account), ("open", other)):
        filed = await graph.ask(token, FILE, {"record": f"CreditAccount:{record}", "reason": "?"})
        ids[name] = filed["data"]["fileDispute"]["id"]
    done = run_cli(
        "disputes", "answer", ids["answered"], "--outcome", "KEPT_WITH_NOTE",
        "--resolution", "verified", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    before = await writable_pool.fetch("select * from bureau.disputes order by id")
    result = run_cli("disputes", "answer", *(arg.format(**ids) for arg in answer), env=env)
    assert_one_line_error(result, message)
    assert await writable_pool.fetch("select * from bureau.disputes order by id") == before


def test_an_answer_is_one_of_the_outcomes_the_regulation_knows(tmp_path: Path) -> None:
    env = cli_env(home=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none")
    result = run_cli(
        "disputes", "answer", "1", "--outcome", "IGNORED", "--resolution", "x", env=env
    )
    assert result.returncode == 2
    assert "CORRECTED" in result.stderr
    assert "KEPT_WITH_NOTE" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_second_open_dispute_on_a_record_is_refused(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    record = f"CreditAccount:{await joint_mortgage(graph)}"
    token = graph.subject(HUSBAND)
    await graph.ask(token, FILE, {"record": record, "reason": "Wrong balance."})
    before = await counts(writable_pool)
    again = await graph.ask(token, FILE, {"record": record, "reason": "Wrong again."})
    assert again["data"] is None
    assert error_codes(again) == [("BAD_USER_INPUT", "recordId")]
    assert "already" in again["errors"][0]["message"]
    assert await counts(writable_pool) == before
    # his wife is a party to the same loan and has her own right to dispute it
    hers = await graph.ask(graph.subject(WIFE), FILE, {"record": record, "reason": "Mine too."})
    assert hers["data"]["fileDispute"]["status"] == "OPEN"


@pytest.mark.parametrize(
    ("record", "reason", "argument"),
    [
        ("other subject's account", "Not mine.", "recordId"),
        ("CreditAccount:999999999", "Not mine.", "recordId"),
        ("EnforcementCase:999999999", "Not mine.", "recordId"),
        ("42", "Not mine.", "recordId"),
        ("Subject:1", "Not mine.", "recordId"),
        ("CreditAccount:abc", "Not mine.", "recordId"),
        ("own account", "x" * 2001, "reason"),
        ("own account", "   ", "reason"),
    ],
)
async def test_a_bad_dispute_is_refused_naming_the_argument_and_nothing_is_written(
    graph: Graph, writable_pool: asyncpg.Pool, record: str, reason: str, argument: str
) -> None:
    if record == "other subject's account":
        record = f"CreditAccount:{(await my_account_ids(graph, DEBTOR))[0]}"
    elif record == "own account":
        record = f"CreditAccount:{await joint_mortgage(graph)}"
    before = await counts(writable_pool)
    answer = await graph.ask(graph.subject(HUSBAND), FILE, {"record": record, "reason": reason})
    assert answer["data"] is None
    assert error_codes(answer) == [("BAD_USER_INPUT", argument)]
    assert await counts(writable_pool) == before


@pytest.mark.parametrize(
    ("mutation", "variables"),
    [
        (FILE, {"record": "CreditAccount:1", "reason": "Not mine."}),
        ('mutation { addStatement(text: "I am a bank.") { id } }', {}),
        ('mutation { placeFraudAlert(contactPhone: "13812345678") { id } }', {}),
        ("mutation { liftFraudAlert(id: 1) { id } }", {}),
    ],
)
async def test_institutions_cannot_act_for_a_subject(
    graph: Graph, writable_pool: asyncpg.Pool, mutation: str, variables: dict[str, Any]
) -> None:
    before = await counts(writable_pool)
    for token in (graph.bank(EASTBRIDGE_BANK.code), graph.government(TAX_BUREAU.code)):
        answer = await graph.ask(token, mutation, variables)
        assert answer["data"] is None
        assert [code for code, _ in error_codes(answer)] == ["FORBIDDEN_FIELD"]
    assert await counts(writable_pool) == before


# -- addStatement ---------------------------------------------------------------------

STATEMENT = "mutation($text: String!) { addStatement(text: $text) { id text addedAt withdrawnAt } }"


async def test_a_statement_is_added_and_a_bank_reads_it(graph: Graph) -> None:
    text = "本人声明: the card in arrears was opened with my stolen identity card."
    added = await graph.ask(graph.subject(HUSBAND), STATEMENT, {"text": text})
    statement = added["data"]["addStatement"]
    assert statement["text"] == text
    assert statement["withdrawnAt"] is None
    seen = await graph.ask(
        graph.bank(EASTBRIDGE_BANK.code),
        """query($id: String!) { subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
             statements { id text } } }""",
        {"id": HUSBAND},
    )
    assert {"id": statement["id"], "text": text} in seen["data"]["subject"]["statements"]


@pytest.mark.parametrize("text", ["", "  \n ", "x" * 2001])
async def test_a_statement_must_have_1_to_2000_characters(
    graph: Graph, writable_pool: asyncpg.Pool, text: str
) -> None:
    before = await counts(writable_pool)
    answer = await graph.ask(graph.subject(HUSBAND), STATEMENT, {"text": text})
    assert answer["data"] is None
    assert error_codes(answer) == [("BAD_USER_INPUT", "text")]
    assert await counts(writable_pool) == before


async def test_a_statement_of_2000_characters_is_taken(graph: Graph) -> None:
    answer = await graph.ask(graph.subject(HUSBAND), STATEMENT, {"text": "字" * 2000})
    assert len(answer["data"]["addStatement"]["text"]) == 2000


# -- fraud alerts ---------------------------------------------------------------------

PLACE = """
mutation($phone: String!, $note: String) {
  placeFraudAlert(contactPhone: $phone, note: $note) {
    id kind contactPhone note placedAt expiresAt liftedAt active
  }
}
"""
LIFT = "mutation($id: ID!) { liftFraudAlert(id: $id) { id liftedAt active contactPhone } }"
BANK_ALERTS = """
query($id: String!) { subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
  fraudAlerts { id contactPhone note active } } }
"""


async def test_a_fraud_alert_lasts_a_year_and_the_bank_sees_the_phone(graph: Graph) -> None:
    placed = await graph.ask(
        graph.subject(HUSBAND), PLACE, {"phone": "13912345678", "note": "Lost my wallet."}
    )
    alert = placed["data"]["placeFraudAlert"]
    assert alert["kind"] == "INITIAL"
    assert alert["active"] is True
    assert alert["liftedAt"] is None
    placed_at = datetime.fromisoformat(alert["placedAt"])
    expires_at = datetime.fromisoformat(alert["expiresAt"])
    assert expires_at.date() == placed_at.date().replace(year=placed_at.year + 1)
    seen = await graph.ask(graph.bank(EASTBRIDGE_BANK.code), BANK_ALERTS, {"id": HUSBAND})
    assert seen["data"]["subject"]["fraudAlerts"] == [
        {
            "id": alert["id"],
            "contactPhone": "13912345678",
            "note": "Lost my wallet.",
            "active": True,
        }
    ]


async def test_one_active_alert_at_a_time_until_it_is_lifted(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    token = graph.subject(HUSBAND)
    first = (await graph.ask(token, PLACE, {"phone": "0571-87654321"}))["data"]["placeFraudAlert"]
    before = await counts(writable_pool)
    second = await graph.ask(token, PLACE, {"phone": "13912345678"})
    assert second["data"] is None
    assert [code for code, _ in error_codes(second)] == ["BAD_USER_INPUT"]
    assert first["id"] in second["errors"][0]["message"]
    assert await counts(writable_pool) == before

    lifted = await graph.ask(token, LIFT, {"id": first["id"]})
    assert lifted["data"]["liftFraudAlert"]["active"] is False
    assert lifted["data"]["liftFraudAlert"]["liftedAt"] is not None
    again = await graph.ask(token, LIFT, {"id": first["id"]})
    assert error_codes(again) == [("BAD_USER_INPUT", "id")]
    replaced = await graph.ask(token, PLACE, {"phone": "13912345678"})
    assert replaced["data"]["placeFraudAlert"]["active"] is True
    seen = await graph.ask(graph.bank(EASTBRIDGE_BANK.code), BANK_ALERTS, {"id": HUSBAND})
    active = [a["contactPhone"] for a in seen["data"]["subject"]["fraudAlerts"] if a["active"]]
    assert active == ["13912345678"]


@pytest.mark.parametrize(
    ("phone", "note", "argument"),
    [
        ("12345", None, "contactPhone"),
        ("+86 139 1234 5678", None, "contactPhone"),
        ("1391234567", None, "contactPhone"),
        ("571-87654321", None, "contactPhone"),
        ("13912345678", "n" * 501, "note"),
    ],
)
async def test_a_bad_fraud_alert_is_refused_naming_the_argument(
    graph: Graph, writable_pool: asyncpg.Pool, phone: str, note: str | None, argument: str
) -> None:
    before = await counts(writable_pool)
    answer = await graph.ask(graph.subject(HUSBAND), PLACE, {"phone": phone, "note": note})
    assert answer["data"] is None
    assert error_codes(answer) == [("BAD_USER_INPUT", argument)]
    assert await counts(writable_pool) == before


async def test_nobody_lifts_someone_elses_alert(graph: Graph, writable_pool: asyncpg.Pool) -> None:
    theirs = await writable_pool.fetchval(
        """select a.id from bureau.fraud_alerts a join bureau.subjects s on s.id = a.subject_id
           where s.identifier = $1 and a.lifted_at is null""",
        ALERTED,
    )
    assert theirs is not None, "the fraud-alert persona has an active alert"
    for alert in (str(theirs), "999999999", "not-an-id"):
        answer = await graph.ask(graph.subject(HUSBAND), LIFT, {"id": alert})
        assert answer["data"] is None
        assert error_codes(answer) == [("BAD_USER_INPUT", "id")]
    assert (
        await writable_pool.fetchval(
            "select lifted_at from bureau.fraud_alerts where id = $1", theirs
        )
        is None
    )


# -- the subgraph on its own --------------------------------------------------------------


@pytest.mark.parametrize(("type_name", "kind"), sorted(DISPUTABLE.items()))
async def test_every_disputable_type_shows_a_mark_and_is_a_kind_disputes_hold(
    writable_pool: asyncpg.Pool, type_name: str, kind: str
) -> None:
    (served,) = [
        found
        for schema in (bureau_schema, public_schema)
        if isinstance(found := schema.get_type_by_name(type_name), StrawberryObjectDefinition)
    ]
    assert "dispute" in {field.python_name for field in served.fields}
    subject = await writable_pool.fetchval("select min(id) from bureau.subjects")
    await writable_pool.execute(
        """insert into bureau.disputes (subject_id, record_type, record_id, reason, respond_by)
           values ($1, $2, '1', 'the kind is one the table holds', current_date + 20)""",
        subject,
        kind,
    )


async def test_the_subgraph_refuses_a_write_with_no_requester(writable_pool: asyncpg.Pool) -> None:
    before = await counts(writable_pool)
    data, errors = await execute(
        bureau_schema, writable_pool, 'mutation { addStatement(text: "Who am I?") { id } }'
    )
    assert data is None
    assert [error["extensions"]["code"] for error in errors] == ["UNAUTHENTICATED"]
    assert await counts(writable_pool) == before


MARKS = f"""
query($id: String!, $first: Int!) {{ subjects(identifiers: [$id]) {{
  accounts(first: $first) {{ nodes {{ account {{ {MARK} guarantees {{ {MARK} }} }} }} }}
  guaranteesGiven {{ {MARK} }}
  inquiries(first: $first) {{ nodes {{ {MARK} }} }}
}} }}
"""
PUBLIC_MARKS = f"""
query($reps: [_Any!]!) {{ _entities(representations: $reps) {{ ... on Subject {{
  enforcementCases {{ nodes {{ {MARK} }} }} dishonestListings {{ {MARK} }}
  consumptionRestrictions {{ {MARK} }} civilJudgments {{ {MARK} }}
  administrativeActions {{ {MARK} }} taxArrears {{ {MARK} }} utilityArrears {{ {MARK} }}
  socialInsurance {{ {MARK} }} housingFund {{ {MARK} }} licences {{ {MARK} }}
  listEntries {{ {MARK} }}
}} }} }}
"""


async def test_marks_cost_one_statement_however_many_records(
    writable_seeded_database_url: str,
) -> None:
    async with counting_pool(writable_seeded_database_url) as (writable_pool, log):
        # every account and every public record of every subject is under dispute
        await writable_pool.execute(
            """insert into bureau.disputes (subject_id, record_type, record_id, reason, respond_by)
               select s.id, r.record_type, r.record_id::text, 'seen wrong', current_date + 20
               from public_records.record_register r
               join bureau.subjects s on s.identifier = r.subject_identifier
               union all
               select subject_id, 'CREDIT_ACCOUNT', account_id::text, 'seen wrong',
                      current_date + 20
               from bureau.account_parties
               on conflict do nothing"""
        )
        busiest = await writable_pool.fetchval(
            """select s.identifier from bureau.subjects s
               join bureau.account_parties p on p.subject_id = s.id
               group by s.identifier order by count(*) desc, s.identifier limit 1"""
        )
        identifiers = [
            row[0]
            for row in await writable_pool.fetch(
                "select identifier from bureau.subjects order by id limit 100"
            )
        ]

        async def statements(
            schema: Any, query: str, variables: dict[str, Any]
        ) -> tuple[list[str], list[str]]:
            """The record statements, sorted, and the mark statements of one run.

            The marks loader's batch goes out in one wave or in several, as the record
            loaders' answers happen to come back, so only the records' statements are
            compared exactly; the marks are bounded by the places the query asks for them.
            """
            await data_of(schema, writable_pool, query, variables)  # warm: codecs, statements
            log.clear()
            await data_of(schema, writable_pool, query, variables)
            marks = [sql for sql in log.statements if "bureau.dispute_marks" in sql]
            return sorted(sql for sql in log.statements if sql not in marks), marks

        few = await statements(bureau_schema, MARKS, {"id": busiest, "first": 1})
        many = await statements(bureau_schema, MARKS, {"id": busiest, "first": 100})
        accounts = await data_of(bureau_schema, writable_pool, MARKS, {"id": busiest, "first": 100})

        def reps(count: int) -> dict[str, Any]:
            chosen = identifiers[:count]
            return {"reps": [{"__typename": "Subject", "identifier": i} for i in chosen]}

        one = await statements(public_schema, PUBLIC_MARKS, reps(1))
        hundred = await statements(public_schema, PUBLIC_MARKS, reps(100))
        records = await data_of(public_schema, writable_pool, PUBLIC_MARKS, reps(100))
    # marks are asked for in four places: accounts, their guarantees, guarantees given
    # and inquiries; their number does not grow with the records
    assert many[0] == few[0]
    assert 1 <= len(many[1]) <= 4
    assert 1 <= len(few[1]) <= 4
    nodes = accounts["subjects"][0]["accounts"]["nodes"]
    assert len(nodes) >= 4
    assert all(node["account"]["dispute"] is not None for node in nodes)
    # a statement per kind of record; the marks of all the records of a kind come in one
    # more statement at most (how the loaders' waves fall depends on timing)
    kinds, marks = hundred
    assert kinds == one[0]
    assert len(kinds) == 11
    assert 1 <= len(marks) <= 11
    marked = [
        record["dispute"]
        for subject in records["_entities"]
        for kind, found in subject.items()
        for record in (found["nodes"] if kind == "enforcementCases" else found)
    ]
    assert len(marked) > 10 * len(marks)
    assert all(mark is not None for mark in marked)
