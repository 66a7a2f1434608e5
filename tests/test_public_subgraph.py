"""The public subgraph against seeded PostgreSQL: what a court, an agency or a lender reads."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from creditgraph.public.enums import ListEntryState, ObjectionOutcome
from creditgraph.public.schema import schema
from creditgraph.public.types import list_entry_state
from creditgraph.seed.calendar import days_before, working_days_after
from creditgraph.seed.personas import (
    HARBOUR_FINANCE,
    MARKET_REGULATOR,
    PERSONA,
    TAX_BUREAU,
    XIHU_COURT,
)
from tests.graphql_helpers import codes, counting_pool, data_of, execute

RECORDS = """
query($identifier: String!) { publicRecords(identifier: $identifier) { %s } }
"""

ENTITIES = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Subject { %s } } }
"""

EVERY_LIST = """identifier blacklisted publicRecordCount
    enforcementCases(first: 100) { totalCount nodes { id caseNumber amount status filedOn } }
    dishonestListings { id reasons active publishedOn }
    active: dishonestListings(activeOnly: true) { id }
    consumptionRestrictions { id restrictions active }
    administrativeActions { id kind amount }
    awards: administrativeActions(kind: AWARD) { id }
    taxArrears { id taxType amount settled }
    listEntries { id colour state noticeStartsOn effectiveOn }
    black: listEntries(colour: BLACK) { id state }
    civilJudgments { id caseNumber outcome amount }
    utilityArrears { id service amount settled }
    socialInsurance { id scheme status monthlyBase }
    housingFund { id status monthlyContribution }
    licences { id licenceType status expiresOn }"""


def rep(identifier: str) -> dict[str, str]:
    return {"__typename": "Subject", "identifier": identifier}


async def records(pool: asyncpg.Pool, key: str, selection: str) -> dict[str, Any]:
    query = RECORDS % selection
    data = await data_of(schema, pool, query, {"identifier": PERSONA[key].identifier})
    found: dict[str, Any] = data["publicRecords"]
    return found


# -- court records ------------------------------------------------------------


async def test_debtor_has_the_case_listing_and_restriction_of_the_story(
    seeded_pool: asyncpg.Pool,
) -> None:
    found = await records(
        seeded_pool,
        "debtor",
        """identifier blacklisted publicRecordCount
        enforcementCases { totalCount nodes {
            caseNumber courtCode courtName applicantName filedOn amount amountOutstanding
            currency status closedOn } }
        dishonestListings { caseNumber courtName reasons performance publishedOn removedOn
                            removalReason active }
        active: dishonestListings(activeOnly: true) { caseNumber }
        consumptionRestrictions { caseNumber restrictions issuedOn liftedOn active }""",
    )
    assert found["identifier"] == PERSONA["debtor"].identifier
    assert found["enforcementCases"]["totalCount"] == 1
    (case,) = found["enforcementCases"]["nodes"]
    assert case["caseNumber"].startswith("(2024)浙0106执")
    assert case["courtCode"] == XIHU_COURT.code
    assert case["courtName"] == XIHU_COURT.name
    assert case["applicantName"] == HARBOUR_FINANCE.name
    assert case["filedOn"] == "2024-02-05"
    assert Decimal(case["amount"]) == Decimal("315000.00")
    assert Decimal(case["amountOutstanding"]) == Decimal("315000.00")
    assert (case["currency"], case["status"], case["closedOn"]) == ("CNY", "IN_PROGRESS", None)

    (listing,) = found["dishonestListings"]
    assert listing["caseNumber"] == case["caseNumber"]
    assert listing["courtName"] == XIHU_COURT.name
    assert listing["reasons"] == ["REFUSES_WITH_ABILITY_TO_PAY"]
    assert listing["performance"] == "NONE"
    assert listing["publishedOn"] == "2024-08-01"
    assert (listing["removedOn"], listing["removalReason"], listing["active"]) == (
        None,
        None,
        True,
    )
    assert found["active"] == [{"caseNumber": case["caseNumber"]}]

    (restriction,) = found["consumptionRestrictions"]
    assert restriction["caseNumber"] == case["caseNumber"]
    assert restriction["restrictions"] == [
        "FLIGHTS",
        "HIGH_SPEED_RAIL_SOFT_SLEEPER",
        "STAR_HOTELS",
        "PRIVATE_SCHOOL_FEES",
    ]
    assert restriction["issuedOn"] == "2024-03-01"
    assert (restriction["liftedOn"], restriction["active"]) == (None, True)

    assert found["blacklisted"] is True
    assert found["publicRecordCount"] == 2  # the case and the active listing


