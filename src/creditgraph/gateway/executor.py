"""Running a plan: fetches in dependency order, answers merged into one tree.

Within a stage, every fetch whose dependencies are done starts at once;
those that become ready together and go to the same subgraph travel as one
request (several `_entities` fields under aliases), so a plan step costs one
call per subgraph however many paths it touches. An entity fetch finds the
objects at its path in the merged tree, turns each into a representation
(deduplicated: one per distinct entity), and merges each answer back into
every object that produced it.

A subgraph that fails or is too slow (the transport's timeouts, retries and circuit
breaker decide: transports/resilient.py) costs only its own fields: they stay
null, with a `SUBGRAPH_UNAVAILABLE` error at each of their paths, and every
fetch that does not need its answer still runs. Errors a subgraph reports are
passed on with their paths rewritten from `_entities` positions to response
paths, and with nothing but message, path and extensions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from opentelemetry.trace import SpanKind

from creditgraph import tracing
from creditgraph.gateway.aliases import BATCH, alias
from creditgraph.gateway.errors import INTERNAL_SERVER_ERROR, SUBGRAPH_UNAVAILABLE, error
from creditgraph.gateway.plan import Fetch, FieldSet, PathStep, Plan
from creditgraph.gateway.supergraph import Supergraph
from creditgraph.gateway.transports import SubgraphUnavailable, Transport
from creditgraph.gateway.tree import Where, copied, flatten, spelled

# one unavailable subgraph under a long list would otherwise bury the response in errors
_MAX_UNAVAILABLE_ERRORS = 100
_HIDDEN_EXTENSIONS = frozenset({"stacktrace", "exception"})


@dataclass(slots=True)
class _Batch:
    """One fetch's part of a request: its representations and who produced each."""

    fetch: Fetch
    representations: list[dict[str, Any]]
    owners: list[list[tuple[dict[str, Any], Where]]]
    alias: str


