"""Negative records age out five years after the behaviour ended, on that day, with no job.

Two people with the same file, furnished through `POST /furnish` as a bank, a court and an
agency send it: every negative record of one ended five years ago today (so today is the day
it leaves), of the other five years ago tomorrow (so today is the day before). Each is read
over HTTP in every edition, with the signals and the scores; the only difference between the
two answers is that the first has lost its negative records and whatever was derived from
them, and the second has kept them. Positive information (an award, a red list entry) ended
on the same days stays with both.

The bureau here holds only these two files, so its data month is five years back and the
24-month windows of the signals and the scorecard still reach the months that age out.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from creditgraph import seed
from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_furnisher_token
from creditgraph.db.queries import load_queries
from creditgraph.gateway.http import Access
from creditgraph.identifiers import make_resident_id
from creditgraph.resources import policy_path
from creditgraph.scores.recompute import recompute_bureau_scores
from creditgraph.seed.builder import Builder
from creditgraph.seed.cast import reference_data
from creditgraph.seed.personas import (
    EASTBRIDGE_BANK,
    HARBOUR_FINANCE,
    TAX_BUREAU,
    XIHU_COURT,
)
from creditgraph.seed.tables import COLUMNS, Rows
from creditgraph.server import build_app
from tests.http_app import NO_ENV, bearer, in_process_gateway, uvicorn_serving

SEED_SQL = load_queries(Path(seed.__file__).parent / "sql" / "seed.sql")
LEAVES_TODAY = make_resident_id("330106", date(1980, 3, 14), 31)
LEAVES_TOMORROW = make_resident_id("330106", date(1981, 7, 2), 33)

REPORT = """
query($id: String!, $purpose: InquiryPurpose!) {
  subject(identifier: $id, purpose: $purpose) { ...report }
}
"""
OWN_REPORT = "query { me { ...report } }"


def fragment(edition: str) -> str:
    """What each edition may read: the public records everywhere, the account's months, the
    summary and the scores where the edition shows them."""
    public = """
        enforcementCases { nodes { caseNumber } }
        dishonestListings { caseNumber }
        consumptionRestrictions { caseNumber }
        administrativeActions { kind decisionNumber }
        taxArrears { taxType }
        listEntries { colour listName }
        civilJudgments { caseNumber }
        utilityArrears { service }
        publicRecordCount
    """
    summary = """
        creditSummary {
          overdueMonths24m longestOverdueRun24m seriousDelinquency
          fourNots { notBlack { passed } }
        }
    """
    accounts = """
        accounts { nodes { account {
          repaymentGrid { statuses }
          repayments { nodes { month status } }
        } } }
        scores(scale: BUREAU) { value reasons { code } }
    """
    history = "scoreHistory(scale: BUREAU) { nodes { value reasons { code } } }"
    shown = {
        "SUBJECT": public + summary + accounts + history,
        "BANK": public + summary + accounts,
        "SOCIAL": public + summary,
        "GOVERNMENT": public,
    }[edition]
    return f"fragment report on Subject {{ {shown} }}"


async def reference_only(pool: asyncpg.Pool) -> None:
    """Institutions, their requester records, mandates and score models: no one's file."""
    rows = Rows()
    reference_data(Builder(random.Random(1), rows))
    async with pool.acquire() as conn:
        for table, _, data in rows.drain():
            schema, name = table.split(".")
            await conn.copy_to_table(
                name, schema_name=schema, columns=COLUMNS[table], source=BytesIO(data)
            )
        await conn.execute(SEED_SQL["advance_identities"])


