"""Queries executed a level at a time answer exactly as graphql-core executes them.

The oracle is graphql-core itself: every document runs twice on the same strawberry
schema and the same data, through `LevelExecution` and through strawberry's own
execution context (graphql-core's executor), and the answers are compared by
`assert_agree`: the same data, nulls included, and the same errors. On errors the spec
leaves one thing open, and the comparison with it: when a null lands on a position
(the nearest nullable one above a failed non-null field), errors from further inside
that position may or may not be reported (graphql-core reports those that happened
before the null, which depends on scheduling; `LevelExecution` none). So for each
position a null landed on: where the field there failed itself, the error is the same
on both sides; where a non-null field below it failed, each reports the first failure
it met (graphql-core depth-first, `LevelExecution` a level at a time, so not always
the same one), possibly with others from inside: `LevelExecution`'s one must be a
failure graphql-core meets too, in the same execution with propagation turned off.

A property test draws the documents (aliases, fragments, `@include`/`@skip`,
variables, `__typename`, arguments) and the data (nulls where the type forbids them,
values no scalar takes, items of the wrong type, resolvers raising); the subgraphs'
own schemas are held to it over every subgraph fetch of the trusted queries.
"""

from __future__ import annotations

import asyncio
import copy
import enum
from collections.abc import Callable
from typing import Annotated, Any

import asyncpg
import pytest
import strawberry
from graphql import GraphQLError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from creditgraph.bureau.schema import schema as bureau_schema
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.resources import operations_root, supergraph_path
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.execution import LevelExecution
from creditgraph.subgraphs.per_level import by_level, for_one
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.graphql_helpers import Recorder
from tests.operation_strategies import GeneratedOperation, operations

# -- the comparison --------------------------------------------------------------------


def _landing(path: list[Any], data: Any) -> tuple[Any, ...]:
    """Where the null an error caused landed: the first null along its path."""
    node = data
    if node is None:
        return ()
    for depth, key in enumerate(path):
        node = node[key]
        if node is None:
            return tuple(path[: depth + 1])
    return tuple(path)