class Execution:
    """The state of one request's plan run: the merged data and the errors so far."""

    def __init__(
        self,
        plan: Plan,
        supergraph: Supergraph,
        transport: Transport,
        variables: Mapping[str, Any],
    ) -> None:
        self.plan = plan
        self.supergraph = supergraph
        self.transport = transport
        self.variables = variables
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self._abstract = supergraph.abstract_names

    async def run(self) -> None:
        done: set[int] = set()
        for stage in self.plan.stages:
            await self._run_stage(stage, done)

    async def _run_stage(self, stage: tuple[Fetch, ...], done: set[int]) -> None:
        pending = list(stage)
        running: dict[asyncio.Task[None], list[Fetch]] = {}
        while pending or running:
            ready = [fetch for fetch in pending if fetch.depends_on <= done]
            for fetch in ready:
                pending.remove(fetch)
            groups = _by_request(ready)
            if not running and not pending and len(groups) == 1:
                # the stage's last request, with nothing beside it: no task to wait on
                await self._send(groups[0])
                done.update(fetch.id for fetch in groups[0])
                continue
            for group in groups:
                running[asyncio.ensure_future(self._send(group))] = group
            if not running:
                raise RuntimeError("the plan's fetches depend on each other in a cycle")
            try:
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                # the request was cancelled (its client went away): its fetches go with it
                for task in running:
                    task.cancel()
                raise
            for task in finished:
                done.update(fetch.id for fetch in running.pop(task))
                task.result()

    # -- one request to one subgraph -----------------------------------------------------

    async def _send(self, fetches: list[Fetch]) -> None:
        graph = self.supergraph.graphs[fetches[0].graph]
        if not fetches[0].entity:
            await self._send_root(fetches[0], graph.name)
            return
        batches = [batch for batch in map(self._batch, fetches) if batch.representations]
        if not batches:
            return
        if len(batches) == 1:
            batches[0].alias = "_entities"
            document = batches[0].fetch.document
            variables = self._variables(batches[0].fetch)
            variables["representations"] = batches[0].representations
        else:
            document, variables = self._combined(batches)
        try:
            response = await self._fetch(graph.name, document, variables, len(batches))
        except SubgraphUnavailable as exc:
            for batch in batches:
                self._unavailable_entities(batch, graph.name, exc.reason)
            return
        data = response.get("data") or {}
        by_alias = {batch.alias: batch for batch in batches}
        for batch in batches:
            results = data.get(batch.alias)
            if not isinstance(results, list):
                continue
            if batch.fetch.wire_keys is not None:
                batch.fetch.wire_keys.restore(results)
            for index, result in enumerate(results):
                if isinstance(result, dict) and index < len(batch.owners):
                    # an entity at several places gets an answer of its own at each (tree.py)
                    for place, (owner, _) in enumerate(batch.owners[index]):
                        self._merge(owner, result if place == 0 else copied(result))
        for item in response.get("errors") or ():
            self._entity_error(item, by_alias)

    async def _send_root(self, fetch: Fetch, graph_name: str) -> None:
        try:
            response = await self._fetch(graph_name, fetch.document, self._variables(fetch), 0)
        except SubgraphUnavailable as exc:
            message = _unavailable_message(graph_name, exc.reason)
            for key in fetch.visible_keys:
                self.errors.append(error(message, SUBGRAPH_UNAVAILABLE, [key]))
            return
        data = response.get("data")
        if isinstance(data, dict):
            if fetch.wire_keys is not None:
                fetch.wire_keys.restore(data)
            self._merge(self.data, data)
        for item in response.get("errors") or ():
            self.errors.append(_clean(item, item.get("path")))

    async def _fetch(
        self, graph_name: str, document: str, variables: dict[str, Any], entity_fetches: int
    ) -> dict[str, Any]:
        """One request to a subgraph, as a span of the request's trace (when tracing)."""
        if not tracing.enabled():
            return await self.transport.send(graph_name, document, variables)
        attributes: dict[str, Any] = {
            tracing.SUBGRAPH_ATTRIBUTE: graph_name,
            "graphql.operation.type": document.split("(", 1)[0].split(" ", 1)[0],
        }
        if entity_fetches:
            attributes["creditgraph.entity_fetches"] = entity_fetches
        with tracing.span(
            f"fetch {graph_name}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            try:
                return await self.transport.send(graph_name, document, variables)
            except SubgraphUnavailable as exc:
                tracing.failed(span, exc.reason)
                raise

    def _variables(self, fetch: Fetch) -> dict[str, Any]:
        return {
            name: self.variables[name] for name in fetch.variable_names if name in self.variables
        }

    def _combined(self, batches: list[_Batch]) -> tuple[str, dict[str, Any]]:
        """Several entity fetches for one subgraph, as one document with aliased `_entities`."""
        declared: dict[str, str] = {}
        parts = []
        variables: dict[str, Any] = {}
        for number, batch in enumerate(batches):
            batch.alias = alias(BATCH, str(number))
            name = f"representations{number}"
            declared[name] = f"${name}: [_Any!]!"
            variables[name] = batch.representations
            for definition, variable in zip(
                batch.fetch.variable_definitions, batch.fetch.variable_names, strict=True
            ):
                declared[variable] = definition
                if variable in self.variables:
                    variables[variable] = self.variables[variable]
            parts.append(
                f"{batch.alias}: _entities(representations: ${name}) {batch.fetch.selection_text}"
            )
        document = "query(" + ", ".join(declared.values()) + ") { " + " ".join(parts) + " }"
        return document, variables

    # -- representations -----------------------------------------------------------------

    def _batch(self, fetch: Fetch) -> _Batch:
        representations: list[dict[str, Any]] = []
        owners: list[list[tuple[dict[str, Any], Where]]] = []
        seen: dict[bytes, int] = {}
        for owner, path in _objects_at(self.data, fetch.path):
            typename = owner.get("__typename")
            target = fetch.targets.get(typename) if isinstance(typename, str) else None
            if target is None and len(fetch.targets) == 1 and typename is None:
                target = next(iter(fetch.targets.values()))
            if target is None:
                continue
            representation: dict[str, Any] = {"__typename": target.representation_type}
            if not _project(owner, target.key, representation, nulls=False):
                continue
            if target.requires is not None and not _project(
                owner, target.requires, representation, nulls=True
            ):
                continue
            identity = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
            index = seen.get(identity)
            if index is None:
                index = seen[identity] = len(representations)
                representations.append(representation)
                owners.append([])
            owners[index].append((owner, path))
        return _Batch(fetch, representations, owners, alias="_entities")

    # -- merging -------------------------------------------------------------------------

    def _merge(self, target: dict[str, Any], source: dict[str, Any]) -> None:
        for key, value in source.items():
            existing = target.get(key)
            if existing is None:
                target[key] = value
            elif isinstance(existing, dict) and isinstance(value, dict):
                self._merge(existing, value)
            elif isinstance(existing, list) and isinstance(value, list):
                for old, new in zip(existing, value, strict=False):
                    if isinstance(old, dict) and isinstance(new, dict):
                        self._merge(old, new)
            elif key == "__typename":
                if existing in self._abstract:
                    target[key] = value
            elif value is not None:
                target[key] = value

    # -- errors --------------------------------------------------------------------------

    def _entity_error(self, item: dict[str, Any], batches: dict[str, _Batch]) -> None:
        path = item.get("path")
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] in batches
            and isinstance(path[1], int)
        ):
            batch = batches[path[0]]
            if 0 <= path[1] < len(batch.owners):
                for _, owner_path in batch.owners[path[1]]:
                    self.errors.append(_clean(item, [*spelled(owner_path), *path[2:]]))
                return
        self.errors.append(_clean(item, None))

    def _unavailable_entities(self, batch: _Batch, graph_name: str, reason: str) -> None:
        message = _unavailable_message(graph_name, reason)
        keys = batch.fetch.visible_keys
        reported = 0
        for owners in batch.owners:
            for _, where in owners:
                for key in keys:
                    if reported == _MAX_UNAVAILABLE_ERRORS:
                        return
                    path = [*spelled(where), key]
                    self.errors.append(error(message, SUBGRAPH_UNAVAILABLE, path))
                    reported += 1


