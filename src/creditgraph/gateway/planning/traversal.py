"""Planning: which subgraph fetches answer an operation, in which order (the traversal).

The planner walks the operation with the subgraph that is answering each
position. A field that subgraph resolves stays in the same fetch. A field it
cannot resolve is an entity jump: the planner picks a subgraph that resolves
it and accepts a key, asks for that key's fields at the current position
(added to the parent fetch when the client did not ask for them, under an
internal alias when the client used the name for something else), asks for
the field's `@requires` the same way, and puts the field into an entity
fetch of that subgraph at the same path, which depends on every fetch that
supplies those fields. All jumps to one subgraph at one path share one fetch
(unless their `@requires` need one field with different arguments), so each
plan step calls `_entities` once per subgraph. A field of a value type that
no jump reaches is asked of another subgraph from the nearest enclosing
entity (or query root) that subgraph can start from. A `@shareable` root
field goes to the subgraph whose plan for it takes the fewest fetches.

Abstract types are planned per possible type: a subgraph is asked
`... on T { ... }` for each object type it can return, so a field that only
some implementations resolve locally becomes a jump for just those. An
interface a subgraph knows only as an `@interfaceObject` is resolved by that
subgraph for its own fields; the concrete type and type-specific fields come
from the subgraph that owns the interface as an entity. Each subgraph is
asked in its own types (`join__field(type:)`): a field it types differently
from the supergraph is aliased under a type condition, so that selections
the supergraph allows do not conflict in the subgraph's schema.

This module walks the operation; the fetch graph (fetch_graph.py), the key and
`@requires` fields a jump needs (requirements.py) and the documents each fetch
sends (documents.py) have modules of their own. The walk ends in a frozen
`Plan` (gateway/plan.py): nothing that runs it calls back into the planner.
"""

from __future__ import annotations

from graphql import SelectionSetNode

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.introspection import needs_no_subgraph
from creditgraph.gateway.operation import (
    CollectedField,
    Field,
    Fragment,
    Operation,
    Selection,
)
from creditgraph.gateway.plan import Plan
from creditgraph.gateway.planning.documents import freeze
from creditgraph.gateway.planning.fetch_graph import FetchGraph, FetchNode, TargetBuilder
from creditgraph.gateway.planning.positions import (
    PlanningError,
    Position,
    local_join,
    provided_below,
)
from creditgraph.gateway.planning.requirements import Requirements, usable
from creditgraph.gateway.supergraph import FieldJoin, Key, Supergraph


class Planner:
    """Builds plans for one supergraph; holds nothing per request."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self._possible_cache: dict[str, set[str]] = {}

    def possible(self, type_name: str) -> set[str]:
        found = self._possible_cache.get(type_name)
        if found is None:
            found = self._possible_cache[type_name] = self.supergraph.possible_types(type_name)
        return found

    def plan(self, operation: Operation) -> Plan:
        """The operation's plan, frozen: built once, shared by every request that matches."""
        return freeze(_Traversal(self, operation).walk(), operation)


