"""Subgraphs mounted in the gateway's own process: their schemas, executed directly.

No HTTP and no serialisation: the strawberry schema runs on the gateway's
event loop with a fresh `SubgraphContext` per call, exactly as one HTTP
request to the subgraph would get, so loaders are never shared between
calls. No internal credential is needed, as nothing crosses a process
boundary. A mutation's fetches run inside the gateway's transaction: the
context carries the connection of the unit the gateway lent (gateway/writes.py),
so what the subgraph writes commits with the request's audit entry, and what it
reads is read there too, never on a second connection of the pool the gateway
holds one of.

The gateway sends the same few documents over and over (its plans'), so a query is
prepared once per document: parsed, its operation checked and validated against the
subgraph's schema. A prepared query is executed by graphql-core with the subgraph's
own execution context, without strawberry's per-request run of its schema extensions
(five of them built, entered and left for each fetch: about a third of a small fetch's
CPU): the transport does their work itself, through the functions they use — the
request's connection given back, failures logged (the schema's `process_errors`),
errors masked and coded (`client_errors`), and a NUL in a variable refused, by sending
that fetch the general way. Everything else (a mutation, a document that does not
validate or that spells an escape, a schema not built by `federation_schema`) takes the
general way, `Schema.execute`; tests/test_in_process_transport.py holds the two to the
same answers, errors and nulls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from inspect import isawaitable
from typing import Any, Final, TypeGuard, cast

import asyncpg
import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    specified_rules,
)
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import validate_document

from creditgraph.gateway import writes
from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.transports._base import SubgraphUnavailable
from creditgraph.requester import Requester
from creditgraph.subgraphs.arguments import holds_nul
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.masking import client_errors
from creditgraph.subgraphs.schema import QuietSchema

# documents prepared, over all subgraphs: a plan's fetches each send one, and the gateway
# keeps up to a thousand plans (engine.py); a document past these is prepared again
_PREPARED: Final = 1024
# strawberry's check, the one `Schema.execute` gives graphql-core, typed as graphql-core takes it
_IS_AWAITABLE = cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable)


class _Prepared:
    """What a document is to the transport: a query executed directly (`document`), or one
    that goes the general way (None)."""

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode | None) -> None:
        self.document = document


class InProcessTransport:
    def __init__(
        self,
        schemas: Mapping[str, strawberry.Schema],
        pool: asyncpg.Pool,
        requester: Requester | None = None,
        *,
        prepared: LRUCache[tuple[str, str], _Prepared] | None = None,
    ) -> None:
        self._schemas = dict(schemas)
        self._pool = pool
        self._requester = requester
        # shared by every view `acting_for` makes: preparing is per document, not per request
        self._prepared = prepared if prepared is not None else LRUCache(_PREPARED)

    def acting_for(self, requester: Requester | None) -> InProcessTransport:
        return InProcessTransport(self._schemas, self._pool, requester, prepared=self._prepared)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        schema = self._schemas.get(subgraph)
        if schema is None:
            raise SubgraphUnavailable(f"no subgraph named {subgraph!r} is mounted in this process")
        unit = writes.lent()
        context = SubgraphContext(
            self._pool, self._requester, lent=None if unit is None else unit.lent.for_request()
        )
        if unit is None and isinstance(schema, QuietSchema) and not holds_nul(variables):
            prepared = self._prepare(subgraph, schema, document)
            if prepared is not None:
                return _response(await _execute(schema, prepared, variables, context))
        result = await schema.execute(document, variable_values=variables, context_value=context)
        return _response(result)

    def _prepare(self, subgraph: str, schema: QuietSchema, document: str) -> DocumentNode | None:
        """The document parsed and validated, when it is a query executed directly."""
        key = (subgraph, document)
        found = self._prepared.get(key)
        if found is None:
            found = _Prepared(_query(schema, document))
            self._prepared.put(key, found)
        return found.document

    async def aclose(self) -> None:
        """The pool belongs to whoever made it."""


def _query(schema: QuietSchema, document: str) -> DocumentNode | None:
    """`document` parsed, when it is one query that validates against `schema` and spells
    no escape (a NUL reaches a document's text only as one: arguments.py)."""
    if "\\u" in document:
        return None
    try:
        parsed = parse(document)
    except GraphQLError:
        return None
    operations = [
        definition
        for definition in parsed.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    if validate_document(schema._schema, parsed, tuple(specified_rules)):
        return None
    return parsed


async def _execute(
    schema: QuietSchema,
    document: DocumentNode,
    variables: dict[str, Any],
    context: SubgraphContext,
) -> ExecutionResult:
    """A prepared query executed as `Schema.execute` would, its extensions' work done here."""
    try:
        executed = execute(
            schema._schema,
            document,
            context_value=context,
            variable_values=variables,
            executor_class=schema.execution_context_class,
            is_awaitable=_IS_AWAITABLE,
            operation_extensions=None,
        )
        result = await executed if isawaitable(executed) else executed
    except Exception as exc:  # strawberry answers any failure as an error
        result = ExecutionResult(None, [GraphQLError(str(exc), original_error=exc)])
    finally:
        await context.db.release()
    if result.errors:
        schema.process_errors(result.errors)
        result.errors = client_errors(result.errors, document)
    return result


def _response(result: Any) -> dict[str, Any]:
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [dict(error.formatted) for error in result.errors]
    return response
