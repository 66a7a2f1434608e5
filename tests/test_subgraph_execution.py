"""Lists of plain records, completed in one pass, answer exactly as graphql-core would.

Every case runs a document twice, through `RecordLists` and through strawberry's own
execution context, and compares data and errors. Where the one-pass path should be taken,
the test also checks it was, so the comparison is between two different paths.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from typing import Any

import asyncpg
import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from creditgraph.bureau.schema import schema as bureau_schema
from creditgraph.public.schema import schema as public_schema
from creditgraph.subgraphs import execution
from creditgraph.subgraphs.execution import RecordLists
from tests.graphql_helpers import execute


@strawberry.enum
class Status(enum.Enum):
    NORMAL = "N"
    OVERDUE = "1"


@strawberry.type
class Month:
    month: date
    status: Status
    amount: int
    note: str | None


@strawberry.type
class Parent:
    name: str

    @strawberry.field
    def upper(self) -> str:
        return self.name.upper()


@strawberry.type
class Account:
    id: strawberry.ID
    months: list[Month]
    maybe_months: list[Month | None]
    parents: list[Parent]


MONTHS = [
    Month(month=date(2026, 10, 1), status=Status.NORMAL, amount=1200, note=None),
    Month(month=date(2026, 9, 1), status=Status.OVERDUE, amount=1200, note="late"),
]


def account(months: list[Any]) -> Account:
    return Account(id=strawberry.ID("7"), months=months, maybe_months=months, parents=[])


def small_schema(found: Callable[[], list[Account]]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def accounts(self) -> list[Account]:
            return found()

    return strawberry.Schema(query=Query, execution_context_class=RecordLists)


@pytest.fixture
def one_pass_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items the one-pass path completed."""
    calls: list[int] = []
    original = execution._complete

    def counted(*args: Any) -> dict[str, Any]:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(execution, "_complete", counted)
    return calls


async def both_ways(
    schema: strawberry.Schema, query: str, variables: dict[str, Any] | None = None
) -> tuple[Any, Any]:
    """(data, errors) with RecordLists, after checking graphql-core's own answer is the same."""
    fast = await schema.execute(query, variable_values=variables)
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        plain = await schema.execute(query, variable_values=variables)
    finally:
        schema.execution_context_class = RecordLists
    fast_errors = [error.formatted for error in fast.errors or []]
    plain_errors = [error.formatted for error in plain.errors or []]
    assert (fast.data, fast_errors) == (plain.data, plain_errors)
    return fast.data, fast_errors


@pytest.mark.parametrize(
    "query",
    [
        "{ accounts { months { month status amount note } } }",
        "{ accounts { months { __typename a: amount b: amount m: month } } }",
        "{ accounts { months { ... on Month { status } ...M } } } fragment M on Month { note }",
        "query($x: Boolean!) { accounts { months { amount note @include(if: $x) } } }",
        "query($x: Boolean!) { accounts { months { amount @skip(if: $x) month } } }",
        "{ accounts { maybeMonths { status } } }",
    ],
)
async def test_plain_records_take_one_pass_and_answer_the_same(
    query: str, one_pass_calls: list[int]
) -> None:
    schema = small_schema(lambda: [account(list(MONTHS))])
    data, errors = await both_ways(schema, query, {"x": True})
    assert errors == []
    assert data is not None
    assert one_pass_calls, "the one-pass path was not taken"


async def test_what_the_one_pass_path_gives_is_what_the_types_say() -> None:
    schema = small_schema(lambda: [account(list(MONTHS))])
    data, _ = await both_ways(schema, "{ accounts { months { __typename month status note } } }")
    assert data == {
        "accounts": [
            {
                "months": [
                    {
                        "__typename": "Month",
                        "month": "2026-10-01",
                        "status": "NORMAL",
                        "note": None,
                    },
                    {
                        "__typename": "Month",
                        "month": "2026-09-01",
                        "status": "OVERDUE",
                        "note": "late",
                    },
                ]
            }
        ]
    }


