"""Our gateway against Apollo Gateway: same supergraph, same HTTP subgraphs, same answers.

Both gateways run as real processes over the four subgraphs (each its own
process, on the seeded database). Every operation goes to both, and the
answers must agree: equal `data`, and errors at the same paths (messages
differ between implementations and are not compared). The corpus is a set
of hand-written operations, one per root field that selects every field of
the graph to a fixed depth, and random valid operations drawn by
`operation_strategies.operations`.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.resources import supergraph_path
from creditgraph.seed import INSTITUTIONS, PERSONAS
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from tests.cli_helpers import cli_env, free_port, start_cli, stop_cli, wait_for_http
from tests.http_app import UNLIMITED_ENV
from tests.operation_strategies import GeneratedOperation, operations

pytestmark = pytest.mark.slow

SECRET = "differential-test-secret-of-at-least-32-bytes"
IDENTIFIERS = [persona.identifier for persona in PERSONAS]


@pytest.fixture(scope="module")
def gateways(
    tmp_path_factory: pytest.TempPathFactory, seeded_database_url: str, interop_dir: Path
) -> Iterator[tuple[str, str]]:
    """(our URL, Apollo's URL), both over the same four subgraph processes."""
    scratch = tmp_path_factory.mktemp("differential")
    env = cli_env(home=scratch / "home", database_url=seeded_database_url)
    env["CREDITGRAPH_INTERNAL_SECRET"] = SECRET
    env.update(UNLIMITED_ENV)  # the corpus selects every field of the graph
    running: list[subprocess.Popen[str]] = []
    try:
        urls = {}
        for name in SUBGRAPH_NAMES:
            port = free_port()
            running.append(start_cli("subgraph", name, "--port", str(port), env=env))
            wait_for_http(running[-1], f"http://127.0.0.1:{port}/healthz")
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        supergraph = supergraph_path().read_text(encoding="utf-8")
        for name, url in urls.items():
            supergraph = re.sub(
                rf'(join__graph\(name: "{name}", url: )"[^"]*"', rf'\1"{url}"', supergraph
            )
        located = scratch / "supergraph.graphql"
        located.write_text(supergraph, encoding="utf-8")

        ours = free_port()
        running.append(
            start_cli(
                "serve",
                "--no-policy",
                "--supergraph",
                str(located),
                "--port",
                str(ours),
                env=env,
            )
        )
        wait_for_http(running[-1], f"http://127.0.0.1:{ours}/healthz")

        apollo = free_port()
        node = subprocess.Popen(
            ["node", "apollo_gateway.mjs", "--supergraph", str(located), "--port", str(apollo)],
            cwd=interop_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running.append(node)
        wait_for_http(node, f"http://127.0.0.1:{apollo}/healthz")
        yield f"http://127.0.0.1:{ours}/graphql", f"http://127.0.0.1:{apollo}/graphql"
    finally:
        for proc in running:
            stop_cli(proc)


def _ask(url: str, document: str, variables: dict[str, Any], name: str | None) -> Any:
    body: dict[str, Any] = {"query": document, "variables": variables}
    if name is not None:
        body["operationName"] = name
    response = httpx.post(
        url,
        json=body,
        headers={"accept": "application/json", "apollo-require-preflight": "true"},
        timeout=60,
    )
    return response.json()


def _error_paths(answer: dict[str, Any]) -> list[Any]:
    return sorted((error.get("path") or [] for error in answer.get("errors") or []), key=str)


def _assert_same(gateways: tuple[str, str], document: str, variables: dict[str, Any],
                 name: str | None = None) -> dict[str, Any]:  # fmt: skip
    ours, apollo = (_ask(url, document, variables, name) for url in gateways)
    shown = document if len(document) < 400 else document[:400] + " …"
    assert ours.get("data") == apollo.get("data"), (shown, ours.get("errors"))
    assert _error_paths(ours) == _error_paths(apollo), (shown, ours, apollo)
    answer: dict[str, Any] = ours
    return answer


# -- every field ------------------------------------------------------------------------

_ARGUMENTS: dict[str, str] = {
    "identifier": "$id",
    "purpose": "SELF",
    "code": f'"{INSTITUTIONS[0].code}"',
    "id": '"1"',
    # eligibility names its subject and purpose as strings: no share stands behind them here,
    # so both gateways must give the same refusal
    "subject": f'"{IDENTIFIERS[0]}"',
    "predicate": '"NO_DISHONEST_LISTING"',
    "eligibility.purpose": '"DEPOSIT_FREE_RENTAL"',
}


def _argument(field: str, argument: str) -> str:
    """The literal a required argument takes: the field's own where it has one."""
    return _ARGUMENTS.get(f"{field}.{argument}") or _ARGUMENTS[argument]


def _selection(schema: GraphQLSchema, type_: GraphQLObjectType, depth: int) -> str:
    """Every field of `type_` down to `depth`, with required arguments filled in."""
    parts = []
    for name, field in type_.fields.items():
        target = get_named_type(field.type)
        arguments = [
            f"{arg_name}: {_argument(name, arg_name)}"
            for arg_name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        ]
        call = name + (f"({', '.join(arguments)})" if arguments else "")
        if is_leaf_type(target):
            parts.append(call)
        elif depth > 1 and isinstance(target, GraphQLObjectType):
            parts.append(f"{call} {{ {_selection(schema, target, depth - 1)} }}")
        elif depth > 1 and is_composite_type(target):
            parts.append(f"{call} {{ __typename }}")
    return " ".join(parts) or "__typename"


def _every_field_documents(schema: GraphQLSchema) -> list[tuple[str, str]]:
    query = schema.query_type
    assert query is not None
    documents = []
    for name, field in query.fields.items():
        target = get_named_type(field.type)
        assert isinstance(target, GraphQLObjectType)
        needs_id = "identifier" in field.args
        header = "query Every($id: String!)" if needs_id else "query Every"
        arguments = ", ".join(
            f"{arg_name}: {_argument(name, arg_name)}"
            for arg_name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull)
        )
        call = name + (f"({arguments})" if arguments else "")
        documents.append((name, f"{header} {{ {call} {{ {_selection(schema, target, 4)} }} }}"))
    return documents


SCHEMA = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))


