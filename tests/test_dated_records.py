"""A grant's data period bounds the records answered, not only the history listed of each.

Under a 6-month grant a bank must not be answered a record whose dated life ended before
the period began (an account closed years ago, an enforcement case concluded, an inquiry
made long ago): from them it could rebuild what the windows of derived values withhold. A
record still live (an open account opened years ago, a case in progress) stays, with its
dates. A 60-month grant sees back five years, and the subject's own view has no period.

The oracle is written here from the stored rows and the calendar alone: a period of N
months starts on the first day of the month N - 1 months before the bureau's day, and a
record ended on a day before that is not answered. Nothing of the filter under test (its
SQL function, its statements) is used to compute what is expected. Every answer through
the gateway is served over real HTTP to real demo tokens.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Final, TypeAlias

import asyncpg
import pytest
from graphql import extend_schema, parse

from creditgraph.access.policy import Policy, PolicyError
from creditgraph.bureau.schema import schema as bureau_schema
from creditgraph.commands import load_supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.public.schema import schema as public_schema
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import WESTLAKE_BANK, XIHU_COURT
from tests.edition_oracle import period_start
from tests.graphql_helpers import data_of
from tests.test_data_period import BANK, GRANT, ask, url

# a connection of the test's pool
Connection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

__all__ = ["url"]  # the fixture: every subgraph in process, the policy in front, over HTTP

REPORT: Final = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    accounts(first: 100) { totalCount nodes { account { id openedOn closedOn } } }
    enforcementCases(first: 100) { totalCount nodes { caseNumber closedOn } }
    publicRecordCount
    inquiries(first: 100) { totalCount nodes { id inquiredAt } }
    creditSummary { accountCount }
  }
}
"""
OWN: Final = """
{ me {
  accounts(first: 100) { totalCount nodes { account { id } } }
  enforcementCases(first: 100) { totalCount nodes { caseNumber } }
  inquiries(first: 100) { totalCount nodes { id } }
} }
"""
ENDED_CASE: Final = "(2023)浙0106执4001号"
LIVE_CASE: Final = "(2021)浙0106执4002号"


def kept(ended: date | None, start: date | None) -> bool:
    """Whether a record ended on `ended` (None: still live) is answered from `start` on."""
    return start is None or ended is None or ended >= start


async def subject_with_old_records(conn: Connection) -> str:
    """A person with an account closed more than three years ago, an open account opened
    more than five years ago, and a look at their report older than a year."""
    found: str = await conn.fetchval(
        """
        select s.identifier from bureau.subjects s
        where s.kind = 'PERSON'
          and exists (select 1 from bureau.account_parties p
                      join bureau.credit_accounts a on a.id = p.account_id
                      where p.subject_id = s.id and a.closed_on < current_date - 3 * 365)
          and exists (select 1 from bureau.account_parties p
                      join bureau.credit_accounts a on a.id = p.account_id
                      where p.subject_id = s.id and a.closed_on is null
                        and a.opened_on < current_date - 5 * 365)
          and exists (select 1 from gateway.inquiry_record i
                      where i.subject_identifier = s.identifier
                        and i.inquired_at < now() - interval '1 year')
        order by s.identifier limit 1
        """
    )
    assert found is not None, "the seed holds no such subject"
    return found


async def add_cases(conn: Connection, identifier: str, today: date) -> None:
    """A case concluded two years ago, and one filed five years ago still in progress."""
    name = await conn.fetchval("select name from bureau.subjects where identifier = $1", identifier)
    for number, filed, status, closed in (
        (ENDED_CASE, date(today.year - 3, 1, 10), "CONCLUDED", date(today.year - 2, 3, 1)),
        (LIVE_CASE, date(today.year - 5, 2, 1), "IN_PROGRESS", None),
    ):
        await conn.execute(
            "insert into public_records.enforcement_cases (case_number, court_code, court_name,"
            " subject_identifier, subject_name, filed_on, amount, status, closed_on)"
            " values ($1, $2, $3, $4, $5, $6, 1000.00, $7, $8)",
            number,
            XIHU_COURT.code,
            XIHU_COURT.name,
            identifier,
            name,
            filed,
            status,
            closed,
        )