async def test_model_borrower_has_a_clean_public_record(seeded_pool: asyncpg.Pool) -> None:
    found = await records(seeded_pool, "model_borrower", EVERY_LIST)
    assert found["blacklisted"] is False
    assert found["publicRecordCount"] == 0
    assert found["enforcementCases"] == {"totalCount": 0, "nodes": []}
    for adverse in ("dishonestListings", "consumptionRestrictions", "taxArrears", "listEntries"):
        assert found[adverse] == [], adverse


# -- agencies' records and the lists ------------------------------------------


async def test_tax_arrears_firm_owes_was_fined_and_is_in_its_notice_period(
    seeded_pool: asyncpg.Pool,
) -> None:
    found = await records(
        seeded_pool,
        "tax_arrears",
        """blacklisted publicRecordCount
        taxArrears { authorityCode taxType amount periodStart settledOn settled }
        penalties: administrativeActions(kind: PENALTY) {
            kind authorityName amount decidedOn publishUntil }
        awards: administrativeActions(kind: AWARD) { kind }
        listEntries { colour listName authorityCode noticeStartsOn noticeEndsOn
                      objectionFiledOn objectionOutcome effectiveOn exitedOn exitReason state
                      inForceFrom }
        red: listEntries(colour: RED) { state }""",
    )
    arrears = {a["taxType"]: a for a in found["taxArrears"]}
    assert set(arrears) == {"VAT", "CORPORATE_INCOME"}
    assert Decimal(arrears["VAT"]["amount"]) == Decimal("460000.00")
    assert Decimal(arrears["CORPORATE_INCOME"]["amount"]) == Decimal("185000.00")
    assert all(a["authorityCode"] == TAX_BUREAU.code for a in arrears.values())
    assert all(a["settled"] is False and a["settledOn"] is None for a in arrears.values())
    # most recently recorded first: the second-quarter arrear was recorded last
    assert [a["taxType"] for a in found["taxArrears"]] == ["CORPORATE_INCOME", "VAT"]

    (penalty,) = found["penalties"]
    assert penalty["kind"] == "PENALTY"
    assert penalty["authorityName"] == MARKET_REGULATOR.name
    assert Decimal(penalty["amount"]) == Decimal("50000.00")
    assert penalty["decidedOn"] == "2026-05-12"
    assert found["awards"] == []

    (entry,) = found["listEntries"]
    notice_starts = days_before(4)
    assert entry["colour"] == "BLACK"
    assert entry["authorityCode"] == TAX_BUREAU.code
    assert entry["noticeStartsOn"] == notice_starts.isoformat()
    assert entry["noticeEndsOn"] == working_days_after(notice_starts, 7).isoformat()
    undecided = ("objectionFiledOn", "objectionOutcome", "effectiveOn", "exitedOn", "exitReason")
    assert all(entry[field] is None for field in undecided)
    # Published for notice, with no objection: it takes effect the day after the seven
    # working days run out, without anyone recording it, so its state depends on today.
    in_force_from = working_days_after(notice_starts, 7) + timedelta(days=1)
    assert entry["inForceFrom"] == in_force_from.isoformat()
    in_force = date.today() >= in_force_from
    assert entry["state"] == ("IN_FORCE" if in_force else "IN_NOTICE")
    assert found["red"] == []

    assert found["blacklisted"] is in_force
    # two unpaid arrears and the penalty, and the black list entry once it is in force
    assert found["publicRecordCount"] == 3 + in_force


