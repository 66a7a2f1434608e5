"""Planning: which subgraph fetches answer an operation, in which order.

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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableDefinitionNode,
    print_ast,
)

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.introspection import needs_no_subgraph
from creditgraph.gateway.operation import (
    CollectedField,
    Field,
    Fragment,
    Operation,
    Selection,
)
from creditgraph.gateway.plan import Builder, EntityTarget, Fetch, PathStep, Plan, Shape
from creditgraph.gateway.supergraph import FieldJoin, Key, Supergraph


class PlanningError(Exception):
    """The supergraph gives no way to resolve a field the operation asks for."""


@dataclass(slots=True, eq=False)
class _Position:
    """An object position in the response, as one fetch sees it."""

    fetch: Fetch
    builder: Builder
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
    parent: _Position | None = None
    via: CollectedField | None = None
    # for an entity fetch's objects, the same objects in the fetch that supplied their keys
    origin: _Position | None = None

    def child_path(self, response_key: str) -> tuple[PathStep, ...]:
        return (*self.path, PathStep(response_key, self.only))


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
        return _PlanBuilder(self, operation).build()


class _PlanBuilder:
    def __init__(self, planner: Planner, operation: Operation) -> None:
        self.planner = planner
        self.supergraph = planner.supergraph
        self.operation = operation
        self.fetches: list[Fetch] = []
        self.entity_fetches: dict[tuple[str, tuple[PathStep, ...]], list[Fetch]] = {}
        # the current stage's root fetches, by subgraph
        self.roots: dict[str, Fetch] = {}
        # (builder, field) pairs being requested: a key that needs itself to be fetched
        self._requesting: set[tuple[int, str]] = set()
        self._next_id = 0

    # -- the plan ------------------------------------------------------------------------

    def build(self) -> Plan:
        operation = self.operation
        root_type = self.supergraph.root_types.get(operation.kind, "")
        fields = operation.collect(operation.selections, root_type, self.planner.possible)
        client_keys = {item.response_key: item for item in fields}
        stages: list[list[Fetch]] = []
        for collected in fields:
            if needs_no_subgraph(collected.name):
                continue
            graph = self._root_graph(root_type, collected)
            if operation.kind == "mutation":
                if graph not in self.roots:
                    stages.append([])
                    self.roots = {}
                    self.fetches = stages[-1]
            elif not stages:
                stages.append(self.fetches)
            root = self._root_fetch(graph)
            self._plan_field(
                _Position(root, root.builder, root_type, (), client_keys=client_keys), collected
            )
        for stage in stages:
            for fetch in stage:
                self._finish(fetch)
        return Plan(stages=stages)

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
                costs.append((cost - (graph in self.roots), index, graph))
        return min(costs)[2] if costs else graphs[0]

    def _trial_cost(self, root_type: str, collected: CollectedField, graph: str) -> int | None:
        """How many fetches a root field takes when `graph` answers it; None when it can't."""
        trial = _PlanBuilder(self.planner, self.operation)
        root = trial._root_fetch(graph)
        position = _Position(
            root, root.builder, root_type, (), client_keys={collected.response_key: collected}
        )
        try:
            trial._plan_field(position, collected)
        except PlanningError:
            return None
        return len(trial.fetches)

    def _root_fetch(self, graph: str) -> Fetch:
        """The stage's fetch of root fields from `graph`, shared by all of them."""
        root = self.roots.get(graph)
        if root is None:
            root = self.roots[graph] = self._new_fetch(graph, ())
            root.operation_kind = self.operation.kind
        return root

    def _new_fetch(self, graph: str, path: tuple[PathStep, ...], *, entity: bool = False) -> Fetch:
        fetch = Fetch(id=self._next_id, graph=graph, path=path, entity=entity)
        self._next_id += 1
        self.fetches.append(fetch)
        return fetch

    # -- selections ----------------------------------------------------------------------

    def _plan_selections(self, position: _Position, selections: list[Selection]) -> None:
        type_ = self.supergraph.composite(position.type_name)
        if type_ is None:
            raise PlanningError(f"{position.type_name} is not an object, interface or union")
        if type_.kind == "object":
            fields = self.operation.collect(selections, type_.name, self.planner.possible)
            if fields:
                position.client_keys = {item.response_key: item for item in fields}
            for collected in fields:
                self._plan_field(position, collected)
            return
        graph = position.fetch.graph
        if self.supergraph.sees_as_object(graph, type_.name):
            self._plan_interface_object(position, selections)
            return
        position.builder.typename()
        answerable = self.supergraph.possible_types_in(type_.name, graph)
        for other in self._also_answering(position):
            answerable &= self.supergraph.possible_types_in(type_.name, other)
        possible_types = sorted(answerable)
        if not possible_types:
            self._check_no_possible_types(position, selections)
        for possible in possible_types:
            fields = self.operation.collect(selections, possible, self.planner.possible)
            if not fields:
                continue
            branch = _Position(
                position.fetch,
                position.builder.fragment(possible),
                possible,
                position.path,
                provided=position.provided,
                only=frozenset({possible}),
                client_keys={item.response_key: item for item in fields},
                parent=position,
            )
            for collected in fields:
                self._plan_field(branch, collected)

    def _also_answering(self, position: _Position) -> list[str]:
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

    def _reachable(self, position: _Position, graph: str) -> bool:
        """Whether `graph` could answer the way to `position` from an enclosing entity it
        has a key for, or from the root of a query (the way `_ascend` would go)."""
        chain: list[_Position] = [position]
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

    def _check_no_possible_types(self, position: _Position, selections: list[Selection]) -> None:
        """An interface this subgraph returns no object type of: nothing is planned per type,
        but a field of the interface itself the subgraph does not resolve has no plan."""
        interface = position.type_name
        for collected in self.operation.collect(selections, interface, self.planner.possible):
            name = collected.name
            if name != "__typename" and not self._local(position, name):
                graph_name = self.supergraph.graphs[position.fetch.graph].name
                raise PlanningError(f"no subgraph can resolve {interface}.{name} from {graph_name}")

    def _plan_interface_object(self, position: _Position, selections: list[Selection]) -> None:
        """An interface its subgraph sees as an object: its fields here, the rest by jump."""
        interface = position.type_name
        fields = self.operation.collect(selections, interface, self.planner.possible)
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

    def _plan_field(
        self, position: _Position, collected: CollectedField
    ) -> tuple[set[Fetch], _Position | None]:
        """Put one field into the plan; say which fetches supply it and where its children are."""
        if collected.name == "__typename":
            if self.supergraph.is_abstract(position.type_name):
                position.builder.typename()
            return set(), None
        join = self._local(position, collected.name)
        if join is not None and join.requires is None:
            return {position.fetch}, self._add_local(position, collected, join)
        return self._jump(position, collected)

    def _local(self, position: _Position, name: str) -> FieldJoin | None:
        graph = position.fetch.graph
        join = self.supergraph.field_join(position.type_name, name, graph)
        if join is not None:
            return join
        if _provides(position.provided, name, position.type_name):
            return FieldJoin(graph=graph)
        return None

    def _add_local(
        self, position: _Position, collected: CollectedField, join: FieldJoin
    ) -> _Position | None:
        composite = collected.selections is not None
        built = position.builder.field(
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
        child = _Position(
            position.fetch,
            built.child,
            child_type,
            position.child_path(collected.response_key),
            provided=join.provides or _provided_below(position.provided, collected.name),
            parent=position,
            via=collected,
        )
        self._plan_selections(child, collected.sub_selections())
        return child

    def _wire_key(
        self, position: _Position, collected: CollectedField, join: FieldJoin
    ) -> str | None:
        """An alias for a field the subgraph types differently from the supergraph.

        Under a type condition, beside the same response key selected on another
        type, a subgraph refuses two fields of different types (`User.id: ID!` and
        `Admin.id: ID`) as conflicting. The client's operation is valid against the
        supergraph, so only a field whose subgraph type differs from its supergraph
        type can conflict; its alias names the type, so equal aliases mean equal types.
        """
        if not position.builder.exclusive or join.type is None:
            return None
        info = self.supergraph.field_info(position.type_name, collected.name)
        if info is None or join.type == info.type_text:
            return None
        return alias(PLAN, f"{collected.response_key}__{_type_tag(join.type)}")

    def _jump(
        self, position: _Position, collected: CollectedField
    ) -> tuple[set[Fetch], _Position | None]:
        type_name = position.type_name
        for graph, representation_type, join, key in self._jump_targets(position, collected.name):
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
        self, position: _Position, collected: CollectedField
    ) -> tuple[set[Fetch], _Position | None]:
        """A field no entity jump reaches: go up to where another subgraph can start.

        A value type's field that only another subgraph resolves is reachable from
        the nearest enclosing position that subgraph can answer too: an entity it
        has a key for, or the root of a query. From there the planner asks that
        subgraph for the whole way down, and the answers merge into the same objects.
        It does not go up past a type condition: the subgraph that answered the
        abstract field answers for all of its types (as Apollo's planner does).
        """
        chain: list[_Position] = []
        current: _Position | None = position
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

    def _walkable(self, chain: list[_Position], graph: str) -> bool:
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

    def _start(self, position: _Position, graph: str, wanted: str | None) -> _Position | None:
        """The same objects as `position`'s in a fetch of `graph`, when it can reach them
        (by a key that is not `wanted`, the field being looked for)."""
        root_type = self.supergraph.root_types.get(self.operation.kind)
        if not position.path and position.type_name == root_type:
            # root fields are asked again of another subgraph: never a mutation's
            if self.operation.kind != "query":
                return None
            root = self._root_fetch(graph)
            return _Position(root, root.builder, root_type, (), client_keys=position.client_keys)
        type_ = self.supergraph.types[position.type_name]
        if type_.kind != "object":
            return None
        for key in type_.keys_in(graph):
            if _usable(key, wanted):
                source = position
                if position.origin is not None and self._directly(position.origin, key.selection):
                    # the fetch these objects came from has the key where this one may not
                    source = position.origin
                return self._entity_fetch(source, graph, type_.name, type_.name, key)[1]
        return None

    def _descend(self, start: _Position, chain: list[_Position]) -> _Position:
        """`chain`'s steps below `start`, selected again in `start`'s fetch."""
        current = start
        for step in chain:
            type_name: str | None = step.type_name
            if step.via is None:
                current.builder.typename()
                builder = current.builder.fragment(step.type_name)
            else:
                join = self.supergraph.field_join(
                    current.type_name, step.via.name, start.fetch.graph
                )
                assert join is not None
                built = current.builder.field(
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
                builder = built.child
                type_name = self.supergraph.field_type_in(current.type_name, step.via.name, join)
            current = _Position(
                current.fetch,
                builder,
                type_name or step.type_name,
                step.path,
                only=step.only,
                client_keys=step.client_keys,
                parent=current,
                via=step.via,
            )
        return current

    def _jump_targets(
        self, position: _Position, name: str
    ) -> list[tuple[str, str, FieldJoin, Key]]:
        """Where `name` can be fetched from here: (graph, representation type, join, key)."""
        type_name = position.type_name
        here = position.fetch.graph
        existing = {graph for graph, path in self.entity_fetches if path == position.path}
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
                if not _usable(key, name):
                    continue
                cost = 0 if self._directly(position, key.selection) else 2
                cost += 0 if graph in existing else 1
                candidates.append((cost, graph, representation_type, join, key))
        candidates.sort(key=lambda item: item[0])
        return [(graph, rep, join, key) for _, graph, rep, join, key in candidates]

    def _directly(self, position: _Position, selection: SelectionSetNode) -> bool:
        """Whether the fetch at `position` can supply a field set without further jumps."""
        for item in selection.selections:
            if isinstance(item, FieldNode):
                if item.name.value == "__typename":
                    continue
                join = self._local(position, item.name.value)
                if join is None or join.requires is not None:
                    return False
            else:
                return False
        return True

    def _entity_fetch(
        self,
        position: _Position,
        graph: str,
        data_type: str,
        representation_type: str,
        key: Key,
        requires: SelectionSetNode | None = None,
    ) -> tuple[Fetch, _Position]:
        key_shape, suppliers = self._request(position, key.selection)
        requires_shape = None
        if requires is not None:
            requires_shape, more = self._request(position, requires)
            suppliers |= more
        suppliers.discard(position.fetch)
        suppliers.add(position.fetch)
        entity = self._joinable(graph, position.path, suppliers, data_type, requires_shape)
        if entity is None:
            entity = self._new_fetch(graph, position.path, entity=True)
            entity.operation_kind = "query"
            self.entity_fetches.setdefault((graph, position.path), []).append(entity)
        entity.depends_on |= suppliers
        target = entity.targets.get(data_type)
        if target is None:
            entity.targets[data_type] = EntityTarget(representation_type, key_shape, requires_shape)
        elif requires_shape is not None:
            target.requires = _merge_shapes(target.requires, requires_shape)
        branch = _Position(
            entity,
            entity.builder.fragment(representation_type),
            representation_type,
            position.path,
            # the same objects as the position's: filtered by type only where it already was
            only=position.only,
            client_keys=position.client_keys,
            origin=position,
        )
        return entity, branch

    def _joinable(
        self,
        graph: str,
        path: tuple[PathStep, ...],
        suppliers: set[Fetch],
        data_type: str,
        requires: Shape | None,
    ) -> Fetch | None:
        """An existing fetch at this path the new fields can join without making a cycle,
        and whose representations can carry the new `@requires` fields: one representation
        has one `price`, so `price(currency: "USD")` and `price(currency: "EUR")` need two."""
        for candidate in self.entity_fetches.get((graph, path), []):
            if any(
                candidate is supplier or candidate in supplier.ancestors() for supplier in suppliers
            ):
                continue
            target = candidate.targets.get(data_type)
            earlier = target.requires if target is not None else None
            if requires is not None and earlier is not None and _shapes_conflict(earlier, requires):
                continue
            return candidate
        return None

    # -- fields the planner needs for itself ---------------------------------------------

    def _request(
        self, position: _Position, selection: SelectionSetNode
    ) -> tuple[Shape, set[Fetch]]:
        """Have a field set fetched at `position`; say where it lands and who fetches it."""
        shape = Shape()
        suppliers: set[Fetch] = set()
        type_ = self.supergraph.types[position.type_name]
        if type_.kind != "object" and not self.supergraph.sees_as_object(
            position.fetch.graph, type_.name
        ):
            position.builder.typename()
            for possible in sorted(
                self.supergraph.possible_types_in(type_.name, position.fetch.graph)
            ):
                branch = _Position(
                    position.fetch,
                    position.builder.fragment(possible),
                    possible,
                    position.path,
                    only=frozenset({possible}),
                    client_keys=position.client_keys,
                    parent=position,
                )
                shape.by_type[possible], more = self._request(branch, selection)
                suppliers |= more
            return shape, suppliers
        for item in selection.selections:
            if isinstance(item, InlineFragmentNode):
                condition = item.type_condition.name.value if item.type_condition else None
                if condition is None or position.type_name in self.planner.possible(condition):
                    inner, more = self._request(position, item.selection_set)
                    shape.fields.extend(inner.fields)
                    suppliers |= more
                continue
            assert isinstance(item, FieldNode)
            name = item.name.value
            if name == "__typename":
                position.builder.typename()
                shape.fields.append(("__typename", "__typename", None))
                continue
            arguments = tuple(item.arguments or ())
            response_key = self._internal_key(position, name, arguments)
            collected = CollectedField(
                response_key, name, arguments, [] if item.selection_set is not None else None
            )
            marker = (id(position.builder), name)
            if marker in self._requesting:
                raise PlanningError(f"{position.type_name}.{name} is needed to fetch itself")
            self._requesting.add(marker)
            try:
                fetches, child = self._plan_field(position, collected)
            finally:
                self._requesting.discard(marker)
            suppliers |= fetches
            child_shape = None
            if item.selection_set is not None:
                if child is None:
                    raise PlanningError(f"cannot place {position.type_name}.{name}")
                child_shape, more = self._request(child, item.selection_set)
                suppliers |= more
            shape.fields.append((name, response_key, child_shape))
        return shape, suppliers

    def _internal_key(
        self, position: _Position, name: str, arguments: tuple[ArgumentNode, ...]
    ) -> str:
        """Where a field the planner needs lands: under its own name when nothing else
        there is called that, else under an internal alias naming its arguments (a
        `@requires` of `price(currency: "USD")` beside the client's `price(currency: "EUR")`,
        or beside another `@requires` of `price(currency: "EUR")`)."""
        printed = _print_arguments(arguments)
        internal = alias(PLAN, name)
        if arguments:
            internal += "_" + hashlib.sha1(printed.encode()).hexdigest()[:8]
        if position.client_keys is None:
            return internal
        used = position.client_keys.get(name)
        if used is not None and (used.name != name or _print_arguments(used.arguments) != printed):
            return internal
        built = position.builder.fields.get(name)
        if built is not None and (
            built.name != name or _print_arguments(built.arguments) != printed
        ):
            return internal
        return name

    # -- documents -----------------------------------------------------------------------

    def _finish(self, fetch: Fetch) -> None:
        fetch.selection_text = fetch.builder.print_or_typename()
        fetch.renames = fetch.builder.renames()
        used = fetch.builder.variables()
        definitions = self.operation.variable_definitions
        fetch.variable_names = tuple(sorted(name for name in used if name in definitions))
        fetch.variable_definitions = tuple(
            _print_variable(definitions[name]) for name in fetch.variable_names
        )
        declared = list(fetch.variable_definitions)
        if fetch.entity:
            declared.insert(0, "$representations: [_Any!]!")
            body = "{ _entities(representations: $representations) " + fetch.selection_text + " }"
            kind = "query"
        else:
            body = fetch.selection_text
            kind = fetch.operation_kind
        header = kind + ("(" + ", ".join(declared) + ")" if declared else "")
        fetch.document = f"{header} {body}"


def _print_arguments(arguments: tuple[ArgumentNode, ...]) -> str:
    """Arguments in a canonical form, to tell whether two selections of a field agree."""
    return ", ".join(
        sorted(f"{argument.name.value}: {print_ast(argument.value)}" for argument in arguments)
    )


def _print_variable(definition: VariableDefinitionNode) -> str:
    text = f"${definition.variable.name.value}: {print_ast(definition.type)}"
    if definition.default_value is not None:
        text += f" = {print_ast(definition.default_value)}"
    return text


def _usable(key: Key, wanted: str | None) -> bool:
    """Whether a key can fetch the field `wanted`: not when the key is that field itself."""
    return key.resolvable and not any(
        isinstance(item, FieldNode) and item.name.value == wanted
        for item in key.selection.selections
    )


def _type_tag(type_text: str) -> str:
    """A type as a name part: `[ID!]` is `L_ID_NN_E`, distinct from `[ID]!`'s `L_ID_E_NN`."""
    return type_text.replace("[", "L_").replace("!", "_NN").replace("]", "_E")


def _provides(provided: SelectionSetNode | None, name: str, type_name: str) -> bool:
    if provided is None:
        return False
    for item in provided.selections:
        if isinstance(item, FieldNode) and item.name.value == name:
            return True
        if isinstance(item, InlineFragmentNode):
            condition = item.type_condition.name.value if item.type_condition else None
            if (condition is None or condition == type_name) and _provides(
                item.selection_set, name, type_name
            ):
                return True
    return False


def _provided_below(provided: SelectionSetNode | None, name: str) -> SelectionSetNode | None:
    if provided is None:
        return None
    for item in provided.selections:
        if isinstance(item, FieldNode) and item.name.value == name:
            return item.selection_set
    return None


def _shapes_conflict(first: Shape, second: Shape) -> bool:
    """Whether two field sets put different selections of one field under one name."""
    keys = {name: (response_key, child) for name, response_key, child in first.fields}
    for name, response_key, child in second.fields:
        found = keys.get(name)
        if found is None:
            continue
        if found[0] != response_key:
            return True
        if found[1] is not None and child is not None and _shapes_conflict(found[1], child):
            return True
    return any(
        type_name in first.by_type and _shapes_conflict(first.by_type[type_name], shape)
        for type_name, shape in second.by_type.items()
    )


def _merge_shapes(first: Shape | None, second: Shape) -> Shape:
    if first is None:
        return second
    names = {name for name, _, _ in first.fields}
    first.fields.extend(entry for entry in second.fields if entry[0] not in names)
    for type_name, shape in second.by_type.items():
        first.by_type[type_name] = _merge_shapes(first.by_type.get(type_name), shape)
    return first