class _Traversal:
    """One operation's walk; its fetch graph grows as it goes (FetchGraph)."""

    def __init__(self, planner: Planner, operation: Operation) -> None:
        self.planner = planner
        self.supergraph = planner.supergraph
        self.possible = planner.possible
        self.operation = operation
        self.graph = FetchGraph(operation.kind)
        self.requirements = Requirements(self.supergraph, self.possible, self._plan_field)

    # -- the plan ------------------------------------------------------------------------

    def walk(self) -> list[list[FetchNode]]:
        """Every root field planned: the stages of fetches, ready to be frozen."""
        operation = self.operation
        root_type = self.supergraph.root_types.get(operation.kind, "")
        fields = operation.collect(operation.selections, root_type, self.possible)
        client_keys = {item.response_key: item for item in fields}
        for collected in fields:
            if needs_no_subgraph(collected.name):
                continue
            graph = self._root_graph(root_type, collected)
            if operation.kind == "mutation":
                if graph not in self.graph.roots:
                    self.graph.start_stage()
            elif not self.graph.stages:
                self.graph.start_stage()
            root = self.graph.root(graph)
            self._plan_field(
                Position(root, root.selection, root_type, (), client_keys=client_keys), collected
            )
        return self.graph.stages

    def _root_graph(self, root_type: str, collected: CollectedField) -> str:
        """The subgraph a root field is asked of: of those that resolve it, the one whose
        plan for the field's whole selection takes the fewest fetches (a `@shareable` root
        field may be answered by one subgraph alone where another needs more, or nothing)."""
        graphs = self.supergraph.graphs_resolving(root_type, collected.name)
        if not graphs:
            raise PlanningError(f"no subgraph resolves {root_type}.{collected.name}")
        if len(graphs) == 1:
            return graphs[0]
        costs: list[tuple[int, int, str]] = []
        for index, graph in enumerate(graphs):
            cost = self._trial_cost(root_type, collected, graph)
            if cost is not None:
                costs.append((cost - (graph in self.graph.roots), index, graph))
        return min(costs)[2] if costs else graphs[0]

    def _trial_cost(self, root_type: str, collected: CollectedField, graph: str) -> int | None:
        """How many fetches a root field takes when `graph` answers it; None when it can't."""
        trial = _Traversal(self.planner, self.operation)
        root = trial.graph.root(graph)
        position = Position(
            root, root.selection, root_type, (), client_keys={collected.response_key: collected}
        )
        try:
            trial._plan_field(position, collected)
        except PlanningError:
            return None
        return len(trial.graph.current)

    # -- selections ----------------------------------------------------------------------

    def _plan_selections(self, position: Position, selections: list[Selection]) -> None:
        type_ = self.supergraph.composite(position.type_name)
        if type_ is None:
            raise PlanningError(f"{position.type_name} is not an object, interface or union")
        if type_.kind == "object":
            fields = self.operation.collect(selections, type_.name, self.possible)
            if fields:
                position.client_keys = {item.response_key: item for item in fields}
            for collected in fields:
                self._plan_field(position, collected)
            return
        graph = position.fetch.graph
        if self.supergraph.sees_as_object(graph, type_.name):
            self._plan_interface_object(position, selections)
            return
        position.selection.typename()
        answerable = self.supergraph.possible_types_in(type_.name, graph)
        for other in self._also_answering(position):
            answerable &= self.supergraph.possible_types_in(type_.name, other)
        possible_types = sorted(answerable)
        if not possible_types:
            self._check_no_possible_types(position, selections)
        for possible in possible_types:
            fields = self.operation.collect(selections, possible, self.possible)
            if not fields:
                continue
            branch = Position(
                position.fetch,
                position.selection.fragment(possible),
                possible,
                position.path,
                provided=position.provided,
                only=frozenset({possible}),
                client_keys={item.response_key: item for item in fields},
                parent=position,
            )
            for collected in fields:
                self._plan_field(branch, collected)

    def _also_answering(self, position: Position) -> list[str]:
        """The other subgraphs that could answer the field leading to this abstract position.

        A `@shareable` field whose union or interface has different members in
        different subgraphs may be answered by any of them, so (as Apollo's planner
        does) only the types every one of them can return are asked for.
        """
        if position.via is None or position.parent is None:
            return []
        found = []
        for graph in self.supergraph.graphs:
            if graph != position.fetch.graph and self._reachable(position, graph):
                found.append(graph)
        return found

    def _reachable(self, position: Position, graph: str) -> bool:
        """Whether `graph` could answer the way to `position` from an enclosing entity it
        has a key for, or from the root of a query (the way `_ascend` would go)."""
        chain: list[Position] = [position]
        current = position.parent
        root_type = self.supergraph.root_types.get(self.operation.kind)
        while current is not None:
            if self._walkable(chain, graph):
                if not current.path and current.type_name == root_type:
                    return self.operation.kind == "query"
                type_ = self.supergraph.types[current.type_name]
                if type_.kind == "object" and any(key.resolvable for key in type_.keys_in(graph)):
                    return True
            if current.via is None:
                return False
            chain.insert(0, current)
            current = current.parent
        return False

    def _check_no_possible_types(self, position: Position, selections: list[Selection]) -> None:
        """An interface this subgraph returns no object type of: nothing is planned per type,
        but a field of the interface itself the subgraph does not resolve has no plan."""
        interface = position.type_name
        for collected in self.operation.collect(selections, interface, self.possible):
            name = collected.name
            if name != "__typename" and not self._local_join(position, name):
                graph_name = self.supergraph.graphs[position.fetch.graph].name
                raise PlanningError(f"no subgraph can resolve {interface}.{name} from {graph_name}")

    def _plan_interface_object(self, position: Position, selections: list[Selection]) -> None:
        """An interface its subgraph sees as an object: its fields here, the rest by jump."""
        interface = position.type_name
        fields = self.operation.collect(selections, interface, self.possible)
        position.client_keys = {item.response_key: item for item in fields}
        for collected in fields:
            if collected.name != "__typename":
                self._plan_field(position, collected)
        # type-specific selections need each object's concrete type, which only the
        # interface's owner knows; the interface's own fields do not
        concrete: list[Selection] = [
            item
            for item in selections
            if isinstance(item, Fragment) and item.type_condition not in (None, interface)
        ]
        if not concrete and all(collected.name != "__typename" for collected in fields):
            return
        concrete.insert(0, Field("__typename", "__typename", (), None))
        owner = self._interface_owner(interface)
        if owner is None:
            raise PlanningError(f"no subgraph resolves the concrete types of {interface}")
        graph, key = owner
        _, branch = self._entity_fetch(position, graph, position.type_name, interface, key)
        self._plan_selections(branch, concrete)

    def _interface_owner(self, interface: str) -> tuple[str, Key] | None:
        type_ = self.supergraph.types[interface]
        for key in type_.keys:
            if key.resolvable and key.graph not in type_.interface_object_graphs:
                return key.graph, key
        return None

    # -- fields --------------------------------------------------------------------------

    def _local_join(self, position: Position, name: str) -> FieldJoin | None:
        return local_join(self.supergraph, position, name)

    def _plan_field(
        self, position: Position, collected: CollectedField
    ) -> tuple[set[FetchNode], Position | None]:
        """Put one field into the plan; say which fetches supply it and where its children are."""
        if collected.name == "__typename":
            if self.supergraph.is_abstract(position.type_name):
                position.selection.typename()
            return set(), None
        join = self._local_join(position, collected.name)
        if join is not None and join.requires is None:
            return {position.fetch}, self._add_local(position, collected, join)
        return self._jump(position, collected)

    def _add_local(
        self, position: Position, collected: CollectedField, join: FieldJoin
    ) -> Position | None:
        composite = collected.selections is not None
        built = position.selection.field(
            collected.response_key,
            collected.name,
            collected.arguments,
            composite,
            wire_key=self._wire_key(position, collected, join),
        )
        if not composite:
            return None
        assert built.child is not None
        child_type = self.supergraph.field_type_in(position.type_name, collected.name, join)
        if child_type is None:
            raise PlanningError(f"{position.type_name}.{collected.name} has no type")
        if self.supergraph.is_abstract(
            self.supergraph.field_type(position.type_name, collected.name) or ""
        ):
            # the subgraph may declare a member type where the supergraph has the union
            built.child.typename()
        child = Position(
            position.fetch,
            built.child,
            child_type,
            position.child_path(collected.response_key),
            provided=join.provides or provided_below(position.provided, collected.name),
            parent=position,
            via=collected,
        )
        self._plan_selections(child, collected.sub_selections())
        return child

    def _wire_key(
        self, position: Position, collected: CollectedField, join: FieldJoin
    ) -> str | None:
        """An alias for a field the subgraph types differently from the supergraph.

        Under a type condition, beside the same response key selected on another
        type, a subgraph refuses two fields of different types (`User.id: ID!` and
        `Admin.id: ID`) as conflicting. The client's operation is valid against the
        supergraph, so only a field whose subgraph type differs from its supergraph
        type can conflict; its alias names the type, so equal aliases mean equal types.
        """
        if not position.selection.exclusive or join.type is None:
            return None
        info = self.supergraph.field_info(position.type_name, collected.name)
        if info is None or join.type == info.type_text:
            return None
        return alias(PLAN, f"{collected.response_key}__{_type_tag(join.type)}")

    def _jump(
        self, position: Position, collected: CollectedField
    ) -> tuple[set[FetchNode], Position | None]:
        type_name = position.type_name
        for graph, representation_type, join, key in self.requirements.jump_targets(
            position, collected.name, self.graph.graphs_at(position.path)
        ):
            requires = join.requires
            entity, branch = self._entity_fetch(
                position, graph, type_name, representation_type, key, requires
            )
            if requires is not None:
                return {entity}, self._add_local(branch, collected, join)
            fetches, child = self._plan_field(branch, collected)
            return fetches | {entity}, child
        return self._ascend(position, collected)

    def _ascend(
        self, position: Position, collected: CollectedField
    ) -> tuple[set[FetchNode], Position | None]:
        """A field no entity jump reaches: go up to where another subgraph can start.

        A value type's field that only another subgraph resolves is reachable from
        the nearest enclosing position that subgraph can answer too: an entity it
        has a key for, or the root of a query. From there the planner asks that
        subgraph for the whole way down, and the answers merge into the same objects.
        It does not go up past a type condition: the subgraph that answered the
        abstract field answers for all of its types (as Apollo's planner does).
        """
        chain: list[Position] = []
        current: Position | None = position
        while current is not None:
            for graph in self.supergraph.graphs:
                if (
                    graph != position.fetch.graph
                    and self._walkable(chain, graph)
                    and self.supergraph.field_join(position.type_name, collected.name, graph)
                ):
                    start = self._start(current, graph, None if chain else collected.name)
                    if start is not None:
                        return self._plan_field(self._descend(start, chain), collected)
            if current.via is None:
                break
            chain.insert(0, current)
            current = current.parent
        raise PlanningError(
            f"no subgraph can resolve {position.type_name}.{collected.name} "
            f"from {self.supergraph.graphs[position.fetch.graph].name}"
        )

    def _walkable(self, chain: list[Position], graph: str) -> bool:
        """Whether `graph` resolves every step of `chain`, each from its parent."""
        for step in chain:
            parent = step.parent
            assert parent is not None
            if step.via is None:
                if step.type_name not in self.supergraph.possible_types_in(parent.type_name, graph):
                    return False
            elif self.supergraph.field_join(parent.type_name, step.via.name, graph) is None:
                return False
        return True

    def _start(self, position: Position, graph: str, wanted: str | None) -> Position | None:
        """The same objects as `position`'s in a fetch of `graph`, when it can reach them
        (by a key that is not `wanted`, the field being looked for)."""
        root_type = self.supergraph.root_types.get(self.operation.kind)
        if not position.path and position.type_name == root_type:
            # root fields are asked again of another subgraph: never a mutation's
            if self.operation.kind != "query":
                return None
            root = self.graph.root(graph)
            return Position(root, root.selection, root_type, (), client_keys=position.client_keys)
        type_ = self.supergraph.types[position.type_name]
        if type_.kind != "object":
            return None
        for key in type_.keys_in(graph):
            if usable(key, wanted):
                source = position
                if position.origin is not None and self.requirements.directly(
                    position.origin, key.selection
                ):
                    # the fetch these objects came from has the key where this one may not
                    source = position.origin
                return self._entity_fetch(source, graph, type_.name, type_.name, key)[1]
        return None

    def _descend(self, start: Position, chain: list[Position]) -> Position:
        """`chain`'s steps below `start`, selected again in `start`'s fetch."""
        current = start
        for step in chain:
            type_name: str | None = step.type_name
            if step.via is None:
                current.selection.typename()
                selection = current.selection.fragment(step.type_name)
            else:
                join = self.supergraph.field_join(
                    current.type_name, step.via.name, start.fetch.graph
                )
                assert join is not None
                built = current.selection.field(
                    step.via.response_key,
                    step.via.name,
                    step.via.arguments,
                    composite=True,
                    wire_key=self._wire_key(current, step.via, join),
                )
                assert built.child is not None
                if self.supergraph.is_abstract(
                    self.supergraph.field_type(current.type_name, step.via.name) or ""
                ):
                    built.child.typename()
                selection = built.child
                type_name = self.supergraph.field_type_in(current.type_name, step.via.name, join)
            current = Position(
                current.fetch,
                selection,
                type_name or step.type_name,
                step.path,
                only=step.only,
                client_keys=step.client_keys,
                parent=current,
                via=step.via,
            )
        return current

    def _entity_fetch(
        self,
        position: Position,
        graph: str,
        data_type: str,
        representation_type: str,
        key: Key,
        requires: SelectionSetNode | None = None,
    ) -> tuple[FetchNode, Position]:
        key_fields, suppliers = self.requirements.request(position, key.selection)
        requires_fields = None
        if requires is not None:
            requires_fields, more = self.requirements.request(position, requires)
            suppliers |= more
        suppliers.add(position.fetch)
        entity = self.graph.entity(graph, position.path, suppliers, data_type, requires_fields)
        entity.target(data_type, TargetBuilder(representation_type, key_fields, requires_fields))
        branch = Position(
            entity,
            entity.selection.fragment(representation_type),
            representation_type,
            position.path,
            # the same objects as the position's: filtered by type only where it already was
            only=position.only,
            client_keys=position.client_keys,
            origin=position,
        )
        return entity, branch


def _type_tag(type_text: str) -> str:
    """A type as a name part: `[ID!]` is `L_ID_NN_E`, distinct from `[ID]!`'s `L_ID_E_NN`."""
    return type_text.replace("[", "L_").replace("!", "_NN").replace("]", "_E")