async def expected(conn: Connection, identifier: str, start: date | None) -> dict[str, Any]:
    """What the stored rows say is answered from `start` on (None: everything)."""
    accounts = {
        str(row["id"])
        for row in await conn.fetch(
            "select a.id, a.closed_on from bureau.credit_accounts a"
            " join bureau.account_parties p on p.account_id = a.id"
            " join bureau.subjects s on s.id = p.subject_id where s.identifier = $1",
            identifier,
        )
        if kept(row["closed_on"], start)
    }
    cases = {
        row["case_number"]
        for row in await conn.fetch(
            "select case_number, closed_on from public_records.enforcement_cases"
            " where subject_identifier = $1",
            identifier,
        )
        if kept(row["closed_on"], start)
    }
    looks = await conn.fetch(
        "select id, inquired_at from gateway.inquiry_record where subject_identifier = $1",
        identifier,
    )
    return {
        "accounts": accounts,
        "cases": cases,
        "looks": {str(row["id"]) for row in looks if kept(row["inquired_at"].date(), start)},
        "old looks": {
            str(row["id"]) for row in looks if not kept(row["inquired_at"].date(), start)
        },
    }


@pytest.mark.parametrize("months", [6, 60])
async def test_a_record_ended_before_the_data_period_is_not_answered(
    url: str, tmp_path: Path, writable_pool: asyncpg.Pool, months: int
) -> None:
    """Under 6 months the closed account, the concluded case and the old looks are gone from
    the lists and their counts; the open account opened years ago and the case in progress
    stay. 60 months reaches them all but what ended more than five years ago. The answer
    names the period it was read under, and its first day."""
    async with writable_pool.acquire() as conn:
        today: date = await conn.fetchval("select common.today()")
        identifier = await subject_with_old_records(conn)
        await add_cases(conn, identifier, today)
    subject = Requester("SUBJECT", identifier, None)
    granted = await ask(url, tmp_path, subject, GRANT, {"bank": BANK.identifier, "months": months})
    assert "errors" not in granted.json(), granted.json()
    start = period_start(today, months)
    async with writable_pool.acquire() as conn:
        before = await expected(conn, identifier, start)
        whole = await expected(conn, identifier, None)
    body = (await ask(url, tmp_path, BANK, REPORT, {"id": identifier})).json()
    assert "errors" not in body, body
    seen = body["data"]["subject"]

    accounts = {node["account"]["id"] for node in seen["accounts"]["nodes"]}
    assert accounts == before["accounts"]
    assert seen["accounts"]["totalCount"] == len(before["accounts"])
    # and the summary counts the accounts answered, not those closed before the period
    assert seen["creditSummary"]["accountCount"] == len(before["accounts"])
    cases = {node["caseNumber"] for node in seen["enforcementCases"]["nodes"]}
    assert cases == before["cases"]
    assert seen["enforcementCases"]["totalCount"] == len(before["cases"])
    # the report counts the case in progress; the one concluded only while the period reaches it
    assert seen["publicRecordCount"] == len(before["cases"])
    looks = {node["id"] for node in seen["inquiries"]["nodes"]}
    assert seen["inquiries"]["totalCount"] == len(looks)
    assert before["looks"] <= looks  # and the bank's own look, made now
    assert not looks & before["old looks"]
    for node in seen["inquiries"]["nodes"]:
        assert date.fromisoformat(node["inquiredAt"][:10]) >= start

    if months == 6:
        # what the short period leaves out is there to leave out, and the live records stay
        assert accounts < whole["accounts"]
        assert cases == {LIVE_CASE}
        assert before["old looks"]
        open_old = [
            node["account"]
            for node in seen["accounts"]["nodes"]
            if node["account"]["closedOn"] is None
            and date.fromisoformat(node["account"]["openedOn"]) < date(today.year - 5, 1, 1)
        ]
        assert open_old, "an open account opened years ago stays, with its dates"
    else:
        assert cases == {ENDED_CASE, LIVE_CASE}
    assert body["extensions"]["dataPeriods"] == [
        {
            "months": months,
            "firstDay": start.isoformat(),
            "message": body["extensions"]["dataPeriods"][0]["message"],
        }
    ]
    assert start.strftime("%Y-%m") in body["extensions"]["dataPeriods"][0]["message"]


