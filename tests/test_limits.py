"""Operation limits (gateway/limits.py), linear preparation, and work that stops with its client.

The HTTP tests serve the real app with uvicorn on 127.0.0.1, over the seeded database
and real demo tokens; the limit-by-limit tests prepare documents with the gateway itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from graphql import (
    GraphQLError,
    Lexer,
    ObjectValueNode,
    SelectionSetNode,
    Source,
    TokenKind,
    Visitor,
    get_introspection_query,
    parse,
    visit,
)

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier
from creditgraph.errors import ConfigurationError
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.documents import DocumentCache
from creditgraph.gateway.limits import MOST_REPORTED, TooComplex, check, over_text_limits
from creditgraph.gateway.operation import Field, Fragment, Selection, collect, normalize
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.requester import Requester
from creditgraph.resources import operations_root, policy_path, supergraph_path
from creditgraph.server import build_app
from creditgraph.settings import LIMIT_VARIABLES, FetchPolicy, OperationLimits, Resilience
from tests.http_app import NO_ENV, bearer, in_process_gateway, uvicorn_serving
from tests.policy_harness import HUSBAND

GRAPHQL_RESPONSE = "application/graphql-response+json"


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels `__typename`s once expanded."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return "query Bomb { ...F0 }\n" + "\n".join(fragments)


HOP = "accounts { nodes { account { parties { subject { %s } } } } }"
REPAYMENTS = "accounts { nodes { account { repayments(months: 60) { nodes { month status } } } } }"


def traversal(hops: int) -> str:
    """`me → accounts → parties → subject → …` `hops` times, ending in 60 months of repayments."""
    inner = REPAYMENTS
    for _ in range(hops):
        inner = HOP % inner
    return "{ me { " + inner + " } }"


@asynccontextmanager
async def policy_app(pool: asyncpg.Pool, home: Path) -> AsyncIterator[tuple[str, Gateway]]:
    gateway = in_process_gateway(pool)
    verifier = TokenVerifier.from_settings(home, NO_ENV)
    access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), pool))
    try:
        async with uvicorn_serving(build_app(gateway, pool=pool, access=access)) as url:
            yield url, gateway
    finally:
        await gateway.aclose()


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The one QUERY_TOO_COMPLEX error of a refused request, which carries no data."""
    assert "data" not in body, body
    [found] = body["errors"]
    assert found["extensions"]["code"] == "QUERY_TOO_COMPLEX", body
    extensions: dict[str, Any] = found["extensions"]
    return extensions


# -- over real HTTP ---------------------------------------------------------------------