async def test_red_listed_firm_is_in_force_with_its_award(seeded_pool: asyncpg.Pool) -> None:
    found = await records(
        seeded_pool,
        "red_listed",
        """blacklisted publicRecordCount
        red: listEntries(colour: RED) { colour listName reason authorityName noticeStartsOn
                                        noticeEndsOn effectiveOn exitedOn state }
        black: listEntries(colour: BLACK) { state }
        awards: administrativeActions(kind: AWARD) { kind category description amount
                                                     decidedOn publishUntil repairedOn }
        penalties: administrativeActions(kind: PENALTY) { kind }""",
    )
    (entry,) = found["red"]
    notice_ends = working_days_after(date(2025, 4, 1), 7)
    assert entry["listName"] == "A 级纳税人 A-grade taxpayers"
    assert entry["authorityName"] == TAX_BUREAU.name
    assert entry["noticeStartsOn"] == "2025-04-01"
    assert entry["noticeEndsOn"] == notice_ends.isoformat()
    assert entry["effectiveOn"] == (notice_ends + timedelta(days=1)).isoformat()
    assert (entry["exitedOn"], entry["state"]) == (None, "IN_FORCE")
    assert found["black"] == []

    (award,) = found["awards"]
    assert award["kind"] == "AWARD"
    assert award["description"] == "守合同重信用企业 contract-abiding enterprise"
    assert award["decidedOn"] == "2025-09-01"
    assert (award["amount"], award["publishUntil"], award["repairedOn"]) == (None, None, None)
    assert found["penalties"] == []

    assert found["blacklisted"] is False  # a red list is no mark against anyone
    assert found["publicRecordCount"] == 0


TODAY = date(2026, 11, 23)
YEAR_AGO = TODAY - timedelta(days=365)
TOMORROW = TODAY + timedelta(days=1)
YESTERDAY = TODAY - timedelta(days=1)


@pytest.mark.parametrize(
    ("notice_ends_on", "objection_filed_on", "outcome", "effective_on", "exited_on", "expected"),
    [
        # in the notice period, then in force from the day after it, with no one recording it
        (TODAY, None, None, None, None, ListEntryState.IN_NOTICE),
        (YESTERDAY, None, None, None, None, ListEntryState.IN_FORCE),
        # a date the listing body recorded wins
        (YEAR_AGO, None, None, TOMORROW, None, ListEntryState.IN_NOTICE),
        (YEAR_AGO, None, None, TODAY, None, ListEntryState.IN_FORCE),
        # an objection in time holds it, even past the notice period, until answered
        (TODAY, TODAY, None, None, None, ListEntryState.OBJECTED),
        (YEAR_AGO, YEAR_AGO, None, None, None, ListEntryState.OBJECTED),
        (YEAR_AGO, YEAR_AGO, ObjectionOutcome.UPHELD, None, TODAY, ListEntryState.OBJECTED),
        (YEAR_AGO, YEAR_AGO, ObjectionOutcome.DISMISSED, TODAY, None, ListEntryState.IN_FORCE),
        (YEAR_AGO, None, None, YEAR_AGO, TODAY, ListEntryState.EXITED),
        (YEAR_AGO, None, None, YEAR_AGO, TOMORROW, ListEntryState.IN_FORCE),
    ],
)
def test_list_entry_state_follows_the_dates(
    notice_ends_on: date,
    objection_filed_on: date | None,
    outcome: ObjectionOutcome | None,
    effective_on: date | None,
    exited_on: date | None,
    expected: ListEntryState,
) -> None:
    state = list_entry_state(
        notice_ends_on=notice_ends_on,
        objection_filed_on=objection_filed_on,
        objection_outcome=outcome,
        effective_on=effective_on,
        exited_on=exited_on,
        today=TODAY,
    )
    assert state is expected