@pytest.mark.parametrize(("root", "document"), _every_field_documents(SCHEMA))
@pytest.mark.parametrize("persona", ["husband", "debtor", "circle_a", "tax_arrears"])
def test_every_field_agrees(
    gateways: tuple[str, str], root: str, document: str, persona: str
) -> None:
    identifier = next(p.identifier for p in PERSONAS if p.key == persona)
    answer = _assert_same(gateways, document, {"id": identifier})
    assert answer.get("data") is not None


HAND_WRITTEN = [
    (
        """query Card($id: String!, $full: Boolean!) {
          me: subject(identifier: $id, purpose: SELF) { ...Card kind: __typename }
          again: subject(identifier: $id, purpose: SELF) {
            spouse { who: name ... on Subject { identifier } }
          }
        }
        fragment Card on Subject {
          who: name
          records: publicRecordCount @include(if: $full)
          scores @skip(if: $full) { value model { name } }
          creditSummary { fourNots { passed notBlack { passed reasons } } }
        }""",
        {"id": IDENTIFIERS[0], "full": True},
    ),
    (
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            accounts(first: 100) { nodes { account { parties { subject {
              identifier blacklisted scores { value } spouse { name blacklisted } } } } } } } }""",
        {"id": IDENTIFIERS[0]},
    ),
    (
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            scoreHistory(first: 500) { totalCount } name } }""",
        {"id": IDENTIFIERS[0]},
    ),
    ('{ subject(identifier: "nope", purpose: SELF) { name } }', {}),
    # scoreModels is @inaccessible: the models as a subject's scores reach them
    (
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            scores { model { id name bands { name } } } } __typename }""",
        {"id": IDENTIFIERS[0]},
    ),
]


@pytest.mark.parametrize(("document", "variables"), HAND_WRITTEN)
def test_hand_written_operations_agree(
    gateways: tuple[str, str], document: str, variables: dict[str, Any]
) -> None:
    _assert_same(gateways, document, variables)


# -- random operations ------------------------------------------------------------------


def _values(
    type_name: str, name: str, input_type: GraphQLInputType
) -> st.SearchStrategy[Any] | None:
    argument = name.rsplit(".", 1)[-1]
    nullable = not isinstance(input_type, GraphQLNonNull)
    inner = input_type.of_type if isinstance(input_type, GraphQLNonNull) else input_type
    if isinstance(inner, GraphQLList):
        return None
    chosen: st.SearchStrategy[Any] | None = {
        "identifier": st.sampled_from(IDENTIFIERS),
        "first": st.integers(0, 100),
        "months": st.integers(1, 60),
        "maxDepth": st.integers(1, 8),
        "limit": st.integers(1, 50),
        "code": st.sampled_from([institution.code for institution in INSTITUTIONS]),
        "id": st.integers(1, 400).map(str),
        "after": st.none(),
    }.get(argument)
    if chosen is None or not nullable:
        return chosen
    return chosen | st.none() if argument != "after" else chosen


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operation=operations(SCHEMA, argument_values=_values, max_depth=5, max_fields=5))
def test_random_operations_agree(gateways: tuple[str, str], operation: GeneratedOperation) -> None:
    _assert_same(gateways, operation.document, operation.variables, operation.operation_name)
