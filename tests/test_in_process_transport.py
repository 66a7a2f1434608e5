"""The in-process transport's prepared queries answer exactly as the general way does.

The transport executes a query it has prepared (parsed and validated once per document)
with graphql-core directly, doing the work of the subgraph schema's extensions itself
(gateway/transports/in_process.py). The oracle is the general way, strawberry's
`Schema.execute` with every extension run: each fetch below goes both ways, on the same
data, and the answers must be equal, data (nulls included) and errors (messages, paths,
codes, masking) alike; each test also checks that the fetch took the way it is about,
so a fast path quietly turned off would fail it. Failures come from a database that is
gone (a closed pool): a subject's report then nulls what its type says it must, at the
root or item by item.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import asyncpg
import pytest
import strawberry

from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.resources import operations_root, supergraph_path
from creditgraph.subgraphs.arguments import RefuseNulInText
from creditgraph.subgraphs.context import GiveBackConnection, SubgraphContext
from creditgraph.subgraphs.masking import MaskInternalErrors
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from creditgraph.subgraphs.schema import ValidateOnce
from tests.graphql_helpers import Recorder

SCHEMAS = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
SUBJECTS = "query($ids: [String!]!) { subjects(identifiers: $ids) { identifier } }"


class Ways:
    """Sends a fetch through the transport and the general way, and says which way the
    transport took (it calls `Schema.execute` only for the general way)."""

    def __init__(self, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pool = pool
        self.transport = InProcessTransport(SCHEMAS, pool)
        self.general_calls = 0
        for schema in SCHEMAS.values():
            monkeypatch.setattr(schema, "execute", self._counted(schema.execute))

    def _counted(self, execute: Any) -> Any:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.general_calls += 1
            return await execute(*args, **kwargs)

        return counted

    async def general(
        self, subgraph: str, document: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        result = await SCHEMAS[subgraph].execute(
            document,
            variable_values=copy.deepcopy(variables),
            context_value=SubgraphContext(self.pool),
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [dict(error.formatted) for error in result.errors]
        return answer

    async def both(
        self, subgraph: str, document: str, variables: dict[str, Any], *, prepared: bool = True
    ) -> dict[str, Any]:
        """The transport's answer, after holding it to the general way's; `prepared`: whether
        the transport must have executed it directly."""
        before = self.general_calls
        answer = await self.transport.send(subgraph, document, copy.deepcopy(variables))
        assert self.general_calls == before + (0 if prepared else 1), "took the other way"
        assert answer == await self.general(subgraph, document, variables)
        return answer


@pytest.fixture
def ways(seeded_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> Ways:
    return Ways(seeded_pool, monkeypatch)


async def _busiest(pool: asyncpg.Pool, count: int) -> list[str]:
    rows = await pool.fetch(
        """select s.identifier from bureau.subjects s
           join bureau.account_parties p on p.subject_id = s.id
           group by s.identifier order by count(*) desc, s.identifier limit $1""",
        count,
    )
    return [row[0] for row in rows]


async def test_every_fetch_of_the_trusted_reports_answers_as_the_general_way(
    ways: Ways, seeded_pool: asyncpg.Pool
) -> None:
    recorder = Recorder(ways.transport)
    gateway = Gateway(Supergraph(supergraph_path().read_text(encoding="utf-8")), recorder)
    for name, more in (
        ("bank_underwriting", {}),
        ("government_public_credit", {}),
        ("subject_card", {"purpose": "LOAN_APPROVAL"}),
    ):
        document = (operations_root() / f"{name}.graphql").read_text(encoding="utf-8")
        for identifier in await _busiest(seeded_pool, 3):
            variables = {"identifier": identifier, **more}
            answer = await gateway.run(gateway.prepare(document, variables, None), variables)
            assert "errors" not in answer, answer
            assert answer["data"]["subject"]["identifier"] == identifier
    assert ways.general_calls == 0
    assert {subgraph for subgraph, _, _ in recorder.fetches} == set(SUBGRAPH_NAMES)
    for subgraph, document, variables in recorder.fetches:
        await ways.both(subgraph, document, variables)


async def test_bad_input_is_refused_alike_with_its_code_and_argument(
    ways: Ways, seeded_pool: asyncpg.Pool
) -> None:
    [known] = await _busiest(seeded_pool, 1)
    answer = await ways.both(
        "bureau",
        """query($ids: [String!]!) { subjects(identifiers: $ids) { identifier
             phones(limit: 0) { number }
             accounts(first: 1, after: "nonsense") { totalCount } } }""",
        {"ids": ["not an identifier", known]},
    )
    assert {error["extensions"]["code"] for error in answer["errors"]} == {"BAD_USER_INPUT"}
    # a variable the subgraph cannot take: BAD_USER_INPUT at the root field it was given to
    answer = await ways.both("bureau", SUBJECTS, {"ids": [1]})
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "identifiers"}
    assert error["path"] == ["subjects"]


async def test_a_nul_in_a_variable_is_refused_the_general_way(ways: Ways) -> None:
    answer = await ways.both(
        "bureau", SUBJECTS, {"ids": ["11010519800502042\x002"]}, prepared=False
    )
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "NUL" in error["message"]


async def test_a_document_that_does_not_validate_goes_the_general_way(ways: Ways) -> None:
    answer = await ways.both(
        "bureau", "query { subjects(identifiers: []) { noSuchField } }", {}, prepared=False
    )
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # and so does one that spells an escape, a NUL's only way into a document's text
    answer = await ways.both(
        "bureau",
        'query { subjects(identifiers: ["\\u0000"]) { identifier } }',
        {},
        prepared=False,
    )
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_failing_database_nulls_and_masks_alike_and_is_logged_once_each_way(
    seeded_database_url: str,
    seeded_pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    known = await _busiest(seeded_pool, 2)
    gone = await asyncpg.create_pool(seeded_database_url, min_size=0, max_size=1)
    await gone.close()
    ways = Ways(gone, monkeypatch)
    caplog.set_level(logging.WARNING, logger="creditgraph.subgraph")
    # a non-null root field failing nulls the whole answer
    root = "query($ids: [String!]!) { subjects(identifiers: $ids) { identifier name } }"
    answer = await ways.both("bureau", root, {"ids": known})
    assert answer["data"] is None
    assert answer["errors"][0]["message"] in {
        "Internal server error",
        "this subgraph's database is unavailable; try again shortly",
    }
    assert "pool" not in str(answer)  # nothing of the failure itself reaches the client
    logged = len(caplog.records)
    assert logged == 2  # once each way
    # an entity fetch's nullable items each take their own null and error
    entities = (
        "query($representations: [_Any!]!) { _entities(representations: $representations) "
        "{ ... on Subject { name phones { number } } } }"
    )
    representations = [{"__typename": "Subject", "identifier": one} for one in known]
    answer = await ways.both("bureau", entities, {"representations": representations})
    assert answer["data"] == {"_entities": [None, None]}
    assert [error["path"] for error in answer["errors"]] == [["_entities", 0], ["_entities", 1]]


async def test_the_request_connection_goes_back_to_the_pool_either_way(
    ways: Ways, seeded_pool: asyncpg.Pool
) -> None:
    [known] = await _busiest(seeded_pool, 1)
    document = SUBJECTS.replace("identifier }", "identifier phones { number } }")
    for ids in ([known], ["not an identifier"], [known, known]):
        await ways.both("bureau", document, {"ids": ids})
        assert seeded_pool.get_idle_size() == seeded_pool.get_size()


def test_the_transport_does_the_work_of_every_extension_a_subgraph_schema_has() -> None:
    """The prepared way does these extensions' work itself: a new one must be added there."""
    for schema in SCHEMAS.values():
        assert isinstance(schema, strawberry.federation.Schema)
        built = [
            extension if isinstance(extension, type) else type(extension())
            for extension in schema.extensions
        ]
        assert [extension.__name__ for extension in built] == [
            GiveBackConnection.__name__,
            MaskInternalErrors.__name__,
            RefuseNulInText.__name__,
            "ParserCache",
            ValidateOnce.__name__,
        ]