# -- pagination and input errors ----------------------------------------------

PAGED = """query($identifier: String!, $first: Int, $after: String) {
  publicRecords(identifier: $identifier) { enforcementCases(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { filedOn } } } }"""


async def test_enforcement_cases_page_newest_filing_first(
    writable_seeded_database_url: str,
) -> None:
    debtor = PERSONA["debtor"]
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        for filed_on in (date(2025, 6, 3), date(2023, 1, 10)):
            await conn.execute(
                "insert into public_records.enforcement_cases (case_number, court_code,"
                " court_name, subject_identifier, subject_name, filed_on, amount, status)"
                " values ($1, $2, $3, $4, $5, $6, 1000.00, 'IN_PROGRESS')",
                f"({filed_on.year})浙0106执9{filed_on.month:03d}号",
                XIHU_COURT.code,
                XIHU_COURT.name,
                debtor.identifier,
                debtor.name,
                filed_on,
            )
    finally:
        await conn.close()

    pool = await asyncpg.create_pool(writable_seeded_database_url, min_size=1, max_size=2)
    try:

        async def page(first: int, after: str | None) -> dict[str, Any]:
            variables = {"identifier": debtor.identifier, "first": first, "after": after}
            data = await data_of(schema, pool, PAGED, variables)
            found: dict[str, Any] = data["publicRecords"]["enforcementCases"]
            return found

        first = await page(2, None)
        assert first["totalCount"] == 3
        assert [n["filedOn"] for n in first["nodes"]] == ["2025-06-03", "2024-02-05"]
        assert first["pageInfo"]["hasNextPage"] is True
        assert first["pageInfo"]["hasPreviousPage"] is False

        rest = await page(2, first["pageInfo"]["endCursor"])
        assert [n["filedOn"] for n in rest["nodes"]] == ["2023-01-10"]
        assert rest["pageInfo"]["hasNextPage"] is False
        assert rest["pageInfo"]["hasPreviousPage"] is True

        variables = {"identifier": debtor.identifier, "first": 2, "after": "not-a-cursor"}
        data, errors = await execute(schema, pool, PAGED, variables)
        assert codes(errors) == ["BAD_USER_INPUT"]
        assert "after" in errors[0]["message"]
        # the list is nullable (an outage nulls only it), so only it is null
        assert data == {"publicRecords": {"enforcementCases": None}}
    finally:
        await pool.close()


async def test_page_size_out_of_range_is_bad_user_input(seeded_pool: asyncpg.Pool) -> None:
    variables = {"identifier": PERSONA["debtor"].identifier, "first": 101, "after": None}
    _, errors = await execute(schema, seeded_pool, PAGED, variables)
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert "first must be between 0 and 100" in errors[0]["message"]


@pytest.mark.parametrize(
    ("identifier", "problem"),
    [
        ("123", "must be 18 characters"),
        ("330104197911080930", "check character"),
    ],
)
async def test_bad_identifier_is_bad_user_input_naming_the_problem(
    seeded_pool: asyncpg.Pool, identifier: str, problem: str
) -> None:
    data, errors = await execute(
        schema, seeded_pool, RECORDS % "identifier", {"identifier": identifier}
    )
    assert data is None
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["message"].startswith("identifier: ")
    assert problem in errors[0]["message"]


async def test_identifier_is_normalised(seeded_pool: asyncpg.Pool) -> None:
    identifier = PERSONA["debtor"].identifier
    found = await data_of(
        schema, seeded_pool, RECORDS % "identifier blacklisted", {"identifier": f" {identifier} "}
    )
    assert found["publicRecords"] == {"identifier": identifier, "blacklisted": True}


