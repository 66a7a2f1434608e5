"""Introspection answers the same however the client spells it: a root `__schema` or
`__type` reached through a named fragment, an inline fragment or a decided `@include`
is the same field as one written at the root, over HTTP, with and without the policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from graphql import parse

from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.introspection import introspect
from creditgraph.gateway.operation import normalize
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import PERSONA
from tests.http_app import bearer, in_process_gateway, serving

DIRECT = '{ __schema { queryType { name } } t: __type(name: "Subject") { name kind } }'
SPELLINGS = [
    "{ ...F } fragment F on Query { __schema { queryType { name } } "
    't: __type(name: "Subject") { name kind } }',
    '{ ... on Query { __schema { queryType { name } } } ... { t: __type(name: "Subject") '
    "{ name kind } } }",
    'query($yes: Boolean = true, $type: String! = "Subject") { ... @include(if: $yes) '
    "{ ...S } t: __type(name: $type) { ...K } } fragment S on Query "
    "{ __schema { queryType { name } } } fragment K on __Type { name kind }",
]
EXPECTED = {
    "__schema": {"queryType": {"name": "Query"}},
    "t": {"name": "Subject", "kind": "OBJECT"},
}


async def test_the_one_answerer_finds_introspection_behind_fragments() -> None:
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    schema = api_schema(supergraph)
    for text in [DIRECT, *SPELLINGS]:
        operation = normalize(parse(text), None, {"yes": True})
        data, errors = await introspect(schema, operation, supergraph.possible_types, {})
        assert (data, errors) == (EXPECTED, []), text
    skipped = normalize(parse(SPELLINGS[2]), None, {"yes": False})
    data, errors = await introspect(schema, skipped, supergraph.possible_types, {"yes": False})
    assert (data, errors) == ({"t": {"name": "Subject", "kind": "OBJECT"}}, [])


async def _post(client: Any, query: str, headers: dict[str, str] | None = None) -> Any:
    response = await client.post("/graphql", json={"query": query}, headers=headers or {})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("policy", [True, False], ids=["under-the-policy", "plain"])
async def test_over_http_every_spelling_answers_like_the_direct_form(
    writable_pool: asyncpg.Pool, tmp_path: Path, policy: bool
) -> None:
    gateway = in_process_gateway(writable_pool)
    try:
        async with serving(gateway, writable_pool, tmp_path, policy=policy) as client:
            direct = await _post(client, DIRECT)
            assert direct == {"data": EXPECTED}
            for text in SPELLINGS:
                assert await _post(client, text) == direct, text
            if policy:
                # beside a report the subject may see, the same: introspection and data
                husband = PERSONA["husband"]
                headers = bearer(tmp_path, "SUBJECT", husband.identifier)
                both = await _post(
                    client, SPELLINGS[0].replace("{ ...F }", "{ ...F me { name } }"), headers
                )
                assert both == {"data": {**EXPECTED, "me": {"name": husband.name}}}
    finally:
        await gateway.aclose()
