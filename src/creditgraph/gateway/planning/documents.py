"""From the planner's working state to the plan: each fetch's document, frozen.

When the walk is done, each fetch's selection is printed once into the
GraphQL document its subgraph is sent: root fields under the operation's
kind, an entity fetch's selection under `_entities(representations:)`, with
exactly the client's variables it uses declared as the client declared them.
What the executor needs besides (which answers come back under wire keys,
which response keys are the client's, how objects become representations) is
frozen alongside, and the planner's builders are left behind.
"""

from __future__ import annotations

from types import MappingProxyType

from graphql import VariableDefinitionNode, print_ast

from creditgraph.gateway.operation import Operation
from creditgraph.gateway.plan import EntityTarget, Fetch, Plan
from creditgraph.gateway.planning.fetch_graph import FetchNode

REPRESENTATIONS = "$representations: [_Any!]!"


def freeze(stages: list[list[FetchNode]], operation: Operation) -> Plan:
    return Plan(tuple(tuple(_fetch(node, operation) for node in stage) for stage in stages))


def _fetch(node: FetchNode, operation: Operation) -> Fetch:
    selection_text = node.selection.print_or_typename()
    definitions = operation.variable_definitions
    variable_names = tuple(
        sorted(name for name in node.selection.variables() if name in definitions)
    )
    variable_definitions = tuple(_print_variable(definitions[name]) for name in variable_names)
    declared = list(variable_definitions)
    if node.entity:
        declared.insert(0, REPRESENTATIONS)
        body = "{ _entities(representations: $representations) " + selection_text + " }"
        kind = "query"
    else:
        body = selection_text
        kind = node.operation_kind
    header = kind + ("(" + ", ".join(declared) + ")" if declared else "")
    targets = {
        type_name: EntityTarget(
            target.representation_type,
            target.key.frozen(),
            None if target.requires is None else target.requires.frozen(),
        )
        for type_name, target in node.targets.items()
    }
    return Fetch(
        id=node.id,
        graph=node.graph,
        path=node.path,
        entity=node.entity,
        operation_kind=node.operation_kind,
        depends_on=frozenset(other.id for other in node.depends_on),
        targets=MappingProxyType(targets),
        selection_text=selection_text,
        document=f"{header} {body}",
        variable_names=variable_names,
        variable_definitions=variable_definitions,
        visible_keys=node.selection.client_keys(),
        wire_keys=node.selection.wire_keys(),
    )


def _print_variable(definition: VariableDefinitionNode) -> str:
    text = f"${definition.variable.name.value}: {print_ast(definition.type)}"
    if definition.default_value is not None:
        text += f" = {print_ast(definition.default_value)}"
    return text
