"""What an entity jump needs from where it starts: a key, and the field's `@requires`.

To fetch a field from another subgraph, the planner needs the fields of one of
that subgraph's keys for the type (and of the field's `@requires`) at the
current position. `Requirements.request` has them fetched there, planning each
as the client's fields are planned (so a key field may itself need a jump), and
returns a `FieldSetBuilder` saying under which response keys they land: their
own names when the client does not use those names for something else, else
an internal alias (gateway/aliases.py). `jump_targets` ranks the subgraphs and
keys a field can be fetched by, cheapest first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from graphql import ArgumentNode, FieldNode, InlineFragmentNode, SelectionSetNode

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.operation import CollectedField, PossibleTypes
from creditgraph.gateway.planning.fetch_graph import FetchNode, FieldSetBuilder
from creditgraph.gateway.planning.positions import PlanningError, Position, local_join
from creditgraph.gateway.planning.selection import TYPENAME, print_arguments
from creditgraph.gateway.supergraph import FieldJoin, Key, Supergraph

# how the traversal plans one field at a position: the fetches that supply it, and the
# position of its children (None for a leaf)
PlanField = Callable[[Position, CollectedField], tuple[set[FetchNode], Position | None]]


class Requirements:
    """Key and `@requires` fields for one plan being built."""

    def __init__(
        self, supergraph: Supergraph, possible: PossibleTypes, plan_field: PlanField
    ) -> None:
        self.supergraph = supergraph
        self.possible = possible
        self.plan_field = plan_field
        # (selection, field) pairs being requested: a key that needs itself to be fetched
        self._requesting: set[tuple[int, str]] = set()

    def request(
        self, position: Position, selection: SelectionSetNode
    ) -> tuple[FieldSetBuilder, set[FetchNode]]:
        """Have a field set fetched at `position`; say where it lands and who fetches it."""
        found = FieldSetBuilder()
        suppliers: set[FetchNode] = set()
        type_ = self.supergraph.types[position.type_name]
        if type_.kind != "object" and not self.supergraph.sees_as_object(
            position.fetch.graph, type_.name
        ):
            position.selection.typename()
            for possible in sorted(
                self.supergraph.possible_types_in(type_.name, position.fetch.graph)
            ):
                branch = Position(
                    position.fetch,
                    position.selection.fragment(possible),
                    possible,
                    position.path,
                    only=frozenset({possible}),
                    client_keys=position.client_keys,
                    parent=position,
                )
                found.by_type[possible], more = self.request(branch, selection)
                suppliers |= more
            return found, suppliers
        for item in selection.selections:
            if isinstance(item, InlineFragmentNode):
                condition = item.type_condition.name.value if item.type_condition else None
                if condition is None or position.type_name in self.possible(condition):
                    inner, more = self.request(position, item.selection_set)
                    found.fields.extend(inner.fields)
                    suppliers |= more
                continue
            assert isinstance(item, FieldNode)
            name = item.name.value
            if name == TYPENAME:
                position.selection.typename()
                found.fields.append((TYPENAME, TYPENAME, None))
                continue
            arguments = tuple(item.arguments or ())
            response_key = self._internal_key(position, name, arguments)
            collected = CollectedField(
                response_key, name, arguments, [] if item.selection_set is not None else None
            )
            marker = (id(position.selection), name)
            if marker in self._requesting:
                raise PlanningError(f"{position.type_name}.{name} is needed to fetch itself")
            self._requesting.add(marker)
            try:
                fetches, child = self.plan_field(position, collected)
            finally:
                self._requesting.discard(marker)
            suppliers |= fetches
            below = None
            if item.selection_set is not None:
                if child is None:
                    raise PlanningError(f"cannot place {position.type_name}.{name}")
                below, more = self.request(child, item.selection_set)
                suppliers |= more
            found.fields.append((name, response_key, below))
        return found, suppliers

    def _internal_key(
        self, position: Position, name: str, arguments: tuple[ArgumentNode, ...]
    ) -> str:
        """Where a field the planner needs lands: under its own name when nothing else
        there is called that, else under an internal alias naming its arguments (a
        `@requires` of `price(currency: "USD")` beside the client's `price(currency: "EUR")`,
        or beside another `@requires` of `price(currency: "EUR")`)."""
        printed = print_arguments(arguments)
        internal = alias(PLAN, name)
        if arguments:
            internal += "_" + hashlib.sha1(printed.encode()).hexdigest()[:8]
        if position.client_keys is None:
            return internal
        used = position.client_keys.get(name)
        if used is not None and (used.name != name or print_arguments(used.arguments) != printed):
            return internal
        built = position.selection.fields.get(name)
        if built is not None and (
            built.name != name or print_arguments(built.arguments) != printed
        ):
            return internal
        return name

    def jump_targets(
        self, position: Position, name: str, existing: set[str]
    ) -> list[tuple[str, str, FieldJoin, Key]]:
        """Where `name` can be fetched from here, cheapest first: (graph, representation
        type, join, key). A key the position's fetch has at hand costs less than one that
        needs more jumps, and a subgraph already fetched from at this path (`existing`)
        less than a new one."""
        type_name = position.type_name
        here = position.fetch.graph
        candidates: list[tuple[int, str, str, FieldJoin, Key]] = []
        routes = [(type_name, graph) for graph in self.supergraph.graphs_resolving(type_name, name)]
        for interface in self.supergraph.interfaces_of(type_name):
            for graph in interface.interface_object_graphs:
                if self.supergraph.field_join(interface.name, name, graph) is not None:
                    routes.append((interface.name, graph))
        for representation_type, graph in routes:
            join = self.supergraph.field_join(representation_type, name, graph)
            assert join is not None
            if graph == here and join.requires is None:
                continue
            entity_type = self.supergraph.types[representation_type]
            for key in entity_type.keys_in(graph):
                if not usable(key, name):
                    continue
                cost = 0 if self.directly(position, key.selection) else 2
                cost += 0 if graph in existing else 1
                candidates.append((cost, graph, representation_type, join, key))
        candidates.sort(key=lambda item: item[0])
        return [(graph, rep, join, key) for _, graph, rep, join, key in candidates]

    def directly(self, position: Position, selection: SelectionSetNode) -> bool:
        """Whether the fetch at `position` can supply a field set without further jumps."""
        for item in selection.selections:
            if isinstance(item, FieldNode):
                if item.name.value == TYPENAME:
                    continue
                join = local_join(self.supergraph, position, item.name.value)
                if join is None or join.requires is not None:
                    return False
            else:
                return False
        return True


def usable(key: Key, wanted: str | None) -> bool:
    """Whether a key can fetch the field `wanted`: not when the key is that field itself."""
    return key.resolvable and not any(
        isinstance(item, FieldNode) and item.name.value == wanted
        for item in key.selection.selections
    )