def _by_request(ready: list[Fetch]) -> list[list[Fetch]]:
    """Group fetches that can travel together: entity fetches per subgraph; roots alone."""
    groups: dict[str, list[Fetch]] = {}
    alone: list[list[Fetch]] = []
    for fetch in ready:
        if fetch.entity:
            groups.setdefault(fetch.graph, []).append(fetch)
        else:
            alone.append([fetch])
    return alone + list(groups.values())


def _objects_at(
    data: dict[str, Any], path: tuple[PathStep, ...]
) -> Iterator[tuple[dict[str, Any], Where]]:
    """Every object at `path`, lists flattened, each with where it sits in the response."""
    current: list[tuple[Any, Where]] = [(data, None)]
    for step in path:
        following: list[tuple[Any, Where]] = []
        for value, where in current:
            if not isinstance(value, dict):
                continue
            if step.only is not None and value.get("__typename") not in step.only:
                continue
            flatten(value.get(step.key), (where, step.key), following)
        current = following
    for value, where in current:
        if isinstance(value, dict):
            yield value, where


def _project(source: dict[str, Any], shape: FieldSet, into: dict[str, Any], *, nulls: bool) -> bool:
    """Copy a shape's fields from the merged response into a representation.

    False when a field is missing (or, for a key, null): such an object cannot
    be sent, and its fields from that subgraph stay null.
    """
    if shape.by_type:
        typename = source.get("__typename")
        inner = shape.by_type.get(typename) if isinstance(typename, str) else None
        if inner is None:
            return False
        into["__typename"] = typename
        return _project(source, inner, into, nulls=nulls)
    for name, response_key, child in shape.fields:
        if name == "__typename":
            continue
        if response_key not in source:
            return False
        value = source[response_key]
        if value is None and not nulls:
            return False
        if child is None or value is None:
            into[name] = value
        elif isinstance(value, list):
            items = []
            for item in value:
                projected: dict[str, Any] = {}
                if isinstance(item, dict) and not _project(item, child, projected, nulls=nulls):
                    return False
                items.append(projected if isinstance(item, dict) else item)
            into[name] = items
        elif isinstance(value, dict):
            nested: dict[str, Any] = {}
            if not _project(value, child, nested, nulls=nulls):
                return False
            into[name] = nested
    return True


def _unavailable_message(graph_name: str, reason: str) -> str:
    return f"the {graph_name} subgraph is unavailable: {reason}"


def _clean(item: Any, path: Any) -> dict[str, Any]:
    """A subgraph's error as the client may see it: message, path and extensions only, with a
    code (INTERNAL_SERVER_ERROR when the subgraph gave none: creditgraph's own code every
    error, so one without is another's failure), as every error the gateway answers has."""
    if not isinstance(item, dict):
        return error("a subgraph returned a malformed error", INTERNAL_SERVER_ERROR)
    cleaned: dict[str, Any] = {"message": str(item.get("message", "subgraph error"))}
    if isinstance(path, list):
        cleaned["path"] = path
    extensions = item.get("extensions")
    kept: dict[str, Any] = {}
    if isinstance(extensions, dict):
        kept = {key: value for key, value in extensions.items() if key not in _HIDDEN_EXTENSIONS}
    if not isinstance(kept.get("code"), str):
        kept["code"] = INTERNAL_SERVER_ERROR
    cleaned["extensions"] = kept
    return cleaned