def months_before(day: date, months: int) -> date:
    number = day.year * 12 + day.month - 1 - months
    return date(number // 12, number % 12 + 1, 1)


def bank_file(who: str, ended: date) -> list[dict[str, Any]]:
    """A loan whose last three months were overdue (连三) until it was closed on `ended`."""
    number = f"AGE-{who[-4:]}"
    opened = months_before(ended, 5)
    told = (opened + timedelta(days=70)).isoformat()
    account = {
        "kind": "ACCOUNT",
        "accountNumber": number,
        "accountType": "CONSUMER_LOAN",
        "principal": "20000.00",
        "termMonths": 12,
        "balance": "0",
        "openedOn": opened.isoformat(),
        "status": "CLOSED",
        "closedOn": ended.isoformat(),
        "reportedOn": ended.isoformat(),
        "borrowerIdentifier": who,
        "borrowerName": f"Borrower {who[-4:]}",
    }
    months = []
    for back, status in ((5, "N"), (4, "N"), (3, "1"), (2, "2"), (1, "3"), (0, "C")):
        overdue = status in "123"
        months.append(
            {
                "kind": "STATEMENT",
                "accountNumber": number,
                "period": months_before(ended, back).strftime("%Y-%m"),
                "status": status,
                "amountDue": "1800.00",
                "amountPaid": "0" if overdue else "1800.00",
                "overdueAmount": f"{1800 * int(status)}.00" if overdue else "0",
                "balance": "0" if status == "C" else "12000.00",
                **({"subjectNotifiedOn": told} if overdue else {}),
            }
        )
    return [account, *months]


def court_file(who: str, ended: date) -> list[dict[str, Any]]:
    """A case concluded, a listing removed and a restriction lifted, all on `ended`."""
    filed = ended - timedelta(days=400)
    common = {
        "subjectIdentifier": who,
        "subjectName": f"Borrower {who[-4:]}",
        "subjectNotifiedOn": (filed + timedelta(days=1)).isoformat(),
    }
    case = f"({filed.year})浙0106执{who[-4:]}号"
    return [
        {
            "kind": "ENFORCEMENT_CASE",
            "key": f"case-{who}",
            "caseNumber": case,
            "filedOn": filed.isoformat(),
            "amount": "50000.00",
            "status": "CONCLUDED",
            "closedOn": ended.isoformat(),
            **common,
        },
        {
            "kind": "DISHONEST_LISTING",
            "key": f"listing-{who}",
            "caseNumber": case,
            "obligation": "repay 50000",
            "performance": "NONE",
            "reasons": ["REFUSES_WITH_ABILITY_TO_PAY"],
            "publishedOn": (filed + timedelta(days=90)).isoformat(),
            "removedOn": ended.isoformat(),
            "removalReason": "PERFORMED",
            **common,
        },
        {
            "kind": "CONSUMPTION_RESTRICTION",
            "key": f"restriction-{who}",
            "caseNumber": case,
            "restrictions": ["FLIGHTS"],
            "issuedOn": (filed + timedelta(days=30)).isoformat(),
            "liftedOn": ended.isoformat(),
            **common,
        },
    ]


def agency_file(who: str, ended: date) -> list[dict[str, Any]]:
    """A penalty decided, a tax arrear settled and a black list entry exited on `ended`; an
    award and a red list entry of the same days, which are not negative."""
    name = {"subjectIdentifier": who, "subjectName": f"Borrower {who[-4:]}"}
    told = {"subjectNotifiedOn": (ended - timedelta(days=300)).isoformat()}
    notice = ended - timedelta(days=400)

    def entry(colour: str) -> dict[str, Any]:
        return {
            "kind": "LIST_ENTRY",
            "key": f"{colour}-{who}",
            "colour": colour,
            "listName": f"{colour.lower()} taxpayers",
            "reason": "tax record",
            "noticeStartsOn": notice.isoformat(),
            "noticeEndsOn": (notice + timedelta(days=9)).isoformat(),
            "effectiveOn": (notice + timedelta(days=10)).isoformat(),
            "exitedOn": ended.isoformat(),
            "exitReason": "EXPIRED",
            **name,
            **(told if colour == "BLACK" else {}),
        }

    def action(kind: str) -> dict[str, Any]:
        return {
            "kind": "ADMINISTRATIVE_ACTION",
            "key": f"{kind}-{who}",
            "actionType": kind,
            "decisionNumber": f"杭税{kind[0]}{who[-4:]}号",
            "category": "tax",
            "description": "late filing" if kind == "PENALTY" else "exemplary taxpayer",
            "decidedOn": ended.isoformat(),
            **name,
            **({"amount": "2000.00", **told} if kind == "PENALTY" else {}),
        }

    return [
        action("PENALTY"),
        action("AWARD"),
        {
            "kind": "TAX_ARREAR",
            "key": f"arrear-{who}",
            "taxType": "VAT",
            "amount": "9000.00",
            "periodStart": (ended - timedelta(days=500)).isoformat(),
            "periodEnd": (ended - timedelta(days=410)).isoformat(),
            "recordedOn": (ended - timedelta(days=400)).isoformat(),
            "settledOn": ended.isoformat(),
            **name,
            **told,
        },
        entry("BLACK"),
        entry("RED"),
    ]


# kinds no furnisher sends (the seed's): written as the tables hold them
CIVIL_JUDGMENT = """
insert into public_records.civil_judgments
    (subject_identifier, subject_name, case_number, court_code, court_name, cause, filed_on,
     judged_on, outcome, amount)
values ($1, 'Borrower', '(2020)浙0106民初' || right($1, 4) || '号', $3, 'Xihu court',
        'loan dispute', $2::date - 300, $2, 'JUDGMENT', 5000)
"""
UTILITY_ARREAR = """
insert into public_records.utility_arrears
    (subject_identifier, provider_name, service, amount, since_month, recorded_on, settled_on)
values ($1, 'Hangzhou Water', 'WATER', 300, date_trunc('month', $2::date - 200),
        $2::date - 150, $2)
"""


async def body(lines: list[Any]) -> AsyncIterator[bytes]:
    for line in lines:
        yield json.dumps(line).encode() + b"\n"


@pytest.fixture
async def bureau(migrated_pool: asyncpg.Pool) -> asyncpg.Pool:
    await reference_only(migrated_pool)
    return migrated_pool


async def test_negative_records_leave_every_edition_the_signals_and_the_scores_on_their_day(
    tmp_path: Path, bureau: asyncpg.Pool
) -> None:
    async with bureau.acquire() as conn:
        today: date = await conn.fetchval("select common.today()")
        ended = {LEAVES_TODAY: today.replace(year=today.year - 5)}
        ended[LEAVES_TOMORROW] = ended[LEAVES_TODAY] + timedelta(days=1)
        leaves = {
            who: await conn.fetchval("select common.ages_out_on($1)", day)
            for who, day in ended.items()
        }
    assert leaves == {LEAVES_TODAY: today, LEAVES_TOMORROW: today + timedelta(days=1)}

    gateway = in_process_gateway(bureau)
    access = Access(
        TokenVerifier.from_settings(tmp_path, NO_ENV),
        PolicyGateway(gateway, Policy.load(policy_path()), bureau),
        TokenVerifier.from_settings(tmp_path, NO_ENV, furnishing=True),
    )
    app = build_app(gateway, pool=bureau, access=access)
    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as client:

        async def furnish(institution: str, lines: list[dict[str, Any]]) -> None:
            token = mint_furnisher_token(tmp_path, institution, "ageing", env=NO_ENV)
            response = await client.post(
                "/furnish",
                content=body(lines),
                headers={"authorization": f"Bearer {token}", "content-type": "application/jsonl"},
            )
            answers = [json.loads(line) for line in response.text.splitlines()]
            assert answers[-1]["summary"]["rejected"] == 0, answers

        async def ask(headers: dict[str, str], query: str, **variables: str) -> dict[str, Any]:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            answer: dict[str, Any] = response.json()
            assert "errors" not in answer, answer
            data: dict[str, Any] = answer["data"]
            return data

        for who, day in ended.items():
            await furnish(EASTBRIDGE_BANK.code, bank_file(who, day))
            await furnish(XIHU_COURT.code, court_file(who, day))
            await furnish(TAX_BUREAU.code, agency_file(who, day))
            async with bureau.acquire() as conn:
                await conn.execute(CIVIL_JUDGMENT, who, day, XIHU_COURT.code)
                await conn.execute(UTILITY_ARREAR, who, day)
            subject = bearer(tmp_path, "SUBJECT", who)
            for grantee, edition in ((EASTBRIDGE_BANK, "BANK"), (HARBOUR_FINANCE, "SOCIAL")):
                grant = (
                    "mutation($to: String!, $edition: Edition!) { grantConsent(grantee: $to, "
                    "purpose: LOAN_APPROVAL, edition: $edition) { id } }"
                )
                await ask(subject, grant, to=grantee.code, edition=edition)

        # furnishing scored both today, with the months still on the reports; a score made
        # yesterday counted both files' overdue months
        async with bureau.acquire() as conn:
            yesterday = datetime.combine(today - timedelta(days=1), time(12), UTC)
            await recompute_bureau_scores(conn, at=yesterday)

        reports: dict[tuple[str, str], dict[str, Any]] = {}
        for who in ended:
            for edition, headers, purpose in (
                ("SUBJECT", bearer(tmp_path, "SUBJECT", who), None),
                ("BANK", bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "o"), "LOAN_APPROVAL"),
                ("SOCIAL", bearer(tmp_path, "BANK", HARBOUR_FINANCE.code, "o"), "LOAN_APPROVAL"),
                (
                    "GOVERNMENT",
                    bearer(tmp_path, "GOVERNMENT", TAX_BUREAU.code),
                    "PUBLIC_CREDIT_CHECK",
                ),
            ):
                if purpose is None:
                    data = await ask(headers, OWN_REPORT + fragment(edition))
                    reports[who, edition] = data["me"]
                else:
                    data = await ask(headers, REPORT + fragment(edition), id=who, purpose=purpose)
                    reports[who, edition] = data["subject"]

    for edition in ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT"):
        kept, gone = reports[LEAVES_TOMORROW, edition], reports[LEAVES_TODAY, edition]
        # the day before: every record is there; on the day: only the positive ones
        assert len(kept["enforcementCases"]["nodes"]) == 1, edition
        assert gone["enforcementCases"]["nodes"] == [], edition
        for field in ("dishonestListings", "consumptionRestrictions", "taxArrears"):
            assert len(kept[field]) == 1, (edition, field)
            assert gone[field] == [], (edition, field)
        assert sorted(a["kind"] for a in kept["administrativeActions"]) == ["AWARD", "PENALTY"]
        assert [a["kind"] for a in gone["administrativeActions"]] == ["AWARD"]
        assert sorted(e["colour"] for e in kept["listEntries"]) == ["BLACK", "RED"]
        assert [e["colour"] for e in gone["listEntries"]] == ["RED"]
        for field in ("civilJudgments", "utilityArrears"):
            assert len(kept[field]) == 1, (edition, field)
            assert gone[field] == [], (edition, field)
        # the adverse record count: the concluded case and the penalty, then nothing
        assert (kept["publicRecordCount"], gone["publicRecordCount"]) == (2, 0), edition

    for edition in ("SUBJECT", "BANK", "SOCIAL"):
        kept, gone = reports[LEAVES_TOMORROW, edition], reports[LEAVES_TODAY, edition]
        assert kept["creditSummary"] == {
            "overdueMonths24m": 3,
            "longestOverdueRun24m": 3,
            "seriousDelinquency": True,
            "fourNots": {"notBlack": {"passed": True}},
        }, edition
        assert gone["creditSummary"] == {
            "overdueMonths24m": 0,
            "longestOverdueRun24m": 0,
            "seriousDelinquency": False,
            "fourNots": {"notBlack": {"passed": True}},
        }, edition

    for edition in ("SUBJECT", "BANK"):
        kept, gone = reports[LEAVES_TOMORROW, edition], reports[LEAVES_TODAY, edition]
        (kept_account,) = kept["accounts"]["nodes"]
        (gone_account,) = gone["accounts"]["nodes"]
        assert [m["status"] for m in kept_account["account"]["repayments"]["nodes"]] == list(
            "C321NN"
        )
        # the overdue months leave; the months in order and the settlement stay
        assert [m["status"] for m in gone_account["account"]["repayments"]["nodes"]] == list("CNN")
        assert kept_account["account"]["repaymentGrid"]["statuses"].startswith("C321NN/")
        assert gone_account["account"]["repaymentGrid"]["statuses"].startswith("C###NN/")
        # the latest score counts the months the day before they leave, and not on the day
        delinquency = {"SERIOUS_DELINQUENCY", "RECENT_DELINQUENCY"}
        ((kept_score,), (score,)) = kept["scores"], gone["scores"]
        assert delinquency <= {r["code"] for r in kept_score["reasons"]}
        assert not delinquency & {r["code"] for r in score["reasons"]}
        assert score["value"] > kept_score["value"]

    # the score made yesterday counted the months: it is shown the day before they leave, and
    # no longer on the day they leave
    kept, gone = reports[LEAVES_TOMORROW, "SUBJECT"], reports[LEAVES_TODAY, "SUBJECT"]
    history = kept["scoreHistory"]["nodes"]
    assert len(history) == 2
    assert all(delinquency <= {r["code"] for r in o["reasons"]} for o in history)
    assert [o["value"] for o in gone["scoreHistory"]["nodes"]] == [gone["scores"][0]["value"]]
