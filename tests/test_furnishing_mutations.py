"""Furnishing one record by GraphQL mutation, over real HTTP (uvicorn on a socket).

A bank, a court and an agency each report an event as it happens with their furnishing
token; what they send passes the batch's own checks, keys and corrections, commits with its
audit entry, and shows in the subject's next report.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from creditgraph.furnishing.kinds import record_kinds
from creditgraph.resources import operations_root
from creditgraph.seed.personas import EASTBRIDGE_BANK, TAX_BUREAU, WESTLAKE_BANK, XIHU_COURT
from creditgraph.server import build_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from tests.applications import authorised_application
from tests.cli_helpers import cli_env, free_port, run_cli, start_cli, stop_cli, wait_for_http
from tests.http_app import (
    bearer,
    furnisher,
    furnishing_access,
    in_process_gateway,
    uvicorn_serving,
)

NEW_PERSON = "110101199003070011"
CARD = "CC-2026-7001"


def trusted(name: str) -> str:
    """One of the trusted operations (graphql/operations), as a furnisher's client sends it."""
    return (operations_root() / f"{name}.graphql").read_text(encoding="utf-8")


FURNISH_ACCOUNT = trusted("furnish_account")
FURNISH_STATEMENT = trusted("furnish_statement")
FURNISH_CASE = trusted("furnish_enforcement_case")
FURNISH_ARREAR = trusted("furnish_tax_arrear")

CARD_ACCOUNT = {
    "accountNumber": CARD,
    "accountType": "CREDIT_CARD",
    "creditLimit": "50000.00",
    "balance": "1280.55",
    "openedOn": "2026-03-02",
    "status": "NORMAL",
    "reportedOn": "2026-10-31",
    "borrowerIdentifier": NEW_PERSON,
    "borrowerName": "Zhao Lei",
}


async def card_application(pool: asyncpg.Pool) -> None:
    """The card's application authorised Eastbridge the day it opened: what lets the bank
    manage it (post-loan management) and read what each edition shows of it."""
    await authorised_application(
        pool, NEW_PERSON, EASTBRIDGE_BANK.code, "CREDIT_CARD_APPROVAL", date(2026, 3, 2)
    )


SEPTEMBER = {
    "accountNumber": CARD,
    "period": "2026-09",
    "status": "N",
    "amountDue": "100.00",
    "amountPaid": "100.00",
    "overdueAmount": "0",
    "balance": "1280.55",
}


def example(kind: str) -> dict[str, Any]:
    """A published example of the kind, as a mutation's record (no `kind`: the mutation says)."""
    found = dict(record_kinds()[kind].schema["examples"][0])
    del found["kind"]
    return found