async def test_an_anonymous_fragment_bomb_is_refused_before_any_work(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    bomb = fragment_bomb(18)
    assert len(bomb) < 800  # the size of the document that stalled the server for seconds
    async with (
        policy_app(writable_pool, tmp_path) as (url, gateway),
        httpx.AsyncClient() as client,
    ):
        response = await client.post(f"{url}/graphql", json={"query": bomb})
        spec = await client.post(
            f"{url}/graphql", json={"query": bomb}, headers={"accept": GRAPHQL_RESPONSE}
        )
        metrics = (await client.get(f"{url}/metrics")).text

    assert response.status_code == 200  # legacy JSON, as every refused request answers
    found = refusal(response.json())
    assert found["limit"] == "maxFragmentSpreads"
    assert found["maximum"] == OperationLimits().max_fragment_spreads
    assert found["measured"] == 2**19 - 1
    assert "maxFragmentSpreads" in response.json()["errors"][0]["message"]
    assert spec.status_code == 400
    assert refusal(spec.json())["limit"] == "maxFragmentSpreads"
    # refused as a document, before the requester mattered: nothing normalised or planned
    assert len(gateway.operations) == 0
    assert len(gateway.plans) == 0
    assert 'creditgraph_cache_entries{cache="operation"} 0.0' in metrics
    # and recorded, as every request is: refused, anonymous, with the code it was refused with
    entries = await writable_pool.fetch("SELECT role, decision, detail FROM gateway.audit_log")
    assert [(row["role"], row["decision"], row["detail"]) for row in entries] == [
        (None, "DENIED", '{"errors": ["QUERY_TOO_COMPLEX"]}')
    ] * 2


async def test_a_long_document_is_refused_before_any_work_and_never_kept(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """One query of one field after a comment of most of a megabyte: few tokens, but kept by
    its text it would hold the memory of a thousand small documents."""
    longest = OperationLimits().max_length
    query = "#" + "x" * (longest - 20) + "\n{ me { name } }"
    assert len(query) <= longest < len(query + " " * 20)
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    async with (
        policy_app(writable_pool, tmp_path) as (url, gateway),
        httpx.AsyncClient() as client,
    ):
        accepted = await client.post(f"{url}/graphql", json={"query": query}, headers=subject)
        assert accepted.json()["data"]["me"]["name"]
        assert len(gateway.documents.cache) == 1
        for padding in (" " * 20, " " * 900_000):
            response = await client.post(
                f"{url}/graphql", json={"query": query + padding}, headers=subject
            )
            found = refusal(response.json())
            assert (found["limit"], found["maximum"]) == ("maxLength", longest)
            assert found["measured"] == len(query + padding)
        assert len(gateway.documents.cache) == 1


def _doubling_spreads(levels: int) -> str:
    fragments = [f"fragment F{i} on Subject {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "{ me { ...F0 } } " + " ".join(fragments) + f" fragment F{levels} on Subject {{ name }}"


@pytest.mark.parametrize(
    ("document", "limit", "measured"),
    [
        ("{ me { phones(limit: 99999999999999999999999) { number } } }", "maxCost", 2**31 + 2),
        ("{ me { phones(limit: " + "9" * 5000 + ") { number } } }", "maxCost", 2**31 + 2),
        (
            "query($n: Int = " + "9" * 5000 + ") { me { phones(limit: $n) { number } } }",
            "maxCost",
            2**31 + 2,
        ),
        (_doubling_spreads(70), "maxFragmentSpreads", MOST_REPORTED),
    ],
    ids=["past-64-bits", "past-4300-digits", "a-default-past-4300-digits", "2^71-spreads"],
)
async def test_a_measure_past_any_number_a_client_reads_is_refused_with_its_code(
    writable_pool: asyncpg.Pool, tmp_path: Path, document: str, limit: str, measured: int
) -> None:
    """A literal too long to convert, or a measure past what JSON carries, is still refused
    with QUERY_TOO_COMPLEX, anonymously, never an internal error."""
    async with (
        policy_app(writable_pool, tmp_path) as (url, _),
        httpx.AsyncClient() as client,
    ):
        response = await client.post(f"{url}/graphql", json={"query": document})
    assert response.status_code == 200
    found = refusal(response.json())
    assert (found["limit"], found["measured"]) == (limit, measured)


@pytest.mark.parametrize(
    ("hops", "limit", "measured"),
    [(1, "maxCost", 183_232), (2, "maxDepth", 17)],
)
async def test_a_subjects_traversal_bomb_is_refused_over_http(
    writable_pool: asyncpg.Pool, tmp_path: Path, hops: int, limit: str, measured: int
) -> None:
    inquiries = await writable_pool.fetchval("SELECT count(*) FROM gateway.inquiries")
    async with (
        policy_app(writable_pool, tmp_path) as (url, gateway),
        httpx.AsyncClient() as client,
    ):
        response = await client.post(
            f"{url}/graphql",
            json={"query": traversal(hops)},
            headers=bearer(tmp_path, "SUBJECT", HUSBAND),
        )

    found = refusal(response.json())
    assert (found["limit"], found["measured"]) == (limit, measured)
    assert found["maximum"] == getattr(OperationLimits(), _field(limit))
    # refused before the report was looked at: no inquiry recorded, nothing prepared
    assert len(gateway.operations) == 0
    assert inquiries == await writable_pool.fetchval("SELECT count(*) FROM gateway.inquiries")


def _field(limit: str) -> str:
    """`maxFragmentSpreads` → `max_fragment_spreads`."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in limit)


class StallingTransport:
    """A subgraph that never answers, and says when its fetch starts and is cancelled."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        raise AssertionError("unreachable: the wait above never ends")

    def acting_for(self, requester: Requester | None) -> StallingTransport:
        return self

    async def aclose(self) -> None:
        pass


async def test_a_client_that_disconnects_cancels_its_work() -> None:
    transport = StallingTransport()
    # no fetch timeout that could cancel the fetch in the client's place
    gateway = Gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")),
        transport,
        resilience=Resilience(FetchPolicy(timeout=3600)),
    )
    async with uvicorn_serving(build_app(gateway)) as url:
        port = int(url.rsplit(":", 1)[1])
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        body = orjson.dumps({"query": "{ me { name } }"})
        writer.write(
            b"POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        await asyncio.wait_for(transport.started.wait(), 30)
        assert not transport.cancelled.is_set()
        writer.close()
        await writer.wait_closed()
        # a deadline against hanging, not a measure of speed: without the disconnect
        # watch the fetch would wait for an hour
        await asyncio.wait_for(transport.cancelled.wait(), 30)


async def test_a_request_whose_client_disconnects_is_recorded(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Under the policy, the request cancelled with its client still has its audit entry:
    who asked, and that nothing was returned."""
    transport = StallingTransport()
    gateway = Gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")),
        transport,
        resilience=Resilience(FetchPolicy(timeout=3600)),
    )
    verifier = TokenVerifier.from_settings(tmp_path, NO_ENV)
    access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), writable_pool))
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    async with uvicorn_serving(build_app(gateway, pool=writable_pool, access=access)) as url:
        port = int(url.rsplit(":", 1)[1])
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        body = orjson.dumps({"query": "query Mine { me { name } }"})
        writer.write(
            b"POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n"
            + f"authorization: {subject['authorization']}\r\n".encode()
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        await asyncio.wait_for(transport.started.wait(), 30)
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(transport.cancelled.wait(), 30)
        # the entry is written after the cancellation, before the server could stop
        for _ in range(300):
            entries = await writable_pool.fetch(
                "select role, requester, operation, decision, detail from gateway.audit_log"
            )
            if entries:
                break
            await asyncio.sleep(0.1)
    assert [tuple(row) for row in entries] == [
        ("SUBJECT", HUSBAND, "Mine", "DENIED", '{"errors": ["CLIENT_CLOSED_REQUEST"]}')
    ]


# -- each limit, at its value and one over ----------------------------------------------

TIGHT = OperationLimits(
    max_depth=4,
    max_aliases=3,
    max_root_fields=5,
    max_subjects=2,
    max_field_repeats=4,
    max_fragment_spreads=3,
    max_tokens=200,
    max_nesting=6,
    max_cost=12,
)


def _aliases(count: int) -> str:
    return "{ me { " + " ".join(f"a{i}: name" for i in range(count)) + " } }"


def _root_fields(count: int) -> str:
    return "{ me { name } " + " ".join(["__typename"] * (count - 1)) + " }"


def _subjects(count: int) -> str:
    root = f'subject(identifier: "{HUSBAND}", purpose: SELF) {{ name }}'
    return "{ " + " ".join(f"s{i}: {root}" for i in range(count)) + " }"


def _repeats(count: int) -> str:
    # inline fragments count with the selection set they are in
    return "{ me { name ... on Subject { " + "name " * (count - 1) + "} } }"


def _spreads(count: int) -> str:
    return "{ me { " + " ".join(["...N"] * count) + " } } fragment N on Subject { name }"


def _depth(depth: int) -> str:
    return "{ me { " + "spouse { " * (depth - 2) + "name" + " }" * (depth - 1) + " }"


def _nesting(count: int) -> str:
    # the operation's braces, `me`'s, then inline fragments: nesting without depth
    return "{ me { " + "... on Subject { " * (count - 2) + "name" + " }" * count


def _tokens(count: int) -> str:
    # `query`, `{`, `}` and a name per root field
    return "query " + "{ " + "__typename " * (count - 3) + "}"


def _length(length: int) -> str:
    # a query of one field, padded with white space to `length` characters
    return "{ __typename }".ljust(length)


def _cost(cost: int) -> str:
    # me (1) + phones (1 + limit × number (1))
    return f"{{ me {{ phones(limit: {cost - 2}) {{ number }} }} }}"


@pytest.mark.parametrize(
    ("limit", "document", "at"),
    [
        ("maxAliases", _aliases, 3),
        ("maxRootFields", _root_fields, 5),
        ("maxSubjects", _subjects, 2),
        ("maxFieldRepeats", _repeats, 4),
        ("maxFragmentSpreads", _spreads, 3),
        ("maxDepth", _depth, 4),
        ("maxNesting", _nesting, 6),
        ("maxTokens", _tokens, 8),
        ("maxLength", _length, 40),
        ("maxCost", _cost, 12),
    ],
)
def test_each_limit_accepts_its_value_and_refuses_one_more(
    limit: str, document: Callable[[int], str], at: int
) -> None:
    measured_in_text = ("maxTokens", "maxLength")
    limits = TIGHT if limit not in measured_in_text else OperationLimits(**{_field(limit): at})
    gateway = Gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")),
        StallingTransport(),
        limits=limits,
    )
    gateway.prepare(document(at), {}, None)  # accepted, validated and planned
    with pytest.raises(TooComplex) as refused:
        gateway.prepare(document(at + 1), {}, None)
    assert (refused.value.limit, refused.value.measured) == (limit, at + 1)
    assert refused.value.maximum == getattr(limits, _field(limit)) == at
    [entry] = refused.value.formatted()
    assert entry["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": limit,
        "maximum": at,
        "measured": at + 1,
    }


def test_a_size_given_by_a_variable_counts_at_its_default() -> None:
    schema = Gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")), StallingTransport()
    ).schema
    query = "query($n: Int = %d) { me { phones(limit: $n) { number } } }"
    check(schema, parse(query % 10), TIGHT)  # 1 + 1 + 10 = 12
    with pytest.raises(TooComplex):
        check(schema, parse(query % 11), TIGHT)


def test_every_trusted_operation_and_graphiqls_introspection_pass_the_defaults() -> None:
    schema = Gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")), StallingTransport()
    ).schema
    operations = sorted(operations_root().glob("*.graphql"))
    assert len(operations) >= 10
    for path in operations:
        text = path.read_text(encoding="utf-8")
        assert over_text_limits(text, OperationLimits()) is None
        check(schema, parse(text), OperationLimits())
    everything = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        one_of=True,
    )
    # GraphiQL's (vendored) asks the same, nine `ofType`s deep: depth 15, the default limit
    assert over_text_limits(everything, OperationLimits()) is None
    check(schema, parse(everything), OperationLimits())


def test_limits_are_read_from_the_environment() -> None:
    env = {LIMIT_VARIABLES["max_depth"]: "9", LIMIT_VARIABLES["max_cost"]: " 500 "}
    limits = OperationLimits.from_env(env)
    assert (limits.max_depth, limits.max_cost) == (9, 500)
    assert limits.max_aliases == OperationLimits().max_aliases
    assert OperationLimits.from_env({}) == OperationLimits()
    for bad in ("0", "-3", "ten", "1.5"):
        with pytest.raises(ConfigurationError, match="CREDITGRAPH_MAX_TOKENS"):
            OperationLimits.from_env({"CREDITGRAPH_MAX_TOKENS": bad})


# -- preparation is linear ------------------------------------------------------------------


def _distinct(selections: list[Selection], seen: set[int]) -> None:
    """Every selection object reachable, each once: the work normalisation did."""
    for item in selections:
        if id(item) in seen:
            continue
        seen.add(id(item))
        below = item.selections if isinstance(item, Fragment) else item.selections or []
        _distinct(below, seen)


@pytest.mark.parametrize("levels", [10, 18])
def test_a_fragment_bomb_is_normalised_and_collected_once_per_fragment(levels: int) -> None:
    """Counts, not time: a fragment is normalised once, and collect visits it once."""
    operation = normalize(parse(fragment_bomb(levels)), None, {})
    built: set[int] = set()
    _distinct(operation.selections, built)
    # one Fragment per named fragment and the one `__typename` at the bottom
    assert len(built) == levels + 2

    looked_up: list[str] = []

    def possible(type_name: str) -> set[str]:
        looked_up.append(type_name)
        return {"Elsewhere"}

    collected = collect(operation.selections, "Elsewhere", possible)
    assert [field.name for field in collected] == ["__typename"]
    assert len(looked_up) == levels + 1  # each fragment's type condition checked once


def test_spreads_of_one_fragment_share_its_normalised_selections() -> None:
    document = parse(
        "{ me { ...Who spouse { ...Who } } } fragment Who on Subject { name identifier }"
    )
    [me] = normalize(document, None, {}).selections
    assert isinstance(me, Field)
    assert me.selections is not None
    direct, spouse = me.selections
    assert isinstance(direct, Fragment)
    assert isinstance(spouse, Field)
    assert spouse.selections is not None
    assert spouse.selections[0] is direct


# -- counting tokens before parsing ----------------------------------------------------------


def _lexed(document: str) -> int:
    """The tokens graphql-core's lexer reads in a document, comments included (its parser counts
    them toward `max_tokens`; the lexer reads them into its token list but never returns them)."""
    lexer = Lexer(Source(document))
    while lexer.advance().kind != TokenKind.EOF:
        pass
    count, token = 0, lexer.token.prev
    while token is not None and token.kind != TokenKind.SOF:
        count, token = count + 1, token.prev
    return count


def _nested(document: str) -> int:
    """How deep the parsed document nests braces: selection sets and object values."""
    deepest = current = 0

    class Depth(Visitor):
        def enter(self, node: object, *_: object) -> None:
            nonlocal deepest, current
            if isinstance(node, SelectionSetNode | ObjectValueNode):
                current += 1
                deepest = max(deepest, current)

        def leave(self, node: object, *_: object) -> None:
            nonlocal current
            if isinstance(node, SelectionSetNode | ObjectValueNode):
                current -= 1

    visit(parse(document), Depth())
    return deepest


TRICKY = [
    'query($a: Int = -1.5e+3, $s: String = "a \\" # b { }") { x(a: "{{}}") ...F } # { { {\n'
    "fragment F on T { a, b , c }",
    "mutation { a(b: [1, 2, 3], c: {d: -4, e: ENUM, f: {g: {h: 1}}, i: null, j: true}, "
    'k: """ a " "" { \\""" """) }',
    "{ a { ... on X { b } } } # a comment with ( ) [ ] { } tokens",
    "# comments\n# are tokens\n{ a # too\n}",
    get_introspection_query(),
]


@pytest.mark.parametrize(
    "document",
    [path.read_text(encoding="utf-8") for path in sorted(operations_root().glob("*.graphql"))]
    + TRICKY,
)
def test_the_count_before_parsing_is_the_parsers(document: str) -> None:
    at = _lexed(document)
    parse(document, max_tokens=at)
    with pytest.raises(GraphQLError, match="more than"):
        parse(document, max_tokens=at - 1)
    assert over_text_limits(document, OperationLimits(max_tokens=at)) is None
    refused = over_text_limits(document, OperationLimits(max_tokens=at - 1))
    assert refused is not None
    assert (refused.limit, refused.measured) == ("maxTokens", at)
    deepest = _nested(document)
    assert over_text_limits(document, OperationLimits(max_nesting=deepest)) is None
    refused = over_text_limits(document, OperationLimits(max_nesting=deepest - 1))
    assert refused is not None
    assert (refused.limit, refused.measured) == ("maxNesting", deepest)


def test_a_document_over_the_token_limit_is_refused_before_it_is_parsed() -> None:
    """A syntax error near its start would stop the parser there: the document is refused as
    too long instead, since it is counted, not parsed."""
    schema = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
    documents = DocumentCache(schema, OperationLimits(max_tokens=100))
    with pytest.raises(TooComplex) as refused:
        documents.get("{ a ) " + "b " * 200 + "}")
    assert (refused.value.limit, refused.value.measured) == ("maxTokens", 101)