def _by_landing(
    data: Any, errors: list[dict[str, Any]]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    landed: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for error in errors:
        landed.setdefault(_landing(error.get("path") or [], data), []).append(error)
    return landed


def assert_agree(
    fast: tuple[Any, list[dict[str, Any]]],
    plain: tuple[Any, list[dict[str, Any]]],
    every: list[dict[str, Any]],
) -> None:
    """`fast` (LevelExecution's data and errors) is graphql-core's `plain` (module doc).

    `every` is every field error graphql-core meets when it does not propagate nulls:
    the errors any of the orders the spec allows could report."""
    assert fast[0] == plain[0]
    ours, theirs = _by_landing(fast[0], fast[1]), _by_landing(plain[0], plain[1])
    assert ours.keys() == theirs.keys()
    for landed, errors in ours.items():
        own = [error for error in errors if tuple(error.get("path") or ()) == landed]
        if own or (len(theirs[landed]) == 1 and theirs[landed][0] in errors):
            assert errors == theirs[landed]
        else:
            assert len(errors) == 1
            assert tuple(errors[0]["path"][: len(landed)]) == landed
            assert errors[0] in every


class EveryError(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution with error propagation off, as an operation can ask:
    every field that fails is null with its error, whatever its type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_propagation = False


@pytest.fixture
def levels_taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per level LevelExecution executed: the comparison is of two paths."""
    taken: list[int] = []
    original = LevelExecution._execute_group

    def counted(self: LevelExecution, *args: Any) -> None:
        taken.append(1)
        original(self, *args)

    monkeypatch.setattr(LevelExecution, "_execute_group", counted)
    return taken


async def both_ways(
    schema: strawberry.Schema,
    query: str,
    variables: dict[str, Any] | None = None,
    context: Callable[[], Any] | None = None,
    operation_name: str | None = None,
    root: Any = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """LevelExecution's (data, errors), after holding them to graphql-core's."""
    answers = []
    for execution in (LevelExecution, StrawberryGraphQLCoreExecutionContext, EveryError):
        schema.execution_context_class = execution
        try:
            result = await schema.execute(
                query,
                variable_values=copy.deepcopy(variables),
                context_value=None if context is None else context(),
                root_value=root,
                operation_name=operation_name,
            )
        finally:
            schema.execution_context_class = LevelExecution
        answers.append((result.data, [dict(error.formatted) for error in result.errors or []]))
    assert_agree(answers[0], answers[1], answers[2][1])
    return answers[0]


# -- a schema whose data say where things go wrong --------------------------------------


class Boom(Exception):
    """A resolver's failure, as data: raised where it is found."""


def _given(value: Any) -> Any:
    if isinstance(value, Exception):
        raise value
    return value


@strawberry.enum
class Colour(enum.Enum):
    RED = "r"
    BLUE = "b"


async def _tallies(items: list[Any], info: strawberry.Info, times: int = 1) -> list[Any]:
    """Each item's tally (a failure in its place where it has one); an argument no item
    takes fails them all, as it would fail each of them alone."""
    if times < 0:
        raise GraphQLError("times must not be negative", extensions={"code": "BAD_USER_INPUT"})
    await asyncio.sleep(0)
    return [item.raw.get("tally") for item in items]


async def _strict_tallies(items: list[Any], info: strawberry.Info) -> list[Any]:
    return [item.raw.get("tally") for item in items]


async def _kin(items: list[Any], info: strawberry.Info) -> list[Any]:
    return [item.raw.get("kin") for item in items]


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Leaf(Node):
    label: str | None
    colour: Colour


@strawberry.type
class Item(Node):
    name: str
    count: int | None
    raw: strawberry.Private[dict[str, Any]]

    @strawberry.field
    async def child(self) -> Item | None:
        return _given(self.raw.get("child"))  # type: ignore[no-any-return]

    @strawberry.field
    def strict_child(self) -> Item:
        return _given(self.raw.get("strict_child"))  # type: ignore[no-any-return]

    @strawberry.field
    async def children(self) -> list[Item | None] | None:
        return _given(self.raw.get("children"))  # type: ignore[no-any-return]

    @strawberry.field
    def strict_children(self) -> list[Item]:
        return _given(self.raw.get("strict_children"))  # type: ignore[no-any-return]

    @strawberry.field
    def leaves(self) -> list[Leaf] | None:
        return _given(self.raw.get("leaves"))  # type: ignore[no-any-return]

    @strawberry.field
    async def things(self) -> list[Thing] | None:
        return _given(self.raw.get("things"))  # type: ignore[no-any-return]

    @strawberry.field
    def node(self) -> Node | None:
        return _given(self.raw.get("node"))  # type: ignore[no-any-return]

    @strawberry.field
    async def echo(self, word: str = "hi", times: int = 1) -> str:
        return word * times

    @strawberry.field
    def fail(self, code: str = "E") -> int | None:
        raise GraphQLError(f"failed {self.id}", extensions={"code": code})

    @strawberry.field
    async def strict_fail(self) -> int:
        raise ValueError(f"strict failure of {self.id}")

    # resolved for a whole level at once by LevelExecution, one object at a time otherwise

    @strawberry.field(metadata=by_level(_tallies))
    async def tally(self, info: strawberry.Info, times: int = 1) -> int | None:
        return await for_one(_tallies, self, info, times=times)

    @strawberry.field(metadata=by_level(_strict_tallies))
    async def strict_tally(self, info: strawberry.Info) -> int:
        return await for_one(_strict_tallies, self, info)

    @strawberry.field(metadata=by_level(_kin))
    async def kin(self, info: strawberry.Info) -> list[Item] | None:
        return await for_one(_kin, self, info)


Thing = Annotated[Item | Leaf, strawberry.union("Thing")]


@strawberry.type
class Query:
    items: strawberry.Private[list[Any]]

    @strawberry.field
    async def item(self) -> Item | None:
        return _given(self.items[0]) if self.items else None

    @strawberry.field
    def items_list(self) -> list[Item | None]:
        return self.items

    @strawberry.field
    async def strict_items(self) -> list[Item]:
        return self.items


SMALL = strawberry.Schema(query=Query, types=[Item, Leaf], execution_context_class=LevelExecution)

_ids = iter(range(10**9))


def _either(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, a null, or a failure: what a resolver may give."""
    return st.one_of(strategy, st.none(), st.builds(lambda: Boom("boom")))


leaves = st.builds(
    lambda label, colour: Leaf(id=strawberry.ID(str(next(_ids))), label=label, colour=colour),
    st.none() | st.text(max_size=3),
    st.sampled_from([Colour.RED, Colour.BLUE, None, "mauve"]),
)


@st.composite
def items(draw: st.DrawFn, depth: int = 3) -> Item:
    inner = items(depth - 1) if depth > 0 else st.nothing()
    raw = {
        "child": draw(_either(inner)),
        "strict_child": draw(_either(inner)),
        "children": draw(_either(st.lists(_either(inner), max_size=3))),
        "strict_children": draw(_either(st.lists(inner | st.none(), max_size=3))),
        "leaves": draw(_either(st.lists(leaves | st.just("not a leaf"), max_size=4))),
        "things": draw(_either(st.lists(inner | leaves | st.just(3), max_size=3))),
        "node": draw(_either(inner | leaves)),
        "tally": draw(_either(st.sampled_from([0, 7, "many"]))),
        "kin": draw(_either(st.lists(inner | st.none(), max_size=3))),
    }
    return Item(
        id=strawberry.ID(str(next(_ids))),
        name=draw(st.sampled_from(["a", "b", None])),  # type: ignore[arg-type]
        count=draw(st.sampled_from([1, 2, None, "many"])),  # type: ignore[arg-type]
        raw=raw,
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    operation=operations(SMALL._schema, max_depth=5, max_fields=5),
    world=st.lists(items() | st.none(), max_size=3),
)
def test_generated_documents_answer_as_graphql_core(
    operation: GeneratedOperation, world: list[Any]
) -> None:
    asyncio.run(
        small(operation.document, Query(items=world), operation.variables, operation.operation_name)
    )


# -- chosen cases ----------------------------------------------------------------------


def world_of(*found: Any) -> Query:
    return Query(items=list(found))


def item(**raw: Any) -> Item:
    name = raw.pop("name", "n")
    count = raw.pop("count", 1)
    return Item(id=strawberry.ID(str(next(_ids))), name=name, count=count, raw=raw)


def leaf(label: str | None = "x", colour: Any = Colour.RED) -> Leaf:
    return Leaf(id=strawberry.ID(str(next(_ids))), label=label, colour=colour)


async def small(
    query: str,
    root: Query,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """LevelExecution's answer over `root`, held to graphql-core's."""
    return await both_ways(SMALL, query, variables, operation_name=operation_name, root=root)


async def test_plain_records_with_aliases_fragments_and_directives(
    levels_taken: list[int],
) -> None:
    root = world_of(item(leaves=[leaf("p"), leaf(None, Colour.BLUE)]))
    data, errors = await small(
        """query($x: Boolean!) { item { leaves { __typename a: label b: label ...L
             colour @include(if: $x) id @skip(if: $x) } } }
           fragment L on Leaf { ... on Leaf { label } }""",
        root,
        {"x": True},
    )
    assert errors == []
    assert data == {
        "item": {
            "leaves": [
                {"__typename": "Leaf", "a": "p", "b": "p", "label": "p", "colour": "RED"},
                {"__typename": "Leaf", "a": None, "b": None, "label": None, "colour": "BLUE"},
            ]
        }
    }
    assert levels_taken


async def test_a_null_in_a_non_null_field_nulls_its_parent() -> None:
    root = world_of(item(strict_child=item(name=None)))
    data, errors = await small("{ item { id strictChild { name } } }", root)
    assert data == {"item": None}
    assert [(e["message"], e["path"]) for e in errors] == [
        ("Cannot return null for non-nullable field Item.name.", ["item", "strictChild", "name"])
    ]


async def test_a_value_no_scalar_takes_and_a_wrong_item_are_errors_where_they_are() -> None:
    root = world_of(item(count="many", leaves=[leaf(), "not a leaf"], things=[leaf(), 3]))
    data, errors = await small("{ item { count leaves { label } things { __typename } } }", root)
    assert data == {"item": {"count": None, "leaves": None, "things": None}}
    assert sorted(tuple(e["path"]) for e in errors) == [
        ("item", "count"),
        ("item", "leaves", 1),
        ("item", "things", 1),
    ]


async def test_errors_keep_their_extensions_and_lists_keep_their_nulls() -> None:
    root = world_of(item(children=[item(), None, Boom("gone")]), None)
    data, errors = await small('{ itemsList { fail(code: "X") children { name } } }', root)
    assert data == {
        "itemsList": [
            {"fail": None, "children": [{"name": "n"}, None, None]},
            None,
        ]
    }
    assert {(e["message"].split()[0], e.get("extensions", {}).get("code")) for e in errors} == {
        ("failed", "X"),
        ("gone", None),
    }


async def test_a_level_resolver_answers_as_each_object_alone(levels_taken: list[int]) -> None:
    root = world_of(
        item(tally=3, kin=[item(tally=Boom("no tally")), item(tally=5)]),
        item(tally="many", kin=Boom("no kin")),
        item(tally=None, kin=[]),
    )
    data, errors = await small("{ itemsList { tally kin { tally } } }", root)
    assert data == {
        "itemsList": [
            {"tally": 3, "kin": [{"tally": None}, {"tally": 5}]},
            {"tally": None, "kin": None},
            {"tally": None, "kin": []},
        ]
    }
    # the failure a resolver returned for its object, a value no Int takes: each at its object
    assert sorted(tuple(e["path"]) for e in errors) == [
        ("itemsList", 0, "kin", 0, "tally"),
        ("itemsList", 1, "kin"),
        ("itemsList", 1, "tally"),
    ]
    assert levels_taken


async def test_a_null_from_a_level_resolver_propagates_as_any_other() -> None:
    root = world_of(item(kin=[item(tally=1), item(tally=None)]), item(kin=[item(tally=2)]))
    data, errors = await small("{ itemsList { kin { strictTally } } }", root)
    # the null in the non-null field nulls its item, which nulls the list of non-null items
    assert data == {"itemsList": [{"kin": None}, {"kin": [{"strictTally": 2}]}]}
    assert [e["path"] for e in errors] == [["itemsList", 0, "kin", 1, "strictTally"]]


async def test_a_level_whose_objects_were_all_nulled_meanwhile_resolves_nothing() -> None:
    # each item's kin are known when its strictFail fails, in the same round: the null lands
    # on the item, and the kin's own level then has no object left to resolve
    root = world_of(item(kin=[item(tally=1)]), item(kin=[item(tally=2)]))
    data, errors = await small("{ itemsList { kin { tally } strictFail } }", root)
    assert data == {"itemsList": [None, None]}
    assert sorted(tuple(e["path"]) for e in errors) == [
        ("itemsList", 0, "strictFail"),
        ("itemsList", 1, "strictFail"),
    ]


async def test_a_level_resolvers_refusal_of_its_arguments_is_every_objects_error() -> None:
    root = world_of(item(tally=1), item(tally=2))
    data, errors = await small("{ itemsList { name tally(times: -1) } }", root)
    assert data == {"itemsList": [{"name": "n", "tally": None}, {"name": "n", "tally": None}]}
    assert [(e["path"], e["extensions"]["code"]) for e in errors] == [
        (["itemsList", 0, "tally"], "BAD_USER_INPUT"),
        (["itemsList", 1, "tally"], "BAD_USER_INPUT"),
    ]


async def test_a_failure_reaching_the_root_nulls_the_answer() -> None:
    data, errors = await small("{ strictItems { strictFail } }", world_of(item(), item()))
    assert data is None
    assert len(errors) == 1


# -- the subgraphs' own schemas --------------------------------------------------------


# the trusted queries that read a subject's report by identifier, with their variables
# (the others read the requester's own file or answer yes/no: the consent subgraph's)
REPORTS: dict[str, dict[str, Any]] = {
    "bank_underwriting": {},
    "government_public_credit": {},
    "subject_card": {"purpose": "LOAN_APPROVAL"},
}


async def test_every_subgraph_fetch_of_the_trusted_queries_answers_the_same(
    seeded_pool: asyncpg.Pool, levels_taken: list[int]
) -> None:
    identifiers = [
        row[0]
        for row in await seeded_pool.fetch(
            """select s.identifier from bureau.subjects s
               join bureau.account_parties p on p.subject_id = s.id
               group by s.identifier order by count(*) desc, s.identifier limit 3"""
        )
    ]
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    recorder = Recorder(InProcessTransport(schemas, seeded_pool))
    gateway = Gateway(Supergraph(supergraph_path().read_text(encoding="utf-8")), recorder)
    for name, more in REPORTS.items():
        document = (operations_root() / f"{name}.graphql").read_text(encoding="utf-8")
        for identifier in identifiers:
            variables = {"identifier": identifier, **more}
            answer = await gateway.run(gateway.prepare(document, variables, None), variables)
            assert "errors" not in answer, answer
    assert {subgraph for subgraph, _, _ in recorder.fetches} >= {"bureau", "public", "scores"}
    for subgraph, document, variables in recorder.fetches:
        await both_ways(
            schemas[subgraph], document, variables, lambda: SubgraphContext(seeded_pool)
        )
    assert len(levels_taken) > 100


async def test_the_bureau_answers_bad_input_as_graphql_core_does(
    seeded_pool: asyncpg.Pool,
) -> None:
    _, errors = await both_ways(
        bureau_schema,
        """query($ids: [String!]!) { subjects(identifiers: $ids) { identifier
             phones(limit: 0) { number }
             accounts(first: 1, after: "nonsense") { totalCount } } }""",
        {"ids": ["not an identifier", "110105198005020422"]},
        lambda: SubgraphContext(seeded_pool),
    )
    assert errors


# -- the request's end -----------------------------------------------------------------


class Stalled:
    """Resolvers that wait on futures nobody settles, recording their start and their end."""

    def __init__(self) -> None:
        self.started = 0
        self.ended = 0
        self.all_waiting = asyncio.Event()

    async def wait(self) -> int:
        self.started += 1
        if self.started == 2:
            self.all_waiting.set()
        try:
            return await asyncio.get_running_loop().create_future()  # type: ignore[no-any-return]
        finally:
            self.ended += 1


@strawberry.type
class StalledQuery:
    @strawberry.field
    async def one(self, info: strawberry.Info) -> int:
        return await info.context.wait()  # type: ignore[no-any-return]

    @strawberry.field
    async def two(self, info: strawberry.Info) -> int:
        return await info.context.wait()  # type: ignore[no-any-return]


async def test_a_cancelled_request_ends_every_resolver_still_waiting() -> None:
    schema = strawberry.Schema(query=StalledQuery, execution_context_class=LevelExecution)
    stalled = Stalled()
    request = asyncio.create_task(schema.execute("{ one two }", context_value=stalled))
    await asyncio.wait_for(stalled.all_waiting.wait(), 5)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    # each resolver's own clean-up ran (a connection given back, a lock let go), none left
    # waiting on the event loop
    assert (stalled.started, stalled.ended) == (2, 2)