@asynccontextmanager
async def gateway_client(home: Path, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway `creditgraph up` serves (furnishing tokens accepted)."""
    gateway = in_process_gateway(pool)
    access = furnishing_access(gateway, pool, home)
    app = build_app(gateway, pool=pool, access=access)
    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def send(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, record: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": {"record": record}}, headers=headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def snapshot(pool: asyncpg.Pool) -> list[list[tuple[Any, ...]]]:
    """Every record a furnisher can write, and the furnishing's own books."""
    tables = [
        "bureau.subjects",
        "bureau.credit_accounts",
        "bureau.account_parties",
        "bureau.repayments",
        "public_records.enforcement_cases",
        "public_records.tax_arrears",
        "furnishing.submissions",
        "furnishing.record_keys",
        "furnishing.corrections",
        # when the subject was told, and the submission that said so
        "furnishing.negative_notices",
    ]
    async with pool.acquire() as conn:
        return [
            [tuple(row) for row in await conn.fetch(f"select * from {table} order by 1, 2, 3")]
            for table in tables
        ]


async def test_a_bank_a_court_and_an_agency_furnish_by_mutation(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    court = furnisher(tmp_path, XIHU_COURT.code)
    agency = furnisher(tmp_path, TAX_BUREAU.code)
    async with gateway_client(tmp_path, writable_pool) as client:
        # the bank opens a card for a person the bureau did not know, and reports a month
        answer = await send(client, bank, FURNISH_ACCOUNT, CARD_ACCOUNT)
        assert "errors" not in answer, answer
        opened = answer["data"]["furnishAccount"]
        assert (opened["kind"], opened["key"], opened["outcome"]) == ("ACCOUNT", CARD, "ACCEPTED")
        answer = await send(client, bank, FURNISH_STATEMENT, SEPTEMBER)
        assert answer["data"]["furnishStatement"]["outcome"] == "ACCEPTED"
        assert answer["data"]["furnishStatement"]["period"] == "2026-09"

        # the court its enforcement case, the tax bureau its arrear
        answer = await send(client, court, FURNISH_CASE, example("ENFORCEMENT_CASE"))
        assert answer["data"]["furnishEnforcementCase"]["outcome"] == "ACCEPTED", answer
        answer = await send(client, agency, FURNISH_ARREAR, example("TAX_ARREAR"))
        assert answer["data"]["furnishTaxArrear"]["outcome"] == "ACCEPTED", answer

        # the subject's next report shows the account, its month and the case
        query = """{ me {
            accounts { nodes { account { accountNumber repayments { nodes { month status } } } } }
            enforcementCases { nodes { caseNumber status } } } }"""
        report = await client.post(
            "/graphql", json={"query": query}, headers=bearer(tmp_path, "SUBJECT", NEW_PERSON)
        )
        assert "errors" not in report.json(), report.json()
        me = report.json()["data"]["me"]
        (node,) = me["accounts"]["nodes"]
        assert node["account"]["accountNumber"] == CARD
        assert node["account"]["repayments"]["nodes"] == [{"month": "2026-09-01", "status": "N"}]
        assert [case["status"] for case in me["enforcementCases"]["nodes"]] == ["IN_PROGRESS"]

        # each write is in the audit log as the furnisher's request, and its submission
        # names that request
        async with writable_pool.acquire() as conn:
            entries = await conn.fetch(
                "select role, requester, operator, operation, decision, request_id "
                "from gateway.audit_log where role = 'FURNISHER' order by seq"
            )
            submissions = await conn.fetch(
                "select furnisher, operator, request_id, channel from furnishing.submissions "
                "order by id"
            )
        assert [(e["requester"], e["operation"], e["decision"]) for e in entries] == [
            (EASTBRIDGE_BANK.code, "FurnishAccount", "ALLOWED"),
            (EASTBRIDGE_BANK.code, "FurnishStatement", "ALLOWED"),
            (XIHU_COURT.code, "FurnishEnforcementCase", "ALLOWED"),
            (TAX_BUREAU.code, "FurnishTaxArrear", "ALLOWED"),
        ]
        assert [tuple(row) for row in submissions] == [
            (e["requester"], "uploader", e["request_id"], "MUTATION") for e in entries
        ]
        assert {e["operator"] for e in entries} == {"uploader"}


async def test_a_replay_changes_nothing_and_a_correction_shows_its_history(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    court = furnisher(tmp_path, XIHU_COURT.code)
    async with gateway_client(tmp_path, writable_pool) as client:
        await send(client, bank, FURNISH_ACCOUNT, CARD_ACCOUNT)
        await send(client, court, FURNISH_CASE, example("ENFORCEMENT_CASE"))
        before = await snapshot(writable_pool)

        # sent again: unchanged, and no record, key or correction is written
        answer = await send(client, bank, FURNISH_ACCOUNT, CARD_ACCOUNT)
        assert answer["data"]["furnishAccount"]["outcome"] == "UNCHANGED"
        answer = await send(client, court, FURNISH_CASE, example("ENFORCEMENT_CASE"))
        assert answer["data"]["furnishEnforcementCase"]["outcome"] == "UNCHANGED"
        after = await snapshot(writable_pool)
        submissions = 6
        assert [t for i, t in enumerate(after) if i != submissions] == [
            t for i, t in enumerate(before) if i != submissions
        ]
        # (the submissions book counts the replays, and only that)
        assert len(after[submissions]) == len(before[submissions]) + 2

        # a different balance under the same account number is a correction
        answer = await send(client, bank, FURNISH_ACCOUNT, {**CARD_ACCOUNT, "balance": "980.00"})
        corrected = answer["data"]["furnishAccount"]
        assert corrected["outcome"] == "CORRECTED"
        assert corrected["changes"] == [
            {"field": "balance", "before": "1280.55", "after": "980.00"}
        ]
        concluded = {**example("ENFORCEMENT_CASE"), "status": "CONCLUDED", "closedOn": "2026-11-30"}
        answer = await send(client, court, FURNISH_CASE, concluded)
        assert answer["data"]["furnishEnforcementCase"]["changes"] == [
            {"field": "closedOn", "before": None, "after": "2026-11-30"},
            {"field": "status", "before": "IN_PROGRESS", "after": "CONCLUDED"},
        ]

        # the subject reads both corrections: who made them, when, what changed
        query = """{ me { corrections { recordId period furnisher furnisherName correctedAt
            changes { field before after } } accounts { nodes { account { id balance } } } } }"""
        report = await client.post(
            "/graphql", json={"query": query}, headers=bearer(tmp_path, "SUBJECT", NEW_PERSON)
        )
        me = report.json()["data"]["me"]
        (node,) = me["accounts"]["nodes"]
        assert node["account"]["balance"] == "980.00"
        newest, oldest = me["corrections"]
        assert newest["recordId"].startswith("EnforcementCase:")
        assert newest["furnisher"] == XIHU_COURT.code
        assert oldest == {
            "recordId": f"CreditAccount:{node['account']['id']}",
            "period": None,
            "furnisher": EASTBRIDGE_BANK.code,
            "furnisherName": EASTBRIDGE_BANK.name,
            "correctedAt": oldest["correctedAt"],
            "changes": [{"field": "balance", "before": "1280.55", "after": "980.00"}],
        }
        # a lender does not read the subject's correction history
        await card_application(writable_pool)
        bank_reader = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 7")
        report = await client.post(
            "/graphql",
            json={
                "query": f'{{ subject(identifier: "{NEW_PERSON}", purpose: POST_LOAN_MANAGEMENT) '
                "{ corrections { recordId } } }"
            },
            headers=bank_reader,
        )
        assert report.json()["data"]["subject"]["corrections"] is None
        assert {e["extensions"]["code"] for e in report.json()["errors"]} == {"FORBIDDEN_FIELD"}


async def test_the_subject_sees_when_each_furnisher_told_them_of_negative_information(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    court = furnisher(tmp_path, XIHU_COURT.code)
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    query = "{ me { negativeNotices { recordId period notifiedOn furnisher furnisherName } } }"
    subject = bearer(tmp_path, "SUBJECT", NEW_PERSON)
    async with gateway_client(tmp_path, writable_pool) as client:
        await send(client, court, FURNISH_CASE, example("ENFORCEMENT_CASE"))
        await send(client, bank, FURNISH_ACCOUNT, CARD_ACCOUNT)  # not negative: no notice

        cases = "{ me { enforcementCases { nodes { id } } } }"
        report = await client.post("/graphql", json={"query": cases}, headers=subject)
        (case,) = report.json()["data"]["me"]["enforcementCases"]["nodes"]
        report = await client.post("/graphql", json={"query": query}, headers=subject)
        assert "errors" not in report.json(), report.json()
        assert report.json()["data"]["me"]["negativeNotices"] == [
            {
                "recordId": f"EnforcementCase:{case['id']}",
                "period": None,
                "notifiedOn": example("ENFORCEMENT_CASE")["subjectNotifiedOn"],
                "furnisher": XIHU_COURT.code,
                "furnisherName": XIHU_COURT.name,
            }
        ]
        # a lender does not read them: they name whoever else reported the subject late
        await card_application(writable_pool)
        bank_reader = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 7")
        report = await client.post(
            "/graphql",
            json={
                "query": f'{{ subject(identifier: "{NEW_PERSON}", purpose: POST_LOAN_MANAGEMENT) '
                "{ negativeNotices { recordId notifiedOn } } }"
            },
            headers=bank_reader,
        )
        assert report.json()["data"]["subject"]["negativeNotices"] is None
        assert {e["extensions"]["code"] for e in report.json()["errors"]} == {"FORBIDDEN_FIELD"}


FILE_DISPUTE = """mutation($record: ID!, $reason: String!) {
  fileDispute(recordId: $record, reason: $reason) { id } }"""
MY_DISPUTES = """{ me { disputes { id outcome resolution
  correction { id recordId furnisherName changes { field before after } } } } }"""


async def test_a_dispute_answered_corrected_links_to_the_correction_that_answered_it(
    tmp_path: Path, writable_seeded_database_url: str, writable_pool: asyncpg.Pool
) -> None:
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    court = furnisher(tmp_path, XIHU_COURT.code)
    subject = bearer(tmp_path, "SUBJECT", NEW_PERSON)
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    async with gateway_client(tmp_path, writable_pool) as client:
        await send(client, bank, FURNISH_ACCOUNT, CARD_ACCOUNT)
        await send(client, court, FURNISH_CASE, example("ENFORCEMENT_CASE"))
        mine = "{ me { accounts { nodes { account { id } } } } }"
        report = await client.post("/graphql", json={"query": mine}, headers=subject)
        (node,) = report.json()["data"]["me"]["accounts"]["nodes"]
        record = f"CreditAccount:{node['account']['id']}"
        filed = await client.post(
            "/graphql",
            json={
                "query": FILE_DISPUTE,
                "variables": {"record": record, "reason": "I paid it down to 980.00."},
            },
            headers=subject,
        )
        dispute = filed.json()["data"]["fileDispute"]["id"]

        # the bank corrects the balance, and the court its case (not the disputed record)
        await send(client, bank, FURNISH_ACCOUNT, {**CARD_ACCOUNT, "balance": "980.00"})
        concluded = {**example("ENFORCEMENT_CASE"), "status": "CONCLUDED", "closedOn": "2026-11-30"}
        await send(client, court, FURNISH_CASE, concluded)
        query = "{ me { corrections { id recordId } } }"
        report = await client.post("/graphql", json={"query": query}, headers=subject)
        by_record = {c["recordId"]: c["id"] for c in report.json()["data"]["me"]["corrections"]}
        balance, case = by_record[record], next(i for r, i in by_record.items() if r != record)

        # an answer naming a correction of another record, none, or with another outcome is
        # refused with the reason, and answers nothing
        for arguments, reason in (
            (["--outcome", "CORRECTED", "--correction", case], "is of EnforcementCase:"),
            (["--outcome", "CORRECTED", "--correction", "999999"], "no correction 999999"),
            (["--outcome", "REMOVED", "--correction", balance], "only a CORRECTED answer"),
        ):
            refused = run_cli(
                "disputes", "answer", dispute, *arguments, "--resolution", "Fixed.", env=env
            )
            assert refused.returncode != 0
            assert reason in refused.stderr
            assert "Traceback" not in refused.stderr
        report = await client.post("/graphql", json={"query": MY_DISPUTES}, headers=subject)
        assert report.json()["data"]["me"]["disputes"] == [
            {"id": dispute, "outcome": None, "resolution": None, "correction": None}
        ]

        answered = run_cli(
            "disputes", "answer", dispute, "--outcome", "CORRECTED", "--correction", balance,
            "--resolution", "The balance was corrected to 980.00.", env=env,
        )  # fmt: skip
        assert answered.returncode == 0, answered.stderr
        assert f"CORRECTED by correction {balance}" in answered.stdout

        # the subject reads the answer and, beside it, the correction with what changed
        report = await client.post("/graphql", json={"query": MY_DISPUTES}, headers=subject)
        assert report.json()["data"]["me"]["disputes"] == [
            {
                "id": dispute,
                "outcome": "CORRECTED",
                "resolution": "The balance was corrected to 980.00.",
                "correction": {
                    "id": balance,
                    "recordId": record,
                    "furnisherName": EASTBRIDGE_BANK.name,
                    "changes": [{"field": "balance", "before": "1280.55", "after": "980.00"}],
                },
            }
        ]
        # the lender sees that the dispute was answered, not the correction: the subject's
        await card_application(writable_pool)
        bank_reader = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 7")
        report = await client.post(
            "/graphql",
            json={
                "query": f'{{ subject(identifier: "{NEW_PERSON}", purpose: POST_LOAN_MANAGEMENT) '
                "{ disputes { outcome correction { id } } } }"
            },
            headers=bank_reader,
        )
        assert report.json()["data"]["subject"]["disputes"] == [
            {"outcome": "CORRECTED", "correction": None}
        ]
        assert {e["extensions"]["code"] for e in report.json()["errors"]} == {"FORBIDDEN_FIELD"}


async def test_another_s_record_and_bad_input_are_refused_naming_the_field(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    async with gateway_client(tmp_path, writable_pool) as client:
        await send(client, bank, FURNISH_ACCOUNT, CARD_ACCOUNT)
        before = await snapshot(writable_pool)

        # another bank reports a month of Eastbridge's card
        other = furnisher(tmp_path, WESTLAKE_BANK.code)
        answer = await send(client, other, FURNISH_STATEMENT, SEPTEMBER)
        assert answer["data"] is None
        (problem,) = answer["errors"]
        assert problem["extensions"]["code"] == "BAD_USER_INPUT"
        assert problem["extensions"]["field"] == "accountNumber"
        assert problem["message"] == (
            "record.accountNumber: no account of yours has this number: report its ACCOUNT first"
        )
        # a court reports no accounts: refused, naming the record
        court = furnisher(tmp_path, XIHU_COURT.code)
        answer = await send(
            client, court, FURNISH_ACCOUNT, {**CARD_ACCOUNT, "accountNumber": "CC-9"}
        )
        assert answer["errors"][0]["message"] == (
            "record.kind: ACCOUNT records are not a court's to furnish"
        )
        # bad values: each field named, with its reason, and nothing of the record kept
        bad = {**SEPTEMBER, "amountDue": "100.005", "period": "2026-13"}
        answer = await send(client, bank, FURNISH_STATEMENT, bad)
        (problem,) = answer["errors"]
        assert problem["extensions"]["code"] == "BAD_USER_INPUT"
        assert problem["extensions"]["problems"] == [
            {
                "field": "amountDue",
                "reason": 'not an amount: digits, at most 2 decimals, no sign ("1280.55")',
            },
            {"field": "period", "reason": "not a month (YYYY-MM)"},
        ]
        assert await snapshot(writable_pool) == before

        # only a furnisher's token furnishes, and a furnisher's token reads nothing
        reader = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 7")
        answer = await send(client, reader, FURNISH_STATEMENT, SEPTEMBER)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN_FIELD"
        response = await client.post("/graphql", json={"query": "{ me { name } }"}, headers=bank)
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN_FIELD"
        assert await snapshot(writable_pool) == before

        # every refusal is recorded
        async with writable_pool.acquire() as conn:
            refused = await conn.fetch(
                "select role, requester, decision, detail->'errors' as codes "
                "from gateway.audit_log where decision <> 'ALLOWED' order by seq"
            )
        assert [json.loads(r["codes"]) for r in refused] == [["BAD_USER_INPUT"]] * 3 + [
            ["FORBIDDEN_FIELD"]
        ] * 2
        assert [(r["role"], r["requester"], r["decision"]) for r in refused] == [
            ("FURNISHER", WESTLAKE_BANK.code, "DENIED"),
            ("FURNISHER", XIHU_COURT.code, "DENIED"),
            ("FURNISHER", EASTBRIDGE_BANK.code, "DENIED"),
            ("BANK", EASTBRIDGE_BANK.code, "DENIED"),
            ("FURNISHER", EASTBRIDGE_BANK.code, "DENIED"),
        ]


@contextmanager
def http_subgraphs_gateway(dsn: str, home: Path) -> Iterator[str]:
    """`creditgraph serve` (the edition policy, furnishing tokens accepted) over the four
    subgraphs, each served by `creditgraph subgraph NAME` in a process of its own: the URL of
    its /graphql."""
    env = cli_env(home=home, database_url=dsn)
    env["CREDITGRAPH_INTERNAL_SECRET"] = "furnishing-over-http-secret-of-32-bytes-or-more"
    running: list[subprocess.Popen[str]] = []
    try:
        urls = {}
        for name in SUBGRAPH_NAMES:
            port = free_port()
            running.append(start_cli("subgraph", name, "--port", str(port), env=env))
            wait_for_http(running[-1], f"http://127.0.0.1:{port}/healthz")
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        port = free_port()
        overrides = [f"--subgraph={name}={url}" for name, url in urls.items()]
        running.append(start_cli("serve", "--port", str(port), *overrides, env=env))
        wait_for_http(running[-1], f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        for proc in running:
            print(stop_cli(proc))  # shown when the test fails


def test_over_http_subgraphs_a_bank_a_court_and_an_agency_furnish_by_mutation(
    writable_seeded_database_url: str, tmp_path: Path
) -> None:
    """The bureau (and every other subgraph) served over HTTP, where a write ends in a
    prepared transaction committed with the gateway's audit entry: each furnisher's record is
    accepted, the same again unchanged, a changed one a correction with its history, a bad one
    leaves nothing, and every request has its audit entry."""
    home = tmp_path / "home"
    home.mkdir()
    bank = furnisher(home, EASTBRIDGE_BANK.code)
    court = furnisher(home, XIHU_COURT.code)
    agency = furnisher(home, TAX_BUREAU.code)
    case, arrear = example("ENFORCEMENT_CASE"), example("TAX_ARREAR")
    changed_case = {**case, "status": "CONCLUDED", "closedOn": "2026-11-30"}
    changed_arrear = {**arrear, "amount": "99000.00"}
    sent: list[str] = []

    def ask(
        url: str, headers: dict[str, str], query: str, record: dict[str, Any]
    ) -> dict[str, Any]:
        request_id = f"furnish-over-http-{len(sent)}"
        sent.append(request_id)
        response = httpx.post(
            url,
            json={"query": query, "variables": {"record": record}},
            headers={**headers, "x-request-id": request_id},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def outcome(answer: dict[str, Any]) -> Any:
        assert "errors" not in answer, answer
        (record,) = answer["data"].values()
        return record["outcome"], record["changes"]

    with http_subgraphs_gateway(writable_seeded_database_url, home) as url:
        for who, query, record, changed, change in (
            (bank, FURNISH_ACCOUNT, CARD_ACCOUNT, {**CARD_ACCOUNT, "balance": "980.00"},
             [{"field": "balance", "before": "1280.55", "after": "980.00"}]),
            (court, FURNISH_CASE, case, changed_case,
             [{"field": "closedOn", "before": None, "after": "2026-11-30"},
              {"field": "status", "before": "IN_PROGRESS", "after": "CONCLUDED"}]),
            (agency, FURNISH_ARREAR, arrear, changed_arrear,
             [{"field": "amount", "before": arrear["amount"], "after": "99000.00"}]),
        ):  # fmt: skip
            assert outcome(ask(url, who, query, record)) == ("ACCEPTED", [])
            assert outcome(ask(url, who, query, record)) == ("UNCHANGED", [])
            assert outcome(ask(url, who, query, changed)) == ("CORRECTED", change)
        before = asyncio.run(_snapshot_of(writable_seeded_database_url))
        # another bank's month of Eastbridge's card, and a month that is no month
        refused = ask(url, furnisher(home, WESTLAKE_BANK.code), FURNISH_STATEMENT, SEPTEMBER)
        assert refused["data"] is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["BAD_USER_INPUT"]
        assert refused["errors"][0]["extensions"]["field"] == "accountNumber"
        refused = ask(url, bank, FURNISH_STATEMENT, {**SEPTEMBER, "period": "2026-13"})
        assert refused["errors"][0]["message"] == "record.period: not a month (YYYY-MM)"
        after = asyncio.run(_snapshot_of(writable_seeded_database_url))
        assert after == before

    async def books() -> tuple[list[asyncpg.Record], list[asyncpg.Record], list[str], int, int]:
        conn = await asyncpg.connect(writable_seeded_database_url)
        try:
            corrections = await conn.fetch(
                "select furnisher, operator, record_type, changes from furnishing.corrections "
                "order by id"
            )
            entries = await conn.fetch(
                "select request_id, role, requester, operation, decision from gateway.audit_log "
                "where request_id like 'furnish-over-http-%' order by seq"
            )
            submissions = [
                row["request_id"]
                for row in await conn.fetch(
                    "select request_id from furnishing.submissions order by id"
                )
            ]
            pending = await conn.fetchval("select count(*) from pg_prepared_xacts")
            staging = await conn.fetchval(
                "select count(*) from pg_namespace where nspname like 'furnishing_stage_%'"
            )
            return corrections, entries, submissions, pending, staging
        finally:
            await conn.close()

    corrections, entries, submissions, pending, staging = asyncio.run(books())
    # the corrections' history: who made each, and what it changed
    assert [(c["furnisher"], c["operator"], c["record_type"]) for c in corrections] == [
        (EASTBRIDGE_BANK.code, "uploader", "CREDIT_ACCOUNT"),
        (XIHU_COURT.code, "uploader", "ENFORCEMENT_CASE"),
        (TAX_BUREAU.code, "uploader", "TAX_ARREAR"),
    ]
    assert json.loads(corrections[2]["changes"], parse_float=str) == {
        "amount": {"from": arrear["amount"], "to": "99000.00"}
    }
    # every request has its audit entry, and each record taken its submission naming it
    assert [e["request_id"] for e in entries] == sent
    assert {(e["role"], e["requester"]) for e in entries} >= {
        ("FURNISHER", EASTBRIDGE_BANK.code),
        ("FURNISHER", XIHU_COURT.code),
        ("FURNISHER", TAX_BUREAU.code),
        ("FURNISHER", WESTLAKE_BANK.code),
    }
    assert [e["decision"] for e in entries] == ["ALLOWED"] * 9 + ["DENIED"] * 2
    assert submissions == sent[:9]
    # nothing left pending, no staging left behind
    assert (pending, staging) == (0, 0)


async def _snapshot_of(dsn: str) -> list[list[tuple[Any, ...]]]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        return await snapshot(pool)
    finally:
        await pool.close()
