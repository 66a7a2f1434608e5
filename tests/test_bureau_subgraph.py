"""The bureau subgraph against seeded PostgreSQL: what a lender or subject reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from creditgraph.bureau.schema import schema
from creditgraph.requester import Requester
from creditgraph.seed.personas import PERSONA
from tests.graphql_helpers import codes, counting_pool, data_of, execute

SUBJECT = """
query($identifier: String!) { subjects(identifiers: [$identifier]) { %s } }
"""

ENTITY = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Subject { %s } } }
"""


async def subject(pool: asyncpg.Pool, key: str, selection: str) -> dict[str, Any]:
    data = await data_of(schema, pool, SUBJECT % selection, {"identifier": PERSONA[key].identifier})
    found: dict[str, Any] = data["subjects"][0]
    return found


async def entity(pool: asyncpg.Pool, key: str, selection: str, **extra: Any) -> dict[str, Any]:
    rep = {"__typename": "Subject", "identifier": PERSONA[key].identifier, **extra}
    data = await data_of(schema, pool, ENTITY % selection, {"reps": [rep]})
    found: dict[str, Any] = data["_entities"][0]
    return found


# -- identity and marriage ----------------------------------------------------


async def test_spouses_point_at_each_other(seeded_pool: asyncpg.Pool) -> None:
    husband = await subject(
        seeded_pool, "husband", "name spouse { identifier spouse { identifier } }"
    )
    assert husband["spouse"]["identifier"] == PERSONA["wife"].identifier
    assert husband["spouse"]["spouse"]["identifier"] == PERSONA["husband"].identifier


async def test_phones_default_to_the_last_five_newest_first(seeded_pool: asyncpg.Pool) -> None:
    conn = await seeded_pool.acquire()
    try:
        row = await conn.fetchrow(
            "select subject_id from bureau.phones group by subject_id having count(*) > 5 limit 1"
        )
        assert row is not None, "the seed should give someone more than five numbers"
        identifier = await conn.fetchval(
            "select identifier from bureau.subjects where id = $1", row["subject_id"]
        )
    finally:
        await seeded_pool.release(conn)
    query = SUBJECT % "phones { reportedOn } all: phones(limit: 50) { reportedOn }"
    found = (await data_of(schema, seeded_pool, query, {"identifier": identifier}))["subjects"][0]
    assert len(found["phones"]) == 5
    assert len(found["all"]) > 5
    dates = [p["reportedOn"] for p in found["all"]]
    assert dates == sorted(dates, reverse=True)
    assert found["phones"] == found["all"][:5]


# -- accounts -----------------------------------------------------------------

HOLDINGS = """accounts { totalCount nodes { role joint account {
    id kind lender { code } parties { role subject { identifier } } } } }"""


async def test_joint_mortgage_shows_on_both_spouses_with_each_role(
    seeded_pool: asyncpg.Pool,
) -> None:
    husband = await subject(seeded_pool, "husband", HOLDINGS)
    wife = await subject(seeded_pool, "wife", HOLDINGS)

    def mortgages(found: dict[str, Any]) -> dict[str, str]:
        return {
            n["account"]["id"]: n["role"]
            for n in found["accounts"]["nodes"]
            if n["account"]["kind"] == "MORTGAGE"
        }

    his, hers = mortgages(husband), mortgages(wife)
    shared = set(his) & set(hers)
    assert len(shared) == 1
    (mortgage,) = shared
    assert his[mortgage] == "PRIMARY_BORROWER"
    assert hers[mortgage] == "CO_BORROWER"
    node = next(n for n in husband["accounts"]["nodes"] if n["account"]["id"] == mortgage)
    assert node["joint"] is True
    parties = {p["subject"]["identifier"] for p in node["account"]["parties"]}
    assert parties == {PERSONA["husband"].identifier, PERSONA["wife"].identifier}


async def test_repayment_grid_is_most_recent_first(seeded_pool: asyncpg.Pool) -> None:
    found = await subject(
        seeded_pool,
        "late_payer",
        """accounts { nodes { account { kind
            repaymentGrid(months: 24) { latestMonth months statuses }
            repayments(months: 24) { totalCount nodes { month status } } } } }""",
    )
    car = next(
        n["account"] for n in found["accounts"]["nodes"] if n["account"]["kind"] == "CAR_LOAN"
    )
    grid = car["repaymentGrid"]
    assert grid["months"] == 24
    assert len(grid["statuses"]) == 24
    # three months overdue in a row, repaid since: read newest first, 3 comes before 2 and 1
    assert "321" in grid["statuses"]
    months = car["repayments"]["nodes"]
    assert months[0]["month"] == grid["latestMonth"]
    assert "".join(m["status"] for m in months) == grid["statuses"].rstrip("/")