async def test_the_subjects_own_view_has_no_data_period(
    url: str, tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    """The subject sees every record of their file, whatever period their grants name, and
    no period is named."""
    async with writable_pool.acquire() as conn:
        today: date = await conn.fetchval("select common.today()")
        identifier = await subject_with_old_records(conn)
        await add_cases(conn, identifier, today)
        whole = await expected(conn, identifier, None)
    subject = Requester("SUBJECT", identifier, None)
    await ask(url, tmp_path, subject, GRANT, {"bank": BANK.identifier, "months": 1})
    body = (await ask(url, tmp_path, subject, OWN)).json()
    assert "errors" not in body, body
    seen = body["data"]["me"]
    assert {node["account"]["id"] for node in seen["accounts"]["nodes"]} == whole["accounts"]
    assert {node["caseNumber"] for node in seen["enforcementCases"]["nodes"]} == whole["cases"]
    assert whole["old looks"] == set()  # no period: nothing is old
    assert {node["id"] for node in seen["inquiries"]["nodes"]} >= whole["looks"]
    assert "dataPeriods" not in body.get("extensions", {})


async def test_every_path_of_a_subgraph_is_bounded_alike(writable_pool: asyncpg.Pool) -> None:
    """A record by key (the gateway's fetch of a reached record, an entity) is held to the
    period as a list is: the account closed years ago is no record of a 6-month requester
    however it is asked for, and a requester with no period gets it."""
    async with writable_pool.acquire() as conn:
        today: date = await conn.fetchval("select common.today()")
        identifier = await subject_with_old_records(conn)
        await add_cases(conn, identifier, today)
        closed = str(
            await conn.fetchval(
                "select a.id from bureau.credit_accounts a"
                " join bureau.account_parties p on p.account_id = a.id"
                " join bureau.subjects s on s.id = p.subject_id"
                " where s.identifier = $1 and a.closed_on < $2 order by a.id limit 1",
                identifier,
                period_start(today, 6),
            )
        )
    short = Requester("BANK", WESTLAKE_BANK.code, None, history_months=6)
    whole = Requester("BANK", WESTLAKE_BANK.code, None)
    by_key = "query($ids: [ID!]!) { creditAccounts(ids: $ids) { id } }"
    entity = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on CreditAccount { id } } }"
    )
    representation = {"r": [{"__typename": "CreditAccount", "id": closed}]}
    for requester, answered in ((short, None), (whole, {"id": closed})):
        found = await data_of(
            bureau_schema, writable_pool, by_key, {"ids": [closed]}, requester=requester
        )
        assert found["creditAccounts"] == [answered]
        found = await data_of(
            bureau_schema, writable_pool, entity, representation, requester=requester
        )
        assert found["_entities"] == [answered]
    cases = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject {"
        " enforcementCases { totalCount nodes { caseNumber } } publicRecordCount } } }"
    )
    subject = {"r": [{"__typename": "Subject", "identifier": identifier}]}
    found = await data_of(public_schema, writable_pool, cases, subject, requester=short)
    assert found["_entities"][0]["enforcementCases"]["totalCount"] == 1
    assert found["_entities"][0]["publicRecordCount"] == 1
    found = await data_of(public_schema, writable_pool, cases, subject, requester=whole)
    assert found["_entities"][0]["enforcementCases"]["totalCount"] == 2


@pytest.mark.parametrize(
    ("extension", "opened", "refused"),
    [
        # a scalar on Subject derived from history, opened to a bank
        ("extend type Subject { monthsEverOverdue: Int }", "monthsEverOverdue", "Subject"),
        # a new fact on a record type whose every field a bank sees by default
        ("extend type CreditAccount { timesLate: Int }", None, "CreditAccount"),
        # a new type reached from the subject, all of it open to every edition
        (
            "type Lateness { months: Int } extend type Subject { lateness: Lateness }",
            "lateness",
            "Lateness",
        ),
    ],
)
def test_a_new_field_a_grant_may_show_refuses_to_load_until_classified(
    extension: str, opened: str | None, refused: str
) -> None:
    """Whatever type a new field is on, a policy opening it to a grant's holder without
    saying how far back it reaches (a window) or that it is current is refused at load; were
    it served unchecked, it would count as reaching the whole history. Named current, it
    loads."""
    schema = extend_schema(api_schema(load_supergraph(supergraph_path())), parse(extension))
    text = policy_path().read_text(encoding="utf-8")
    if opened is not None:
        text = text.replace('\nblacklisted = "all"\n', f'\nblacklisted = "all"\n{opened} = "all"\n')
    if refused == "Lateness":
        text = text.replace("[types.Phone]\n", '[types.Lateness]\n"*" = "all"\n\n[types.Phone]\n')
    field = {"Subject": opened, "CreditAccount": "timesLate", "Lateness": "months"}[refused]
    with pytest.raises(PolicyError, match=rf"{refused}\.{field} may be shown to a grant's holder"):
        Policy.parse(text).check(schema)
    assert Policy.parse(text).window(refused, str(field)) == 60
    if refused == "CreditAccount":
        classified = text.replace('"repaymentGrid"\n]', '"repaymentGrid", "timesLate"\n]')
    else:
        classified = text.replace('"publicRecordCount"\n]', f'"publicRecordCount", "{opened}"\n]')
    if refused == "Lateness":
        classified += 'Lateness = ["months"]\n'
    Policy.parse(classified).check(schema)