# -- federation ---------------------------------------------------------------


async def test_entities_resolve_by_identifier(seeded_pool: asyncpg.Pool) -> None:
    debtor, model = PERSONA["debtor"].identifier, PERSONA["model_borrower"].identifier
    data = await data_of(
        schema,
        seeded_pool,
        ENTITIES
        % "identifier blacklisted enforcementCases { totalCount } dishonestListings { active }",
        {"reps": [rep(debtor), rep(model)]},
    )
    assert data["_entities"] == [
        {
            "identifier": debtor,
            "blacklisted": True,
            "enforcementCases": {"totalCount": 1},
            "dishonestListings": [{"active": True}],
        },
        {
            "identifier": model,
            "blacklisted": False,
            "enforcementCases": {"totalCount": 0},
            "dishonestListings": [],
        },
    ]


async def test_a_bad_representation_fails_alone(seeded_pool: asyncpg.Pool) -> None:
    debtor = PERSONA["debtor"].identifier
    data, errors = await execute(
        schema,
        seeded_pool,
        ENTITIES % "identifier blacklisted",
        {"reps": [rep("123"), rep(debtor)]},
    )
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["path"] == ["_entities", 0]
    assert "must be 18 characters" in errors[0]["message"]
    assert data == {"_entities": [None, {"identifier": debtor, "blacklisted": True}]}


async def test_service_sdl_keys_subject_by_identifier_only() -> None:
    sdl = schema.as_str()
    assert 'type Subject @key(fields: "identifier") {' in sdl
    assert "  blacklisted: Boolean\n" in sdl
    for bureau_type in ("type Institution", "type Phone", "type Address"):
        assert bureau_type not in sdl


# -- no N+1 -------------------------------------------------------------------


async def test_statement_count_does_not_grow_with_representations(
    seeded_database_url: str,
) -> None:
    async with counting_pool(seeded_database_url) as (pool, log):
        rows = await pool.fetch("select identifier from bureau.subjects order by id limit 100")
        identifiers = [row["identifier"] for row in rows]
        assert len(identifiers) == 100
        query = ENTITIES % EVERY_LIST

        async def statements(reps: list[dict[str, str]]) -> int:
            await data_of(schema, pool, query, {"reps": reps})  # warm: codecs, statements
            log.clear()
            data = await data_of(schema, pool, query, {"reps": reps})
            assert len(data["_entities"]) == len(reps)
            return len(log)

        one = await statements([rep(identifiers[0])])
        hundred = await statements([rep(i) for i in identifiers])
    assert one == hundred == 11  # one statement per kind of record


async def test_an_order_on_a_firm_also_shows_on_the_person_it_binds(
    writable_seeded_database_url: str,
) -> None:
    firm, person = PERSONA["circle_a"], PERSONA["guarantor"]
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        await conn.execute(
            """insert into public_records.consumption_restrictions
                   (subject_identifier, subject_name, restricted_person_identifier,
                    restricted_person_name, case_number, court_code, court_name, restrictions,
                    issued_on)
               values ($1, $2, $3, $4, '(2026)浙0106执999号', $5, $6, '{FLIGHTS}', '2026-09-01')""",
            firm.identifier,
            firm.name,
            person.identifier,
            person.name,
            XIHU_COURT.code,
            XIHU_COURT.name,
        )
    finally:
        await conn.close()
    selection = "consumptionRestrictions { subjectIdentifier restrictedPersonName restrictions }"
    async with counting_pool(writable_seeded_database_url) as (pool, _):
        on_firm = await records(pool, "circle_a", selection)
        on_person = await records(pool, "guarantor", selection)
    expected = {
        "subjectIdentifier": firm.identifier,
        "restrictedPersonName": person.name,
        "restrictions": ["FLIGHTS"],
    }
    assert on_firm["consumptionRestrictions"] == [expected]
    assert on_person["consumptionRestrictions"] == [expected]