ENTITY_HISTORY = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Subject {
      accounts { nodes { account {
        repaymentGrid(months: 48) { months }
        repayments(months: 48) { totalCount nodes { month } }
      } } }
    }
  }
}
"""


@pytest.mark.parametrize("limit", [None, 3, 24])
async def test_the_requesters_history_limit_holds_an_entity_fetch(
    seeded_pool: asyncpg.Pool, limit: int | None
) -> None:
    """The history limit travels with the requester the gateway names, not in an argument of
    a root field, so it holds an `_entities` fetch (how the gateway reaches the bureau after
    another subgraph) as it holds a root's: no month past it is answered, whatever the
    history arguments ask."""
    requester = Requester("SUBJECT", PERSONA["husband"].identifier, None, history_months=limit)
    data = await data_of(
        schema,
        seeded_pool,
        ENTITY_HISTORY,
        {
            "representations": [
                {"__typename": "Subject", "identifier": PERSONA["husband"].identifier}
            ]
        },
        requester=requester,
    )
    accounts = [node["account"] for node in data["_entities"][0]["accounts"]["nodes"]]
    grids = {account["repaymentGrid"]["months"] for account in accounts}
    counts = [account["repayments"]["totalCount"] for account in accounts]
    assert grids == {48 if limit is None else limit}
    assert max(counts) == (48 if limit is None else limit)
    assert all(
        len(account["repayments"]["nodes"]) == count
        for account, count in zip(accounts, counts, strict=True)
    )


async def test_grid_marks_months_before_opening(seeded_pool: asyncpg.Pool) -> None:
    found = await subject(
        seeded_pool,
        "thin_file",
        "accounts { nodes { account { openedOn repaymentGrid(months: 12) { statuses } } } }",
    )
    (node,) = found["accounts"]["nodes"]
    statuses = node["account"]["repaymentGrid"]["statuses"]
    # opened 2026-03: March to October are its 8 months, the 4 before are '/'
    assert statuses.endswith("////")
    assert "/" not in statuses[:8]


async def test_accounts_page_with_cursors(seeded_pool: asyncpg.Pool) -> None:
    query = SUBJECT % (
        "accounts(first: $first, after: $after) "
        "{ totalCount pageInfo { hasNextPage endCursor } nodes { account { id } } }"
    )
    query = query.replace(
        "$identifier: String!", "$identifier: String!, $first: Int, $after: String"
    )
    identifier = PERSONA["wife"].identifier
    seen: list[str] = []
    after = None
    while True:
        page = (
            await data_of(
                schema, seeded_pool, query, {"identifier": identifier, "first": 1, "after": after}
            )
        )["subjects"][0]["accounts"]
        seen += [n["account"]["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"] >= 2
    assert len(set(seen)) == len(seen)


# -- summary ------------------------------------------------------------------

SUMMARY = """creditSummary { accountCount badDebt seriousDelinquency longestOverdueRun24m
    overdueMonths24m currentOverdueAccounts currentOverdueAmount hardInquiries6m
    hardInquiryWarning utilisation utilisationLevel guaranteesGiven guaranteedAmount
    fourNots { passed notBlack { passed reasons } notWhite { passed reasons }
               notTooMany { passed reasons } notMessy { passed reasons } } }"""


async def test_model_borrower_passes_the_four_nots(seeded_pool: asyncpg.Pool) -> None:
    found = await entity(seeded_pool, "model_borrower", SUMMARY, blacklisted=False)
    summary = found["creditSummary"]
    assert summary["fourNots"]["passed"] is True
    assert summary["seriousDelinquency"] is False
    assert summary["badDebt"] is False


async def test_without_public_records_not_black_fails_closed(seeded_pool: asyncpg.Pool) -> None:
    found = await subject(seeded_pool, "model_borrower", SUMMARY)
    not_black = found["creditSummary"]["fourNots"]["notBlack"]
    assert not_black["passed"] is False
    assert "public records were not consulted" in not_black["reasons"][0]


async def test_late_payer_carries_the_serious_mark(seeded_pool: asyncpg.Pool) -> None:
    summary = (await entity(seeded_pool, "late_payer", SUMMARY, blacklisted=False))["creditSummary"]
    assert summary["seriousDelinquency"] is True
    assert summary["longestOverdueRun24m"] == 3
    assert summary["currentOverdueAccounts"] == 0


async def test_debtor_fails_not_black_for_each_reason(seeded_pool: asyncpg.Pool) -> None:
    summary = (await entity(seeded_pool, "debtor", SUMMARY, blacklisted=True))["creditSummary"]
    assert summary["badDebt"] is True
    reasons = " | ".join(summary["fourNots"]["notBlack"]["reasons"])
    assert "dishonest judgment debtor" in reasons
    assert "bad debt" in reasons
    assert summary["currentOverdueAmount"] != "0"


async def test_thin_file_fails_not_white(seeded_pool: asyncpg.Pool) -> None:
    summary = (await entity(seeded_pool, "thin_file", SUMMARY, blacklisted=False))["creditSummary"]
    assert summary["fourNots"]["notWhite"] == {
        "passed": False,
        "reasons": ["credit history shorter than 12 months"],
    }


async def test_hard_inquiries_come_from_the_inquiry_record(
    writable_seeded_database_url: str,
) -> None:
    identifier = PERSONA["model_borrower"].identifier
    async with counting_pool(writable_seeded_database_url) as (pool, _):
        before = (await entity(pool, "model_borrower", SUMMARY, blacklisted=False))["creditSummary"]
        bank = await pool.fetchval("select id from gateway.requesters where role = 'BANK' limit 1")
        # six credit decisions: one look under each of six grants (looks under one grant
        # count once, tests/test_inquiry_fairness.py)
        for _ in range(6):
            grant = await pool.fetchval(
                """insert into gateway.consent_grants
                       (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
                        valid_from, valid_until, recorded_via)
                   values (gen_random_uuid(), $1, $1, $2, 'LOAN_APPROVAL', 'BANK',
                           now(), now() + interval '30 days', 'SUBJECT')
                   returning id""",
                identifier,
                bank,
            )
            await pool.execute(
                """insert into gateway.inquiries
                       (subject_identifier, requester_id, operator, purpose, edition, grant_id)
                   values ($1, $2, 'loan officer', 'LOAN_APPROVAL', 'BANK', $3)""",
                identifier,
                bank,
                grant,
            )
        after = (await entity(pool, "model_borrower", SUMMARY, blacklisted=False))["creditSummary"]
    assert after["hardInquiries6m"] == before["hardInquiries6m"] + 6
    assert after["hardInquiryWarning"] is True
    assert after["fourNots"]["notMessy"]["passed"] is False


# -- guarantees ---------------------------------------------------------------

EXPOSURE = """guaranteeExposure(maxDepth: $depth) { maxDepth directExposure chainExposure
    totalExposure truncated circles { members { identifier } }
    links { depth amount guarantor { identifier } borrower { identifier } } }"""


async def exposure(pool: asyncpg.Pool, key: str, depth: int) -> dict[str, Any]:
    query = (SUBJECT % EXPOSURE).replace(
        "$identifier: String!", "$identifier: String!, $depth: Int!"
    )
    data = await data_of(
        schema, pool, query, {"identifier": PERSONA[key].identifier, "depth": depth}
    )
    found: dict[str, Any] = data["subjects"][0]["guaranteeExposure"]
    return found


async def test_guarantee_circle_is_found_once(seeded_pool: asyncpg.Pool) -> None:
    found = await exposure(seeded_pool, "circle_a", 5)
    circle = {PERSONA[k].identifier for k in ("circle_a", "circle_b", "circle_c")}
    assert [{m["identifier"] for m in c["members"]} for c in found["circles"]] == [circle]
    # Mingde stands behind Hengfeng's loan, and through Hengfeng behind Jiahe's; Jiahe's
    # guarantee of Mingde's own loan closes the circle and is no exposure of Mingde's
    assert found["directExposure"] == "30000000.00"
    assert found["chainExposure"] == "30000000.00"
    assert found["truncated"] is False


async def test_depth_bounds_the_walk(seeded_pool: asyncpg.Pool) -> None:
    found = await exposure(seeded_pool, "guarantor", 1)
    assert [link["depth"] for link in found["links"]] == [1]
    assert found["truncated"] is True
    deeper = await exposure(seeded_pool, "guarantor", 4)
    # guarantor → Mingde → Hengfeng → Jiahe → back to Mingde
    assert sorted(link["depth"] for link in deeper["links"]) == [1, 2, 3, 4]
    assert deeper["truncated"] is False
    assert len(deeper["circles"]) == 1


async def test_guarantees_read_from_both_ends(seeded_pool: asyncpg.Pool) -> None:
    found = await subject(
        seeded_pool,
        "guarantor",
        """guaranteesGiven { amount status borrower { identifier }
            account { guarantees { guarantor { identifier } } } }""",
    )
    (given,) = found["guaranteesGiven"]
    assert given["borrower"]["identifier"] == PERSONA["circle_a"].identifier
    guarantors = {g["guarantor"]["identifier"] for g in given["account"]["guarantees"]}
    assert guarantors == {PERSONA["guarantor"].identifier, PERSONA["circle_c"].identifier}


# -- inquiries and the subject's own records -----------------------------------


async def test_inquiries_newest_first_and_paged(seeded_pool: asyncpg.Pool) -> None:
    found = await subject(
        seeded_pool,
        "fraud_alert",
        """inquiries(first: 2) { totalCount pageInfo { hasNextPage }
             nodes { requesterName purpose hard inquiredAt } }
           fraudAlerts { active contactPhone }""",
    )
    inquiries = found["inquiries"]
    assert inquiries["totalCount"] > 2
    assert inquiries["pageInfo"]["hasNextPage"] is True
    times = [n["inquiredAt"] for n in inquiries["nodes"]]
    assert times == sorted(times, reverse=True)
    assert found["fraudAlerts"][0]["active"] is True


# -- input at the edge --------------------------------------------------------


@pytest.mark.parametrize(
    ("selection", "argument"),
    [
        ("accounts { nodes { account { repaymentGrid(months: 61) { statuses } } } }", "months"),
        ("accounts { nodes { account { repayments(months: 0) { totalCount } } } }", "months"),
        ("guaranteeExposure(maxDepth: 0) { totalExposure }", "maxDepth"),
        ("accounts(first: 101) { totalCount }", "first"),
        ('accounts(after: "bm90IGEgY3Vyc29y") { totalCount }', "after"),
        ("phones(limit: 0) { number }", "limit"),
    ],
)
async def test_bad_arguments_say_what_was_wrong(
    seeded_pool: asyncpg.Pool, selection: str, argument: str
) -> None:
    _data, errors = await execute(
        schema, seeded_pool, SUBJECT % selection, {"identifier": PERSONA["husband"].identifier}
    )
    assert codes(errors)
    assert set(codes(errors)) == {"BAD_USER_INPUT"}
    assert all(e["extensions"]["argument"] == argument for e in errors)
    assert argument in errors[0]["message"]


async def test_bad_identifier_is_named(seeded_pool: asyncpg.Pool) -> None:
    data, errors = await execute(
        schema, seeded_pool, SUBJECT % "name", {"identifier": "330106198604121512"}
    )
    # subjects is [Subject]!: a bad identifier refuses the whole list, so no data at all
    assert data is None
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert "check character" in errors[0]["message"]


async def test_unknown_subject_is_null_not_an_error(seeded_pool: asyncpg.Pool) -> None:
    data, errors = await execute(
        schema, seeded_pool, SUBJECT % "name", {"identifier": "11010519491231002X"}
    )
    assert data == {"subjects": [None]}
    assert errors == []


async def test_window_ends_at_the_bureau_data_month_and_gaps_break_runs(
    writable_seeded_database_url: str,
) -> None:
    """An old closed delinquency is outside the 24 months; an unreported month is no overdue."""
    identifier = PERSONA["model_borrower"].identifier
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        row = await conn.fetchrow(
            """select s.id, (select id from bureau.institutions where kind = 'BANK' limit 1)
               from bureau.subjects s where s.identifier = $1""",
            identifier,
        )
        assert row is not None
        subject_id, lender = row
        old, recent = await conn.fetchval(
            """with made as (
                 insert into bureau.credit_accounts
                   (lender_id, account_number, kind, principal, balance, term_months,
                    opened_on, closed_on, status, reported_on)
                 values ($1, 'TEST-OLD-0001', 'CONSUMER_LOAN', 1000, 0, 12,
                         '2017-01-01', '2019-06-01', 'CLOSED', '2019-06-01'),
                        ($1, 'TEST-NEW-0001', 'CONSUMER_LOAN', 1000, 500, 24,
                         '2025-01-01', null, 'NORMAL', '2026-10-31')
                 returning id, account_number)
               select array_agg(id order by account_number desc) from made""",
            lender,
        )
        await conn.executemany(
            "insert into bureau.account_parties values ($1, $2, 'PRIMARY_BORROWER')",
            [(old, subject_id), (recent, subject_id)],
        )
        await conn.executemany(
            "insert into bureau.repayments values ($1, $2, $3, 100, 0, 100, 500)",
            [
                (old, date(2018, 1, 1), "1"),
                (old, date(2018, 2, 1), "2"),
                (old, date(2018, 3, 1), "3"),
                (recent, date(2026, 5, 1), "1"),
                (recent, date(2026, 7, 1), "1"),  # June 2026 was never reported
            ],
        )
    finally:
        await conn.close()
    async with counting_pool(writable_seeded_database_url) as (pool, _):
        summary = (await entity(pool, "model_borrower", SUMMARY, blacklisted=False))[
            "creditSummary"
        ]
    assert summary["seriousDelinquency"] is False
    assert summary["longestOverdueRun24m"] == 1
    assert summary["overdueMonths24m"] == 2