@pytest.mark.parametrize(
    ("months", "query"),
    [
        # a null where the type forbids one: graphql-core's error and null propagation
        (
            [MONTHS[0], Month(month=None, status=Status.NORMAL, amount=1, note=None)],  # type: ignore[arg-type]
            "{ accounts { months { month amount } } }",
        ),
        # a value its type cannot coerce
        (
            [Month(month=date(2026, 1, 1), status=Status.NORMAL, amount="many", note=None)],  # type: ignore[arg-type]
            "{ accounts { months { amount } } }",
        ),
        # a missing item where the list does not allow one
        ([MONTHS[0], None], "{ accounts { months { amount } } }"),
        # an item that is not a Month at all
        ([MONTHS[0], Parent(name="x")], "{ accounts { months { amount } } }"),
    ],
)
async def test_whatever_goes_wrong_is_graphql_cores_to_report(
    months: list[Any], query: str
) -> None:
    schema = small_schema(lambda: [account(months)])
    _, errors = await both_ways(schema, query)
    assert errors, "the case should be an error"


async def test_a_missing_item_where_the_list_allows_one_is_graphql_cores_null() -> None:
    schema = small_schema(lambda: [account([MONTHS[0], None])])
    data, errors = await both_ways(schema, "{ accounts { maybeMonths { amount } } }")
    assert (data, errors) == ({"accounts": [{"maybeMonths": [{"amount": 1200}, None]}]}, [])


async def test_a_field_with_a_resolver_leaves_the_list_to_graphql_core(
    one_pass_calls: list[int],
) -> None:
    parents = [Parent(name="a"), Parent(name="b")]
    schema = small_schema(
        lambda: [Account(id=strawberry.ID("1"), months=[], maybe_months=[], parents=parents)]
    )
    data, _ = await both_ways(schema, "{ accounts { parents { name upper } } }")
    assert data == {
        "accounts": [{"parents": [{"name": "a", "upper": "A"}, {"name": "b", "upper": "B"}]}]
    }
    assert one_pass_calls == []


BUREAU = """
query($id: String!) { subjects(identifiers: [$id]) {
  __typename identifier
  phones { id number reportedOn reportedBy dispute { status } }
  addresses { kind address residenceStatus } educations { level graduatedOn }
  accounts(first: 100) { nodes { role account {
      id kind status balance classification
      repayments(months: 60) { totalCount nodes { month status amountDue paid: amountPaid
                                                 overdueAmount balance __typename } }
      repaymentGrid(months: 24) { latestMonth statuses } } } }
  inquiries(first: 100) { nodes { requesterName purpose inquiredAt } }
} }
"""
PUBLIC = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Subject {
  enforcementCases { nodes { caseNumber status amount } }
  dishonestListings { caseNumber courtName performance } taxArrears { taxType amount }
  licences { licenceType issuedOn status } listEntries { colour reason noticeStartsOn }
  socialInsurance { scheme monthlyBase } housingFund { status monthlyContribution }
} } }
"""


async def test_the_subgraphs_answer_the_same_either_way(
    seeded_pool: asyncpg.Pool, one_pass_calls: list[int]
) -> None:
    identifiers = [
        row[0]
        for row in await seeded_pool.fetch(
            """select s.identifier from bureau.subjects s
               join bureau.account_parties p on p.subject_id = s.id
               group by s.identifier order by count(*) desc, s.identifier limit 5"""
        )
    ]
    reps = {"reps": [{"__typename": "Subject", "identifier": i} for i in identifiers]}
    for schema, query, variables in [
        *((bureau_schema, BUREAU, {"id": identifier}) for identifier in identifiers),
        (public_schema, PUBLIC, reps),
    ]:
        fast = await execute(schema, seeded_pool, query, variables)
        schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
        try:
            plain = await execute(schema, seeded_pool, query, variables)
        finally:
            schema.execution_context_class = RecordLists
        assert fast == plain
        assert fast[1] == []
    assert len(one_pass_calls) > 100
