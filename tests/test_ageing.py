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
from creditgraph.gateway.stages.pipeline import Access
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
from tests.bureau_clock import set_bureau_day
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
        scores(scale: BUREAU) { value observedAt reasons { code } }
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


class Desk:
    """The bureau's HTTP app seen from outside: furnishers send files, readers ask."""

    def __init__(self, client: httpx.AsyncClient, home: Path) -> None:
        self.client = client
        self.home = home

    async def furnish(self, institution: str, lines: list[dict[str, Any]]) -> None:
        token = mint_furnisher_token(self.home, institution, "ageing", env=NO_ENV)
        response = await self.client.post(
            "/furnish",
            content=body(lines),
            headers={"authorization": f"Bearer {token}", "content-type": "application/jsonl"},
        )
        answers = [json.loads(line) for line in response.text.splitlines()]
        assert answers[-1]["summary"]["rejected"] == 0, answers

    async def ask(self, headers: dict[str, str], query: str, **variables: str) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        answer: dict[str, Any] = response.json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    async def file_of(self, pool: asyncpg.Pool, who: str, ended: date) -> None:
        """Every kind of negative record of `who`, ended on `ended`, and consent for the
        BANK and SOCIAL editions."""
        await self.furnish(EASTBRIDGE_BANK.code, bank_file(who, ended))
        await self.furnish(XIHU_COURT.code, court_file(who, ended))
        await self.furnish(TAX_BUREAU.code, agency_file(who, ended))
        async with pool.acquire() as conn:
            await conn.execute(CIVIL_JUDGMENT, who, ended, XIHU_COURT.code)
            await conn.execute(UTILITY_ARREAR, who, ended)
        subject = bearer(self.home, "SUBJECT", who)
        for grantee, edition in ((EASTBRIDGE_BANK, "BANK"), (HARBOUR_FINANCE, "SOCIAL")):
            grant = (
                "mutation($to: String!, $edition: Edition!) { grantConsent(grantee: $to, "
                "purpose: LOAN_APPROVAL, edition: $edition) { id } }"
            )
            await self.ask(subject, grant, to=grantee.code, edition=edition)

    async def reports(self, who: str, extra: str = "") -> dict[str, dict[str, Any]]:
        """`who`'s report in every edition (the SUBJECT's with `extra` fields besides)."""
        found: dict[str, dict[str, Any]] = {}
        for edition, headers, purpose in (
            ("SUBJECT", bearer(self.home, "SUBJECT", who), None),
            ("BANK", bearer(self.home, "BANK", EASTBRIDGE_BANK.code, "o"), "LOAN_APPROVAL"),
            ("SOCIAL", bearer(self.home, "BANK", HARBOUR_FINANCE.code, "o"), "LOAN_APPROVAL"),
            (
                "GOVERNMENT",
                bearer(self.home, "GOVERNMENT", TAX_BUREAU.code),
                "PUBLIC_CREDIT_CHECK",
            ),
        ):
            if purpose is None:
                own = "query { me { ...report " + extra + " } }"
                found[edition] = (await self.ask(headers, own + fragment(edition)))["me"]
            else:
                query = REPORT + fragment(edition)
                data = await self.ask(headers, query, id=who, purpose=purpose)
                found[edition] = data["subject"]
        return found


def serving(tmp_path: Path, pool: asyncpg.Pool) -> Any:
    """The gateway's app with the edition policy and furnishing, served over real HTTP."""
    gateway = in_process_gateway(pool)
    access = Access(
        TokenVerifier.from_settings(tmp_path, NO_ENV),
        PolicyGateway(gateway, Policy.load(policy_path()), pool),
        TokenVerifier.from_settings(tmp_path, NO_ENV, furnishing=True),
    )
    return uvicorn_serving(build_app(gateway, pool=pool, access=access))


