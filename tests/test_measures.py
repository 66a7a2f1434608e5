"""Joint measures: the catalogue, entries in force and their notices, objection and repair.

The API tests go through the gateway's HTTP app with the edition policy in front and every
subgraph in process, with real signed tokens, over a copy of the seeded demo database (see
test_subject_rights.Graph). The listing body's side runs as its operator would, through the
`creditgraph` command line. Dates are relative to the database's today, so the rules are tried
on entries that came into force, are in their notice period, or are objected to, whatever the
day the suite runs.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from creditgraph.access.tokens import mint_demo_token
from creditgraph.measures import catalogue
from creditgraph.measures.catalogue import CatalogueError
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU, WESTLAKE_BANK
from tests.applications import authorised_application
from tests.bureau_clock import set_bureau_day
from tests.cli_helpers import assert_one_line_error, cli_env, free_port, run_cli
from tests.test_subject_rights import Graph, error_codes
from tests.test_subject_rights import graph as graph  # the fixture, shared

FIRM = PERSONA["tax_arrears"]  # Yuanhang Logistics: Eastbridge lends to it
OTHER_FIRM = PERSONA["red_listed"]
TAX_BLACK = "重大税收违法失信主体 serious tax violators"
NOTIFIED_MEASURES = ["LENDER_CREDIT_RESTRAINT"]
TAX_BLACK_MEASURES = ["LENDER_CREDIT_RESTRAINT", "PROCUREMENT_EXCLUSION", "CONSUMPTION_RESTRICTION"]

ENTRY_FIELDS = """id state inForceFrom exitedOn exitReason
  measures { code kind body action legalBasis validFrom }"""
NOTICE_FIELDS = """id kind dueOn entryId colour listName authorityName institutionCode
  institutionName measures { code legalBasis }"""
BANK_LOOK = f"""query($id: String!) {{
  subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {{
    listEntries(colour: BLACK) {{ {ENTRY_FIELDS} }}
    measureNotices {{ {NOTICE_FIELDS} }}
  }}
}}"""
OWN_LOOK = f"""{{ me {{
  listEntries {{ {ENTRY_FIELDS}
    objection {{ id reason outcome answer }}
    repairApplications {{ id evidence decision reasons }} }}
  measureNotices {{ {NOTICE_FIELDS} }}
}} }}"""
OBJECT = """mutation($entry: ID!, $reason: String!) {
  objectToListEntry(entryId: $entry, reason: $reason) { id reason outcome answer } }"""
REPAIR = """mutation($entry: ID!, $evidence: String!) {
  applyForCreditRepair(entryId: $entry, evidence: $evidence) { id evidence decision } }"""


# -- the catalogue ----------------------------------------------------------------------------


def test_the_document_is_generated_from_the_catalogue(repo_root: Path) -> None:
    path = repo_root / "docs" / "measures.md"
    assert path.read_text(encoding="utf-8") == catalogue.render_markdown(catalogue.load()), (
        f"{path} has drifted from graphql/measures.toml: run "
        "`creditgraph measures doc --out docs/measures.md`"
    )
    shipped = repo_root / "graphql" / "measures.toml"
    # kept in the one form `creditgraph measures add` and `end` write back
    assert catalogue.dump(catalogue.load(shipped)) == shipped.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda t: t.replace('colour = "BLACK"', 'colour = "GREY"', 1), "colour must be RED"),
        (lambda t: t.replace("legal_basis = ", "legal_basis = '' #", 1), "legal_basis must be"),
        (lambda t: t.replace("from = 2015-01-01", "", 1), "from (the first day"),
        (lambda t: t.replace("notify_lenders = true", "notify_lenders = 1", 1), "notify_lenders"),
        (lambda t: t + t[t.index("\n[[measure]]") :], "declared twice"),
        (lambda t: t.replace("\n[[measure]]", "\n[[measure]]\nweight = 3", 1), "unknown key"),
        (
            lambda t: t.replace("from = 2015-01-01", "from = 2015-01-01\nuntil = 2014-01-01", 1),
            "must be after from",
        ),
        (lambda t: t + "\n[[measure\n", "not TOML"),
    ],
)
def test_a_bad_catalogue_is_refused_with_one_line(
    tmp_path: Path, edit: Any, complaint: str, repo_root: Path
) -> None:
    bad = tmp_path / "measures.toml"
    bad.write_text(edit((repo_root / "graphql/measures.toml").read_text(encoding="utf-8")))
    with pytest.raises(CatalogueError, match=re.escape(complaint)):
        catalogue.load(bad)
    result = run_cli("measures", "list", "--catalogue", str(bad), env=cli_env(home=tmp_path))
    assert_one_line_error(result, str(bad), complaint)


def test_a_server_refuses_to_start_on_a_bad_catalogue(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    bad = tmp_path / "measures.toml"
    bad.write_text('[[measure]]\ncode = "X1"\ntrigger = { colour = "PURPLE" }\n')
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    env[catalogue.ENV_VARIABLE] = str(bad)
    result = run_cli("up", "--port", str(free_port()), env=env, timeout=90)
    assert_one_line_error(result, "measure 1 (X1): trigger colour must be RED or BLACK")


def test_measures_are_added_and_ended_whole_or_not_at_all(tmp_path: Path, repo_root: Path) -> None:
    path = tmp_path / "measures.toml"
    path.write_text((repo_root / "graphql/measures.toml").read_text(encoding="utf-8"))
    env = cli_env(home=tmp_path)
    common = ("--catalogue", str(path))
    before = path.read_bytes()
    refused = [
        ("--code", "PROCUREMENT_EXCLUSION", "--colour", "BLACK"),  # the code is taken
        ("--code", "bad code", "--colour", "BLACK"),
    ]
    for args in refused:
        result = run_cli(
            "measures",
            "add",
            *common,
            *args,
            "--body",
            "b",
            "--action",
            "a",
            "--legal-basis",
            "law",
            env=env,
        )
        assert_one_line_error(result)
        assert path.read_bytes() == before
    empty_basis = run_cli(
        "measures",
        "add",
        *common,
        "--code",
        "NEW_ONE",
        "--colour",
        "RED",
        "--body",
        "b",
        "--action",
        "a",
        "--legal-basis",
        "  ",
        env=env,
    )
    assert_one_line_error(empty_basis, "legal_basis must be non-empty")
    assert path.read_bytes() == before

    added = run_cli(
        "measures",
        "add",
        *common,
        "--code",
        "DEPOSIT_WAIVER",
        "--colour",
        "RED",
        "--body",
        "housing authority",
        "--action",
        "No deposit for public rental housing",
        "--legal-basis",
        "杭州市公共信用信息管理办法",
        "--from",
        "2026-01-01",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    listed = orjson.loads(run_cli("measures", "list", *common, "--json", env=env).stdout)
    (new,) = [m for m in listed if m["code"] == "DEPOSIT_WAIVER"]
    assert (new["kind"], new["list"], new["until"], new["notify_lenders"]) == (
        "REWARD",
        None,
        None,
        False,
    )
    too_early = run_cli(
        "measures", "end", *common, "--code", "DEPOSIT_WAIVER", "--on", "2026-01-01", env=env
    )
    assert_one_line_error(too_early, "starts on 2026-01-01")
    ended = run_cli(
        "measures", "end", *common, "--code", "DEPOSIT_WAIVER", "--on", "2027-01-01", env=env
    )
    assert ended.returncode == 0, ended.stderr
    measure = catalogue.load(path).find("DEPOSIT_WAIVER")
    assert measure is not None
    assert measure.valid_until == date(2027, 1, 1)
    assert measure.applies_on(date(2026, 12, 31))
    assert not measure.applies_on(date(2027, 1, 1))
    again = run_cli(
        "measures", "end", *common, "--code", "DEPOSIT_WAIVER", "--on", "2027-06-01", env=env
    )
    assert_one_line_error(again, "already ends on 2027-01-01")


# -- entries in force, their measures and notices -------------------------------------------


async def today(pool: asyncpg.Pool) -> date:
    found: date = await pool.fetchval("select current_date")
    return found


async def list_entry(
    pool: asyncpg.Pool, subject: Any, notice_starts_on: date, notice_ends_on: date
) -> int:
    """A black list entry of the tax bureau, as furnished: only its notice period is known."""
    entry_id: int = await pool.fetchval(
        """insert into public_records.list_entries (colour, list_name, subject_identifier,
               subject_name, authority_code, authority_name, reason, notice_starts_on,
               notice_ends_on)
           values ('BLACK', $1, $2, $3, $4, $5, 'unpaid taxes', $6, $7) returning id""",
        TAX_BLACK,
        subject.identifier,
        subject.name,
        TAX_BUREAU.code,
        TAX_BUREAU.name,
        notice_starts_on,
        notice_ends_on,
    )
    return entry_id


async def firm_token(graph: Graph, pool: asyncpg.Pool, firm: Any = FIRM) -> str:
    """A subject token for the firm, held by its legal representative today."""
    representative = await pool.fetchval(
        """select p.identifier from bureau.organisation_principals op
           join bureau.subjects o on o.id = op.organisation_id
           join bureau.subjects p on p.id = op.person_id
           where o.identifier = $1 and op.role = 'LEGAL_REPRESENTATIVE' and op.until is null""",
        firm.identifier,
    )
    return mint_demo_token(
        graph.home, "SUBJECT", firm.identifier, None, env={}, representative=representative
    )


def by_id(items: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


async def test_an_entry_past_its_notice_period_triggers_its_measures_and_notices(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    day = await today(writable_pool)
    in_force = await list_entry(writable_pool, FIRM, day - timedelta(20), day - timedelta(10))
    in_notice = await list_entry(writable_pool, FIRM, day - timedelta(2), day + timedelta(5))
    answer = await graph.ask(graph.bank(EASTBRIDGE_BANK.code), BANK_LOOK, {"id": FIRM.identifier})
    assert "errors" not in answer, answer
    subject = answer["data"]["subject"]
    entries = by_id(subject["listEntries"])

    # in force from the day after its notice period, with no one recording it: its measures
    forced = entries[str(in_force)]
    assert (forced["state"], forced["inForceFrom"]) == (
        "IN_FORCE",
        (day - timedelta(9)).isoformat(),
    )
    assert [m["code"] for m in forced["measures"]] == TAX_BLACK_MEASURES
    assert all(m["kind"] == "PUNISHMENT" and m["legalBasis"] for m in forced["measures"])
    # still in its notice period: no measure yet
    waiting = entries[str(in_notice)]
    assert (waiting["state"], waiting["measures"]) == ("IN_NOTICE", [])
    assert waiting["inForceFrom"] == (day + timedelta(6)).isoformat()

    # Eastbridge lends to the firm and subscribes: a notice, due the day it came into force,
    # naming the measure lenders apply and its legal basis; none for the entry in notice
    notices = by_id(subject["measureNotices"], "entryId")
    notice = notices[str(in_force)]
    assert notice["kind"] == "IN_FORCE"
    assert notice["dueOn"] == (day - timedelta(9)).isoformat()
    assert (notice["institutionCode"], notice["institutionName"]) == (
        EASTBRIDGE_BANK.code,
        EASTBRIDGE_BANK.name,
    )
    assert (notice["listName"], notice["authorityName"]) == (TAX_BLACK, TAX_BUREAU.name)
    assert [m["code"] for m in notice["measures"]] == NOTIFIED_MEASURES
    assert "3062" in notice["measures"][0]["legalBasis"]
    assert str(in_notice) not in notices

    # the subject sees the same notice in its own graph: who was told, when, of what
    own = await graph.ask(await firm_token(graph, writable_pool), OWN_LOOK)
    assert "errors" not in own, own
    mine = by_id(own["data"]["me"]["measureNotices"])
    assert mine[notice["id"]] == notice

    # a government body sees the entry's measures, not whom the firm borrows from
    looked = await graph.ask(
        graph.government(TAX_BUREAU.code),
        """query($id: String!) { subject(identifier: $id, purpose: PUBLIC_CREDIT_CHECK) {
             listEntries(colour: BLACK) { id measures { code } } measureNotices { id } } }""",
        {"id": FIRM.identifier},
    )
    seen = by_id(looked["data"]["subject"]["listEntries"])
    assert [m["code"] for m in seen[str(in_force)]["measures"]] == TAX_BLACK_MEASURES
    assert looked["data"]["subject"]["measureNotices"] is None
    assert ("FORBIDDEN_FIELD", None) in error_codes(looked)


async def test_only_subscribing_lenders_with_an_open_account_that_day_are_notified(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    day = await today(writable_pool)
    entry = await list_entry(writable_pool, FIRM, day - timedelta(20), day - timedelta(10))
    came = day - timedelta(9)
    # Westlake opens an account with the firm after the entry came into force, and subscribes
    # from long before: it is not told of that entry (the report shows it when it underwrites)
    await writable_pool.execute(
        """insert into public_records.notice_subscriptions values ($1, '2020-01-01')""",
        WESTLAKE_BANK.code,
    )
    account = await writable_pool.fetchval(
        """insert into bureau.credit_accounts (lender_id, account_number, kind, principal,
               balance, term_months, opened_on, status, reported_on)
           select id, 'WL-0001', 'BUSINESS_LOAN', 1000000, 1000000, 12, $2, 'NORMAL', $2
           from bureau.institutions where code = $1 returning id""",
        WESTLAKE_BANK.code,
        came + timedelta(1),
    )
    await writable_pool.execute(
        """insert into bureau.account_parties
           select $1, id, 'PRIMARY_BORROWER' from bureau.subjects where identifier = $2""",
        account,
        FIRM.identifier,
    )
    # the firm authorised Westlake for the loan's application: what lets Westlake manage it
    await authorised_application(
        writable_pool, FIRM.identifier, WESTLAKE_BANK.code, "LOAN_APPROVAL", came + timedelta(1)
    )
    westlake = await graph.ask(graph.bank(WESTLAKE_BANK.code), BANK_LOOK, {"id": FIRM.identifier})
    assert "errors" not in westlake, westlake
    assert str(entry) not in by_id(westlake["data"]["subject"]["measureNotices"], "entryId")
    # and each bank sees only the notices sent to it
    eastbridge = await graph.ask(
        graph.bank(EASTBRIDGE_BANK.code), BANK_LOOK, {"id": FIRM.identifier}
    )
    notices = eastbridge["data"]["subject"]["measureNotices"]
    assert notices
    assert {n["institutionCode"] for n in notices} == {EASTBRIDGE_BANK.code}

    # once Eastbridge stops subscribing, notices due from then are not sent to it
    await writable_pool.execute(
        "update public_records.notice_subscriptions set ended_on = $2 where institution_code = $1",
        EASTBRIDGE_BANK.code,
        came,
    )
    after = await graph.ask(graph.bank(EASTBRIDGE_BANK.code), BANK_LOOK, {"id": FIRM.identifier})
    assert str(entry) not in by_id(after["data"]["subject"]["measureNotices"], "entryId")


# -- objection ---------------------------------------------------------------------------------


async def recorded(pool: asyncpg.Pool, coordinate: str) -> list[tuple[str, list[str]]]:
    """The decision and subjects of each audit entry that returned `coordinate`."""
    rows = await pool.fetch(
        "select decision, subjects from gateway.audit_log where $1 = any(fields) order by seq",
        coordinate,
    )
    return [(row["decision"], list(row["subjects"])) for row in rows]


async def test_an_objection_in_time_holds_the_entry_until_the_body_answers(
    graph: Graph, writable_pool: asyncpg.Pool, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    day = await today(writable_pool)
    entry = await list_entry(writable_pool, FIRM, day - timedelta(3), day + timedelta(4))
    token = await firm_token(graph, writable_pool)

    answer = await graph.ask(token, OBJECT, {"entry": str(entry), "reason": " paid in full "})
    assert "errors" not in answer, answer
    objection = answer["data"]["objectToListEntry"]
    assert (objection["reason"], objection["outcome"]) == ("paid in full", None)
    assert await recorded(writable_pool, "Mutation.objectToListEntry") == [
        ("ALLOWED", [FIRM.identifier])
    ]

    own = by_id((await graph.ask(token, OWN_LOOK))["data"]["me"]["listEntries"])[str(entry)]
    assert (own["state"], own["inForceFrom"], own["measures"]) == ("OBJECTED", None, [])
    assert own["objection"]["reason"] == "paid in full"
    # the objection holds it: were its notice period over, it would still not be in force
    held = await writable_pool.fetchrow(
        "select objection_filed_on from public_records.list_entries where id = $1", entry
    )
    assert held is not None
    assert held["objection_filed_on"] == day

    # the listing body answers; DISMISSED lets it take effect after its notice period
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    listed = orjson.loads(run_cli("objections", "list", "--open", "--json", env=env).stdout)
    (waiting,) = [item for item in listed if item["entry_id"] == entry]
    refused = run_cli(
        "objections",
        "answer",
        str(waiting["id"]),
        "--outcome",
        "DISMISSED",
        "--answer",
        " ",
        env=env,
    )
    assert_one_line_error(refused, "must say why")
    result = run_cli(
        "objections",
        "answer",
        str(waiting["id"]),
        "--outcome",
        "DISMISSED",
        "--answer",
        "the arrears were still unpaid on the listing day",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    own = by_id((await graph.ask(token, OWN_LOOK))["data"]["me"]["listEntries"])[str(entry)]
    assert (own["state"], own["inForceFrom"]) == ("IN_NOTICE", (day + timedelta(5)).isoformat())
    assert own["objection"]["outcome"] == "DISMISSED"
    twice = run_cli(
        "objections",
        "answer",
        str(waiting["id"]),
        "--outcome",
        "UPHELD",
        "--answer",
        "x",
        env=env,
    )
    assert_one_line_error(twice, "was answered DISMISSED")


async def test_an_upheld_objection_means_the_entry_never_takes_effect(
    graph: Graph, writable_pool: asyncpg.Pool, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    day = await today(writable_pool)
    entry = await list_entry(writable_pool, FIRM, day - timedelta(3), day + timedelta(4))
    token = await firm_token(graph, writable_pool)
    objected = await graph.ask(token, OBJECT, {"entry": str(entry), "reason": "wrong firm"})
    objection_id = objected["data"]["objectToListEntry"]["id"]
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    result = run_cli(
        "objections",
        "answer",
        objection_id,
        "--outcome",
        "UPHELD",
        "--answer",
        "the arrears belong to another firm",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    own = by_id((await graph.ask(token, OWN_LOOK))["data"]["me"]["listEntries"])[str(entry)]
    assert (own["state"], own["exitReason"], own["inForceFrom"]) == (
        "OBJECTED",
        "OBJECTION_UPHELD",
        None,
    )
    assert own["objection"]["answer"] == "the arrears belong to another firm"


async def entry_rows(pool: asyncpg.Pool) -> tuple[int, ...]:
    row = await pool.fetchrow(
        """select (select count(*) from public_records.list_objections),
                  (select count(*) from public_records.repair_applications),
                  (select count(*) from public_records.list_entries
                   where objection_filed_on is not null)"""
    )
    assert row is not None
    return tuple(row)


async def test_bad_objections_and_applications_are_refused_naming_the_argument(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    day = await today(writable_pool)
    in_force = await list_entry(writable_pool, FIRM, day - timedelta(20), day - timedelta(10))
    in_notice = await list_entry(writable_pool, FIRM, day - timedelta(2), day + timedelta(5))
    others = await list_entry(writable_pool, OTHER_FIRM, day - timedelta(2), day + timedelta(5))
    token = await firm_token(graph, writable_pool)
    before = await entry_rows(writable_pool)
    attempts = [
        (OBJECT, {"entry": str(in_force), "reason": "late"}, "entryId"),  # past its notice
        (OBJECT, {"entry": str(others), "reason": "not mine"}, "entryId"),  # another's
        (OBJECT, {"entry": "nine", "reason": "x"}, "entryId"),
        (OBJECT, {"entry": str(in_notice), "reason": "   "}, "reason"),
        (OBJECT, {"entry": str(in_notice), "reason": "x" * 2001}, "reason"),
        (REPAIR, {"entry": str(in_notice), "evidence": "receipts"}, "entryId"),  # not in force
        (REPAIR, {"entry": str(others), "evidence": "receipts"}, "entryId"),
        (REPAIR, {"entry": str(in_force), "evidence": ""}, "evidence"),
    ]
    for mutation, variables, argument in attempts:
        answer = await graph.ask(token, mutation, variables)
        assert error_codes(answer) == [("BAD_USER_INPUT", argument)], (variables, answer)
    assert await entry_rows(writable_pool) == before
    # a bank may not object or apply for a subject
    bank = await graph.ask(
        graph.bank(EASTBRIDGE_BANK.code), OBJECT, {"entry": str(in_notice), "reason": "x"}
    )
    assert [code for code, _ in error_codes(bank)] == ["FORBIDDEN_FIELD"]
    assert await entry_rows(writable_pool) == before


# -- repair ------------------------------------------------------------------------------------


async def test_an_approved_repair_ends_the_entry_and_its_measures_and_tells_the_same_lenders(
    graph: Graph, writable_pool: asyncpg.Pool, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    day = await today(writable_pool)
    entry = await list_entry(writable_pool, FIRM, day - timedelta(20), day - timedelta(10))
    token = await firm_token(graph, writable_pool)
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)

    applied = await graph.ask(token, REPAIR, {"entry": str(entry), "evidence": "tax receipts"})
    assert "errors" not in applied, applied
    first = applied["data"]["applyForCreditRepair"]
    assert (first["evidence"], first["decision"]) == ("tax receipts", None)
    again = await graph.ask(token, REPAIR, {"entry": str(entry), "evidence": "more receipts"})
    assert error_codes(again) == [("BAD_USER_INPUT", "entryId")]
    # each write committed with its audit entry; the refused second one is recorded too, as
    # refused: denied, with its code, having returned nothing
    assert [d for d, _ in await recorded(writable_pool, "Mutation.applyForCreditRepair")] == [
        "ALLOWED"
    ]
    last = await writable_pool.fetchrow(
        "select decision, fields, detail->'errors' as errors from gateway.audit_log "
        "order by seq desc limit 1"
    )
    assert last is not None
    assert (last["decision"], last["fields"], last["errors"]) == (
        "DENIED",
        [],
        '["BAD_USER_INPUT"]',
    )

    # refused: the entry stands, and the subject may apply again
    refused = run_cli(
        "repairs",
        "decide",
        first["id"],
        "--decision",
        "REFUSED",
        "--reasons",
        "the receipts do not cover the second quarter",
        env=env,
    )
    assert refused.returncode == 0, refused.stderr
    second = await graph.ask(token, REPAIR, {"entry": str(entry), "evidence": "all receipts"})
    second_id = second["data"]["applyForCreditRepair"]["id"]
    still = by_id((await graph.ask(token, OWN_LOOK))["data"]["me"]["listEntries"])[str(entry)]
    assert still["state"] == "IN_FORCE"
    assert still["measures"]

    approved = run_cli(
        "repairs",
        "decide",
        second_id,
        "--decision",
        "APPROVED",
        "--reasons",
        "every arrear is paid",
        env=env,
    )
    assert approved.returncode == 0, approved.stderr
    twice = run_cli(
        "repairs", "decide", second_id, "--decision", "REFUSED", "--reasons", "x", env=env
    )
    assert_one_line_error(twice, "was decided: APPROVED")

    own = (await graph.ask(token, OWN_LOOK))["data"]["me"]
    ended = by_id(own["listEntries"])[str(entry)]
    assert (ended["state"], ended["exitedOn"], ended["exitReason"], ended["measures"]) == (
        "EXITED",
        day.isoformat(),
        "REPAIRED",
        [],
    )
    # the history is kept: both applications with their decisions, and both notices
    assert [(a["decision"], a["reasons"]) for a in ended["repairApplications"]] == [
        ("REFUSED", "the receipts do not cover the second quarter"),
        ("APPROVED", "every arrear is paid"),
    ]
    bank = await graph.ask(graph.bank(EASTBRIDGE_BANK.code), BANK_LOOK, {"id": FIRM.identifier})
    told = [
        (n["kind"], n["dueOn"], n["institutionCode"], [m["code"] for m in n["measures"]])
        for n in bank["data"]["subject"]["measureNotices"]
        if n["entryId"] == str(entry)
    ]
    assert told == [
        ("REPAIRED", day.isoformat(), EASTBRIDGE_BANK.code, NOTIFIED_MEASURES),
        ("IN_FORCE", (day - timedelta(9)).isoformat(), EASTBRIDGE_BANK.code, NOTIFIED_MEASURES),
    ]
    assert [n["id"] for n in own["measureNotices"] if n["entryId"] == str(entry)] == [
        f"{entry}:REPAIRED:{EASTBRIDGE_BANK.code}",
        f"{entry}:IN_FORCE:{EASTBRIDGE_BANK.code}",
    ]


def test_subscriptions_are_kept_by_the_operator(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    listed = orjson.loads(run_cli("measures", "subscriptions", "--json", env=env).stdout)
    assert [(s["institution_code"], s["live"]) for s in listed] == [(EASTBRIDGE_BANK.code, True)]
    assert_one_line_error(
        run_cli("measures", "subscribe", "--institution", EASTBRIDGE_BANK.code, env=env),
        "already subscribes",
    )
    assert_one_line_error(run_cli("measures", "subscribe", "--institution", "not-a-code", env=env))
    assert (
        run_cli("measures", "subscribe", "--institution", WESTLAKE_BANK.code, env=env).returncode
        == 0
    )
    stopped = run_cli("measures", "unsubscribe", "--institution", EASTBRIDGE_BANK.code, env=env)
    assert stopped.returncode == 0, stopped.stderr
    listed = orjson.loads(run_cli("measures", "subscriptions", "--json", env=env).stdout)
    assert {(s["institution_code"], s["live"]) for s in listed} == {
        (EASTBRIDGE_BANK.code, False),
        (WESTLAKE_BANK.code, True),
    }


async def test_with_the_clock_moved_an_entrys_state_measures_notices_and_ageing_agree(
    graph: Graph, writable_pool: asyncpg.Pool
) -> None:
    # an entry whose notice period is still to come by the calendar, which exits two months
    # after it comes into force; the bureau's one clock is moved through its life, and every
    # look agrees on where it stands: its state, its measures, the notice and its ageing
    day = await today(writable_pool)
    entry = await list_entry(writable_pool, FIRM, day + timedelta(20), day + timedelta(29))
    exited = day + timedelta(60)
    await writable_pool.execute(
        "update public_records.list_entries set exited_on = $2, exit_reason = 'EXPIRED'"
        " where id = $1",
        entry,
        exited,
    )
    leaves: date = await writable_pool.fetchval("select common.ages_out_on($1)", exited)

    async def look(on: date) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        await set_bureau_day(writable_pool, on)
        answer = await graph.ask(
            graph.bank(EASTBRIDGE_BANK.code), BANK_LOOK, {"id": FIRM.identifier}
        )
        assert "errors" not in answer, answer
        subject = answer["data"]["subject"]
        return (
            by_id(subject["listEntries"]).get(str(entry)),
            by_id(subject["measureNotices"], "entryId").get(str(entry)),
        )

    in_notice, no_notice = await look(day + timedelta(29))
    assert in_notice is not None
    assert (in_notice["state"], in_notice["measures"], no_notice) == ("IN_NOTICE", [], None)

    in_force, notice = await look(day + timedelta(30))
    assert in_force is not None
    assert notice is not None
    assert in_force["state"] == "IN_FORCE"
    assert [m["code"] for m in in_force["measures"]] == TAX_BLACK_MEASURES
    assert notice["dueOn"] == (day + timedelta(30)).isoformat()
    assert [m["code"] for m in notice["measures"]] == NOTIFIED_MEASURES

    ended, _ = await look(leaves - timedelta(days=1))
    assert ended is not None
    assert (ended["state"], ended["measures"]) == ("EXITED", [])

    # five years after it exited, the entry and what was derived from it leave together
    assert await look(leaves) == (None, None)
