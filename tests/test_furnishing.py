"""Furnishing through the real `creditgraph furnish` command, as a bank's batch job runs it.

Each test furnishes into its own copy of the seeded database and reads the tables the report
is built from, so what is checked is what a requester would see next.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from creditgraph.access.tokens import TokenVerifier
from creditgraph.furnishing.kinds import record_kinds
from creditgraph.furnishing.pipeline import PART_LINES, PART_SECONDS
from creditgraph.requester import Unauthenticated
from creditgraph.seed.personas import EASTBRIDGE_BANK, TAX_BUREAU, WESTLAKE_BANK, XIHU_COURT
from tests.cli_helpers import cli_env, run_cli, start_cli

NEW_PERSON = "110101199003070011"
CARD = "CC-2026-000917"


def token(home: Path, institution: str) -> str:
    result = run_cli(
        "token",
        "--role",
        "furnisher",
        "--institution",
        institution,
        "--operator",
        "batch job",
        env=cli_env(home=home),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def furnish(
    home: Path, dsn: str, institution: str, lines: list[Any], *extra: str, suffix: str = ".jsonl"
) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """Run the command on a file of these lines; (exit status, rejections, summary)."""
    batch = home / f"batch{suffix}"
    batch.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    env = cli_env(home=home, database_url=dsn)
    env["CREDITGRAPH_FURNISHER_TOKEN"] = token(home, institution)
    result = run_cli("furnish", str(batch), *extra, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers, result.stdout + result.stderr
    assert "summary" in answers[-1], result.stdout + result.stderr
    return result.returncode, answers[:-1], answers[-1]["summary"]


def account(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "ACCOUNT",
        "accountNumber": CARD,
        "accountType": "CREDIT_CARD",
        "creditLimit": "50000.00",
        "balance": "1280.55",
        "openedOn": "2026-03-02",
        "status": "NORMAL",
        "reportedOn": "2026-10-31",
        "borrowerIdentifier": NEW_PERSON,
        "borrowerName": "Zhao Lei",
        **changes,
    }


def statement(period: str, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "STATEMENT",
        "accountNumber": CARD,
        "period": period,
        "status": "N",
        "amountDue": "100.00",
        "amountPaid": "100.00",
        "overdueAmount": "0",
        "balance": "1280.55",
        **changes,
    }


async def rows(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


REPAYMENTS = """
select r.month::text, r.status, r.amount_due::text, r.overdue_amount::text
from bureau.repayments r join bureau.credit_accounts a on a.id = r.account_id
where a.account_number = $1 order by r.month
"""


def test_furnishing_tokens_open_furnishing_only(tmp_path: Path) -> None:
    minted = token(tmp_path, EASTBRIDGE_BANK.code)
    furnishing = TokenVerifier.from_settings(tmp_path, {}, furnishing=True)
    furnisher = furnishing.verify_furnisher(f"Bearer {minted}")
    assert (furnisher.institution, furnisher.operator) == (EASTBRIDGE_BANK.code, "batch job")
    with pytest.raises(Unauthenticated, match="audience"):
        TokenVerifier.from_settings(tmp_path, {}).verify(f"Bearer {minted}")
    reading = run_cli(
        "token",
        "--role",
        "bank",
        "--institution",
        EASTBRIDGE_BANK.code,
        "--operator",
        "x",
        env=cli_env(home=tmp_path),
    ).stdout.strip()
    with pytest.raises(Unauthenticated, match="audience"):
        furnishing.verify_furnisher(f"Bearer {reading}")


async def test_a_bank_furnishes_an_account_and_its_months(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    dsn = writable_seeded_database_url
    batch = [
        account(),
        statement("2026-09"),
        statement("2026-10", status="1", overdueAmount="100.00", subjectNotifiedOn="2026-10-20"),
    ]
    status, rejected, summary = furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, batch)
    assert (status, rejected) == (0, [])
    assert (summary["accepted"], summary["rejected"], summary["committed"]) == (3, 0, True)
    assert [tuple(r) for r in await rows(dsn, REPAYMENTS, CARD)] == [
        ("2026-09-01", "N", "100.00", "0.00"),
        ("2026-10-01", "1", "100.00", "100.00"),
    ]
    (person,) = await rows(
        dsn,
        "select kind, name, birth_date::text, gender from bureau.subjects where identifier = $1",
        NEW_PERSON,
    )
    assert tuple(person) == ("PERSON", "Zhao Lei", "1990-03-07", "M")
    notices = await rows(
        dsn, "select notified_on::text, subject_identifiers from furnishing.negative_notices"
    )
    assert [tuple(n) for n in notices] == [("2026-10-20", [NEW_PERSON])]
    audit = await rows(
        dsn,
        "select role, requester, operator, decision, subjects from gateway.audit_log "
        "where role = 'FURNISHER'",
    )
    assert [tuple(a) for a in audit] == [
        ("FURNISHER", EASTBRIDGE_BANK.code, "batch job", "ALLOWED", [NEW_PERSON])
    ]

    # the same batch again changes nothing: no correction, and the notice still names the
    # submission that first said it, as it was
    every_notice = "select * from furnishing.negative_notices order by 1, 2, 3"
    told = await rows(dsn, every_notice)
    status, rejected, summary = furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, batch)
    assert (status, rejected, summary["unchanged"], summary["accepted"]) == (0, [], 3, 0)
    assert await rows(dsn, "select * from furnishing.corrections") == []
    assert await rows(dsn, every_notice) == told

    # a different month is a correction, kept with what changed
    status, _, summary = furnish(
        tmp_path, dsn, EASTBRIDGE_BANK.code, [statement("2026-09", amountPaid="40.00")]
    )
    assert (status, summary["corrected"]) == (0, 1)
    (correction,) = await rows(
        dsn,
        "select furnisher, operator, record_type, period::text, subject_identifiers, changes::text "
        "from furnishing.corrections",
    )
    assert tuple(correction)[:5] == (
        EASTBRIDGE_BANK.code,
        "batch job",
        "REPAYMENT",
        "2026-09-01",
        [NEW_PERSON],
    )
    assert json.loads(correction["changes"]) == {"amountPaid": {"from": "100.00", "to": "40.00"}}


async def test_bad_lines_are_answered_one_by_one_and_change_nothing(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    dsn = writable_seeded_database_url
    batch = [
        account(),
        statement("2026-09", amountDue=100.5),
        statement("2026-10"),  # the account's first month on record
        "not json",
        {"kind": "ENFORCEMENT_CASE"},
        account(accountNumber="CC-2", borrowerIdentifier="110101199003070012"),
        account(accountNumber="CC-3", borrowerIdentifier="110101199003070029", borrowerName=None),
        statement("2026-11", accountNumber="NOT-OURS"),
        statement("2026-09", accountNumber=CARD, status="2", overdueAmount="5.00"),
        account(accountNumber="CC-4", status="CLOSED", extra=1),
        statement("2026-12"),  # 2026-11 is missing
    ]
    status, rejected, summary = furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, batch)
    assert status == 2
    answered = {(r["line"], r["field"]) for r in rejected}
    assert answered >= {
        (2, "amountDue"),
        (4, None),
        (5, "kind"),
        (6, "borrowerIdentifier"),
        (8, "accountNumber"),
        (9, "subjectNotifiedOn"),
        (10, "extra"),
        (11, "period"),
    }
    reasons = {(r["line"], r["field"]): r["reason"] for r in rejected}
    assert "check character" in reasons[(6, "borrowerIdentifier")]
    assert "never a JSON number" in reasons[(2, "amountDue")]
    assert reasons[(11, "period")] == "out of sequence: the next month to report is 2026-11"
    assert (summary["accepted"], summary["rejected"]) == (2, 9)
    assert [r["month"] for r in await rows(dsn, REPAYMENTS, CARD)] == ["2026-10-01"]


async def test_all_or_nothing_writes_nothing_when_a_line_fails(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    dsn = writable_seeded_database_url
    batch = [account(), statement("2026-09"), statement("2026-10", status="X")]
    status, rejected, summary = furnish(
        tmp_path, dsn, EASTBRIDGE_BANK.code, batch, "--all-or-nothing"
    )
    assert status == 2
    assert [(r["line"], r["field"]) for r in rejected] == [(3, "status")]
    assert (summary["committed"], summary["accepted"]) == (False, 0)
    assert (
        await rows(dsn, "select 1 from bureau.credit_accounts where account_number = $1", CARD)
        == []
    )
    (entry,) = await rows(dsn, "select decision from gateway.audit_log where role = 'FURNISHER'")
    assert entry["decision"] == "DENIED"


async def test_a_furnisher_reports_only_what_is_its_own(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    dsn = writable_seeded_database_url
    assert furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, [account()])[0] == 0
    # another bank cannot report months of Eastbridge's account
    _, rejected, _ = furnish(tmp_path, dsn, WESTLAKE_BANK.code, [statement("2026-09")])
    assert [(r["line"], r["field"]) for r in rejected] == [(1, "accountNumber")]
    # a court furnishes no accounts, a bank no court records
    _, rejected, _ = furnish(tmp_path, dsn, XIHU_COURT.code, [account(accountNumber="CC-9")])
    assert rejected == [
        {"line": 1, "field": "kind", "reason": "ACCOUNT records are not a court's to furnish"}
    ]
    case = record_kinds()["ENFORCEMENT_CASE"].schema["examples"][0]
    _, rejected, _ = furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, [case])
    assert rejected == [
        {
            "line": 1,
            "field": "kind",
            "reason": "ENFORCEMENT_CASE records are not a bank's to furnish",
        }
    ]
    # nor an agency (named as such) a bank's months
    _, rejected, _ = furnish(tmp_path, dsn, TAX_BUREAU.code, [statement("2026-09")])
    assert rejected == [
        {"line": 1, "field": "kind", "reason": "STATEMENT records are not an agency's to furnish"}
    ]
    # the same case under another key would be a second copy of it
    assert furnish(tmp_path, dsn, XIHU_COURT.code, [case])[0] == 0
    _, rejected, _ = furnish(tmp_path, dsn, XIHU_COURT.code, [{**case, "key": "another"}])
    assert rejected == [
        {
            "line": 1,
            "field": None,
            "reason": "already on file (under another key, or another furnisher's)",
        }
    ]


async def test_csv_batches_take_the_flat_kinds(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    dsn = writable_seeded_database_url
    furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, [account()])
    csv_lines = [
        "kind,accountNumber,period,status,amountDue,amountPaid,overdueAmount,balance",
        f"STATEMENT,{CARD},2026-09,N,100.00,100.00,0,1280.55",
        f"STATEMENT,{CARD},2026-10,N,100.00,100.00,0,",
    ]
    status, rejected, summary = furnish(
        tmp_path, dsn, EASTBRIDGE_BANK.code, csv_lines, suffix=".csv"
    )
    assert status == 2
    assert rejected == [{"line": 3, "field": "balance", "reason": "required"}]
    assert summary["accepted"] == 1


async def test_a_court_and_an_agency_furnish_and_correct_their_records(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    dsn = writable_seeded_database_url
    kinds = record_kinds()
    court = [
        kinds[name].schema["examples"][0] for name in kinds if kinds[name].furnisher == "COURT"
    ]
    agency = [
        kinds[name].schema["examples"][0] for name in kinds if kinds[name].furnisher == "AGENCY"
    ]
    assert furnish(tmp_path, dsn, XIHU_COURT.code, court)[2]["accepted"] == len(court)
    assert furnish(tmp_path, dsn, TAX_BUREAU.code, agency)[2]["accepted"] == len(agency)
    # the same again changes nothing
    assert furnish(tmp_path, dsn, XIHU_COURT.code, court)[2]["unchanged"] == len(court)
    # the case concluded and the listing removed: corrections, with what changed
    case = next(r for r in court if r["kind"] == "ENFORCEMENT_CASE")
    listing = next(r for r in court if r["kind"] == "DISHONEST_LISTING")
    concluded = {**case, "status": "CONCLUDED", "closedOn": "2026-10-30"}
    removed = {**listing, "removedOn": "2026-10-20", "removalReason": "PERFORMED"}
    status, rejected, summary = furnish(tmp_path, dsn, XIHU_COURT.code, [concluded, removed])
    assert (status, rejected, summary["corrected"]) == (0, [], 2)
    found = await rows(
        dsn,
        "select record_type, subject_identifiers, changes::text from furnishing.corrections "
        "order by id",
    )
    assert [(r["record_type"], json.loads(r["changes"])) for r in found] == [
        (
            "ENFORCEMENT_CASE",
            {
                "status": {"from": "IN_PROGRESS", "to": "CONCLUDED"},
                "closedOn": {"from": None, "to": "2026-10-30"},
            },
        ),
        (
            "DISHONEST_LISTING",
            {
                "removedOn": {"from": None, "to": "2026-10-20"},
                "removalReason": {"from": None, "to": "PERFORMED"},
            },
        ),
    ]
    (listed,) = await rows(
        dsn,
        "select removed_on::text, removal_reason from public_records.dishonest_listings "
        "where case_number = $1",
        listing["caseNumber"],
    )
    assert tuple(listed) == ("2026-10-20", "PERFORMED")
    # negative information without its notice, and a removal without its reason, are refused
    _, rejected, _ = furnish(
        tmp_path,
        dsn,
        XIHU_COURT.code,
        [
            {name: value for name, value in case.items() if name != "subjectNotifiedOn"},
            {**listing, "removedOn": "2026-10-20"},
        ],
    )
    assert {(r["line"], r["field"]) for r in rejected} >= {
        (1, "subjectNotifiedOn"),
        (2, "removedOn"),
    }


async def test_the_published_examples_are_accepted(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    """Every example in the record formats is a record the bureau takes, in order."""
    examples = [
        example
        for name in ("ACCOUNT", "STATEMENT")
        for example in record_kinds()[name].schema["examples"]
    ]
    status, rejected, summary = furnish(
        tmp_path, writable_seeded_database_url, EASTBRIDGE_BANK.code, examples
    )
    assert (status, rejected, summary["accepted"]) == (0, [], len(examples))


# accounts of Eastbridge's, loaded straight with SQL (the setup, not what is tested): $2 of
# them, numbered from 1, Mingde Textiles' business loans opened in September
OPEN_ACCOUNTS = """
with accounts as (
    insert into bureau.credit_accounts
        (lender_id, account_number, kind, principal, balance, term_months, opened_on, status,
         reported_on)
    select i.id, 'KILL-' || lpad(n::text, 7, '0'), 'BUSINESS_LOAN', 100000, 90000, 36,
           date '2026-09-05', 'NORMAL', date '2026-09-05'
    from generate_series(1, $2) n, bureau.institutions i
    where i.code = $1
    returning id
)
insert into bureau.account_parties (account_id, subject_id, role)
select a.id, s.id, 'PRIMARY_BORROWER'
from accounts a, bureau.subjects s
where s.identifier = '91330100MA1CHRC0AW'
"""
KILLED_MONTHS = """
select count(*), count(distinct r.account_id)
from bureau.repayments r join bureau.credit_accounts a on a.id = r.account_id
where a.account_number like 'KILL-%'
"""
LAST_FILE_SUBMISSION = (
    "select lines from furnishing.submissions where channel = 'FILE' order by id desc limit 1"
)


@pytest.mark.slow
def test_a_batch_killed_part_way_keeps_what_it_took_and_is_sent_again(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    """A bank's batch job pipes its monthly batch into the command, which is killed (SIGKILL)
    once it has taken the first part, the rest of the batch still to come. What it took stays
    and nothing else is written; sent again whole, the part already in is UNCHANGED, the rest
    is taken, and every month is on file once."""
    dsn = writable_seeded_database_url
    lines = PART_LINES + 5
    asyncio.run(rows(dsn, OPEN_ACCOUNTS, EASTBRIDGE_BANK.code, lines))
    batch = [
        json.dumps(
            {
                "kind": "STATEMENT",
                "accountNumber": f"KILL-{n:07d}",
                "period": "2026-10",
                "status": "N",
                "amountDue": "3000.00",
                "amountPaid": "3000.00",
                "overdueAmount": "0",
                "balance": "87000.00",
            }
        )
        for n in range(1, lines + 1)
    ]
    pipe = tmp_path / "monthly.jsonl"
    os.mkfifo(pipe)
    env = cli_env(home=tmp_path, database_url=dsn)
    env["CREDITGRAPH_FURNISHER_TOKEN"] = token(tmp_path, EASTBRIDGE_BANK.code)
    command = start_cli("furnish", str(pipe), env=env)
    try:
        with pipe.open("w", encoding="utf-8") as writer:
            writer.writelines(line + "\n" for line in batch[:PART_LINES])
            writer.flush()
            # the first part is taken while the batch job has yet to write the rest
            deadline = time.monotonic() + PART_SECONDS
            while asyncio.run(rows(dsn, LAST_FILE_SUBMISSION))[0]["lines"] < PART_LINES:
                if time.monotonic() > deadline or command.poll() is not None:
                    pytest.fail("the first part was not taken while the batch was still coming")
                time.sleep(0.5)
            command.kill()
            said, _ = command.communicate()
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert "summary" not in said, said  # killed mid-batch, before it could answer
    assert tuple(asyncio.run(rows(dsn, KILLED_MONTHS))[0]) == (PART_LINES, PART_LINES)

    status, rejected, summary = furnish(tmp_path, dsn, EASTBRIDGE_BANK.code, batch)
    assert (status, rejected) == (0, [])
    assert (summary["lines"], summary["unchanged"], summary["accepted"]) == (lines, PART_LINES, 5)
    assert tuple(asyncio.run(rows(dsn, KILLED_MONTHS))[0]) == (lines, lines)


async def _furnished_while_another_adds_the_borrower(
    home: Path, dsn: str, batch: Path
) -> tuple[int, str, str]:
    """Run the command on `batch` while another transaction has added the new person its
    account names and not yet committed; commit that once the command waits on it."""
    env = cli_env(home=home, database_url=dsn)
    env["CREDITGRAPH_FURNISHER_TOKEN"] = token(home, EASTBRIDGE_BANK.code)
    other, watcher = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        async with other.transaction():
            await other.execute(
                "insert into bureau.subjects (kind, identifier, name) values ('PERSON', $1, $2)",
                NEW_PERSON,
                "Zhao Lei",
            )
            command = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "creditgraph",
                "furnish",
                str(batch),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            waiting = (
                "select exists (select from pg_stat_activity where wait_event_type = 'Lock' "
                "and datname = current_database())"
            )
            while not await watcher.fetchval(waiting):
                if command.returncode is not None:
                    pytest.fail("the command ended without waiting for the other batch")
                await asyncio.sleep(0.1)
        # the other batch committed: the command's insert of the same person fails on its key
        out, err = await command.communicate()
    finally:
        await other.close()
        await watcher.close()
    assert command.returncode is not None
    return command.returncode, out.decode(), err.decode()


def test_a_new_borrower_another_batch_adds_meanwhile_is_taken_as_known(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    """Two batches at once name the same new person (two banks' cards the same night): the one
    that adds the person second finds the first has, and takes its line with that person,
    rather than losing its part to a stack trace."""
    dsn = writable_seeded_database_url
    batch = tmp_path / "cards.jsonl"
    batch.write_text(json.dumps(account()) + "\n", encoding="utf-8")
    status, out, err = asyncio.run(_furnished_while_another_adds_the_borrower(tmp_path, dsn, batch))
    assert "Traceback" not in err, err
    assert status == 0, out + err
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert (summary["accepted"], summary["rejected"]) == (1, 0)
    parties = asyncio.run(
        rows(
            dsn,
            "select s.identifier, count(*) over () from bureau.account_parties p "
            "join bureau.credit_accounts a on a.id = p.account_id "
            "join bureau.subjects s on s.id = p.subject_id where a.account_number = $1",
            CARD,
        )
    )
    assert [tuple(p) for p in parties] == [(NEW_PERSON, 1)]
    assert (
        asyncio.run(
            rows(dsn, "select count(*) from bureau.subjects where identifier = $1", NEW_PERSON)
        )[0][0]
        == 1
    )