def assert_kept(kept: dict[str, Any], edition: str) -> None:
    """Every record is there, and what is derived from them (the day before)."""
    assert len(kept["enforcementCases"]["nodes"]) == 1, edition
    for field in (
        "dishonestListings",
        "consumptionRestrictions",
        "taxArrears",
        "civilJudgments",
        "utilityArrears",
    ):
        assert len(kept[field]) == 1, (edition, field)
    assert sorted(a["kind"] for a in kept["administrativeActions"]) == ["AWARD", "PENALTY"]
    assert sorted(e["colour"] for e in kept["listEntries"]) == ["BLACK", "RED"]
    # the adverse record count: the concluded case and the penalty
    assert kept["publicRecordCount"] == 2, edition
    if "creditSummary" in kept:
        assert kept["creditSummary"] == {
            "overdueMonths24m": 3,
            "longestOverdueRun24m": 3,
            "seriousDelinquency": True,
            "fourNots": {"notBlack": {"passed": True}},
        }, edition
    if "accounts" in kept:
        (account,) = kept["accounts"]["nodes"]
        statuses = [m["status"] for m in account["account"]["repayments"]["nodes"]]
        assert statuses == list("C321NN"), edition
        assert account["account"]["repaymentGrid"]["statuses"].startswith("C321NN/")
        (score,) = kept["scores"]
        assert {r["code"] for r in score["reasons"]} >= DELINQUENCY


def assert_gone(gone: dict[str, Any], edition: str) -> None:
    """Only the positive records are left, and nothing derived from the negative ones."""
    assert gone["enforcementCases"]["nodes"] == [], edition
    for field in (
        "dishonestListings",
        "consumptionRestrictions",
        "taxArrears",
        "civilJudgments",
        "utilityArrears",
    ):
        assert gone[field] == [], (edition, field)
    assert [a["kind"] for a in gone["administrativeActions"]] == ["AWARD"]
    assert [e["colour"] for e in gone["listEntries"]] == ["RED"]
    assert gone["publicRecordCount"] == 0, edition
    if "creditSummary" in gone:
        assert gone["creditSummary"] == {
            "overdueMonths24m": 0,
            "longestOverdueRun24m": 0,
            "seriousDelinquency": False,
            "fourNots": {"notBlack": {"passed": True}},
        }, edition
    if "accounts" in gone:
        if edition in UNDER_A_GRANT:
            # the account was settled that day five years ago: before the first day of the
            # longest data period a grant can hold, so its holder is not answered it at all
            assert gone["accounts"]["nodes"] == [], edition
        else:
            (account,) = gone["accounts"]["nodes"]
            # the overdue months leave; the months in order and the settlement stay
            statuses = [m["status"] for m in account["account"]["repayments"]["nodes"]]
            assert statuses == list("CNN"), edition
            assert account["account"]["repaymentGrid"]["statuses"].startswith("C###NN/")
        # a score is shown only if it counted none of them (none at all until one is made)
        for score in gone["scores"]:
            assert not DELINQUENCY & {r["code"] for r in score["reasons"]}, edition


DELINQUENCY = {"SERIOUS_DELINQUENCY", "RECENT_DELINQUENCY"}
# the editions read under a grant, whose data period (60 months at most) bounds the records
UNDER_A_GRANT = {"BANK", "SOCIAL"}


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

    async with serving(tmp_path, bureau) as url, httpx.AsyncClient(base_url=url) as client:
        desk = Desk(client, tmp_path)
        for who, day in ended.items():
            await desk.file_of(bureau, who, day)
        # furnishing scored both today, with the months still on the reports; a score made
        # yesterday counted both files' overdue months
        async with bureau.acquire() as conn:
            yesterday = datetime.combine(today - timedelta(days=1), time(12), UTC)
            await recompute_bureau_scores(conn, at=yesterday)
        reports = {who: await desk.reports(who) for who in ended}

    for edition in ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT"):
        kept, gone = reports[LEAVES_TOMORROW][edition], reports[LEAVES_TODAY][edition]
        assert_kept(kept, edition)
        assert_gone(gone, edition)
    for edition in ("SUBJECT", "BANK"):
        kept, gone = reports[LEAVES_TOMORROW][edition], reports[LEAVES_TODAY][edition]
        assert gone["scores"][0]["value"] > kept["scores"][0]["value"]

    # the score made yesterday counted the months: it is shown the day before they leave, and
    # no longer on the day they leave
    kept, gone = reports[LEAVES_TOMORROW]["SUBJECT"], reports[LEAVES_TODAY]["SUBJECT"]
    history = kept["scoreHistory"]["nodes"]
    assert len(history) == 2
    assert all({r["code"] for r in o["reasons"]} >= DELINQUENCY for o in history)
    assert [o["value"] for o in gone["scoreHistory"]["nodes"]] == [gone["scores"][0]["value"]]


