"""Where the planner stands: an object position in the response, as one fetch sees it.

The traversal (planning/traversal.py) and the requirements (keys and
`@requires`, planning/requirements.py) both move between positions; this
module holds what they share: the position itself, what a subgraph resolves
at one (`local_join`, `@provides` included), and the planner's one error.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from creditgraph.gateway.operation import CollectedField
from creditgraph.gateway.plan import PathStep
from creditgraph.gateway.planning.fetch_graph import FetchNode
from creditgraph.gateway.planning.selection import SelectionBuilder
from creditgraph.gateway.supergraph import FieldJoin, Supergraph


class PlanningError(Exception):
    """The supergraph gives no way to resolve a field the operation asks for."""


@dataclass(slots=True, eq=False)
class Position:
    """An object position in the response, as one fetch sees it."""

    fetch: FetchNode
    selection: SelectionBuilder
    type_name: str
    path: tuple[PathStep, ...]
    provided: SelectionSetNode | None = None
    only: frozenset[str] | None = None
    # the client's fields at this position; None when the planner made the position for
    # itself and cannot know them, so everything it adds there takes an internal alias
    client_keys: dict[str, CollectedField] | None = None
    # the enclosing position in the same fetch, and the field that leads from it to here
    # (None for a type condition's branch): the way back up when a field needs another
    # subgraph that no entity jump from here reaches
    parent: Position | None = None
    via: CollectedField | None = None
    # for an entity fetch's objects, the same objects in the fetch that supplied their keys
    origin: Position | None = None

    def child_path(self, response_key: str) -> tuple[PathStep, ...]:
        return (*self.path, PathStep(response_key, self.only))


def local_join(supergraph: Supergraph, position: Position, name: str) -> FieldJoin | None:
    """How the position's own subgraph resolves `name` here, if it does (or `@provides` it)."""
    graph = position.fetch.graph
    join = supergraph.field_join(position.type_name, name, graph)
    if join is not None:
        return join
    if provides(position.provided, name, position.type_name):
        return FieldJoin(graph=graph)
    return None


def provides(provided: SelectionSetNode | None, name: str, type_name: str) -> bool:
    if provided is None:
        return False
    for item in provided.selections:
        if isinstance(item, FieldNode) and item.name.value == name:
            return True
        if isinstance(item, InlineFragmentNode):
            condition = item.type_condition.name.value if item.type_condition else None
            if (condition is None or condition == type_name) and provides(
                item.selection_set, name, type_name
            ):
                return True
    return False


def provided_below(provided: SelectionSetNode | None, name: str) -> SelectionSetNode | None:
    if provided is None:
        return None
    for item in provided.selections:
        if isinstance(item, FieldNode) and item.name.value == name:
            return item.selection_set
    return None