# another scorer's observation of one subject, made on the day $2 on the scale $3 (in its
# first band, $4 above its bottom), which the bureau is told nothing of: what it counted is
# unknown
OTHER_SCORE = """
insert into scores.observations (model_id, subject_identifier, value, band, observed_at)
select m.id, $1, b.lower + $4::int, b.name, $2::date + time '12:00'
from scores.models m
join scores.bands b on b.model_id = m.id and b.ordinal = 1
where m.scale = $3
"""
OTHER_SCORES = """
    city: scores(scale: CITY) { value }
    cityHistory: scoreHistory(scale: CITY) { nodes { value } }
    commercial: scores(scale: COMMERCIAL) { value }
    negativeNotices { recordId period }
"""


async def test_one_record_read_the_day_before_and_the_day_it_ages_out_by_the_one_clock(
    tmp_path: Path, bureau: asyncpg.Pool
) -> None:
    # one file, every negative record ended on one day: the bureau's clock is moved to the day
    # before it ages out, then to the day it does, and the same file is read on both
    ended = date(2020, 6, 15)
    leaves = date(2025, 6, 15)
    assert await bureau.fetchval("select common.ages_out_on($1)", ended) == leaves
    await set_bureau_day(bureau, leaves - timedelta(days=1))

    async with serving(tmp_path, bureau) as url, httpx.AsyncClient(base_url=url) as client:
        desk = Desk(client, tmp_path)
        await desk.file_of(bureau, LEAVES_TODAY, ended)  # furnishing scores it on that day
        async with bureau.acquire() as conn:
            for scale in ("CITY", "COMMERCIAL"):
                # made while the records were on the file: shown until the first ages out
                made = leaves - timedelta(days=30)
                await conn.execute(OTHER_SCORE, LEAVES_TODAY, made, scale, 0)
            # a city score made before any of the records began: it counted none of them
            await conn.execute(OTHER_SCORE, LEAVES_TODAY, date(2018, 1, 10), "CITY", 1)
            # on the day, the records that have left are this subject's own: another subject,
            # with no record, is not taken to have had them
            left = "select min(leaves) from scores.negative_records_left($1, $2)"
            assert await conn.fetchval(left, [LEAVES_TODAY], leaves) == leaves
            assert await conn.fetchval(left, [LEAVES_TODAY], leaves - timedelta(days=1)) is None
            assert await conn.fetchval(left, [LEAVES_TOMORROW], leaves) is None
        before = await desk.reports(LEAVES_TODAY, OTHER_SCORES)
        await set_bureau_day(bureau, leaves)
        on_the_day = await desk.reports(LEAVES_TODAY, OTHER_SCORES)
        # the bureau scores everyone by the same clock: on the day, without the months
        async with bureau.acquire() as conn:
            await recompute_bureau_scores(conn)
        rescored = await desk.reports(LEAVES_TODAY, OTHER_SCORES)

    for edition in ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT"):
        assert_kept(before[edition], edition)
        assert_gone(on_the_day[edition], edition)
    # furnishing scored the file the day before, counting the overdue months: that score is
    # shown the day before and not on the day, until the bureau scores the file again
    for edition in ("SUBJECT", "BANK"):
        assert on_the_day[edition]["scores"] == [], edition
        (score,) = rescored[edition]["scores"]
        assert not DELINQUENCY & {r["code"] for r in score["reasons"]}, edition
        assert score["observedAt"].startswith(leaves.isoformat()), edition
        assert score["value"] > before[edition]["scores"][0]["value"], edition

    # the city and commercial scores made while the records were on the file are shown the
    # day before, and not on the day; the city score made before them stays
    kept, gone = before["SUBJECT"], on_the_day["SUBJECT"]
    (city,) = kept["city"]
    (old_city,) = gone["city"]
    assert old_city["value"] == city["value"] + 1
    assert [o["value"] for o in kept["cityHistory"]["nodes"]] == [city["value"], city["value"] + 1]
    assert [o["value"] for o in gone["cityHistory"]["nodes"]] == [city["value"] + 1]
    assert len(kept["commercial"]) == 1
    assert gone["commercial"] == []

    # the notices the furnishers gave of the negative records leave with them
    told = {notice["recordId"].split(":")[0] for notice in kept["negativeNotices"]}
    assert told >= {"CreditAccount", "EnforcementCase", "ListEntry"}, kept["negativeNotices"]
    assert gone["negativeNotices"] == []
