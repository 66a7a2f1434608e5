"""The operation strategy draws only valid operations, and every shape it promises.

Differential and property tests trust `operations(schema)` blindly: an invalid document
would make both gateways answer with a validation error and compare equal, hiding what
the test was for, and a shape never drawn is a shape never tested. So: every document
drawn validates (all of graphql-core's rules, OverlappingFieldsCanBeMerged included) and
its variables coerce, over a schema built to trip the generator (interfaces, unions, a
covariant field, one field name with different types, enums, recursive and oneOf input
objects, nested non-null lists, a custom scalar nothing can be made for) and over our
subgraphs' real schemas; and across a fixed run, each feature shows up.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    get_named_type,
    is_abstract_type,
    parse,
    print_ast,
    validate,
    value_from_ast,
)
from graphql.execution.values import get_variable_values
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from creditgraph.seed.personas import INSTITUTIONS, PERSONAS
from creditgraph.subgraphs.registry import subgraph_schema
from tests.operation_strategies import GeneratedOperation, operations

LIBRARY = build_schema(
    """
    interface Node { id: ID! }
    interface Named { name: String! }
    interface Owned { owner: Node }
    interface Entity implements Node & Named { id: ID! name: String! createdOn: Date }

    type Person implements Entity & Node & Named {
      id: ID!
      name: String!
      createdOn: Date
      age: Int
      value: Int
      friends(first: Int = 10, after: String): [Person!]!
      pets(kinds: [PetKind!], order: Order = ASC): [Pet!]!
      best: Pet
      employer: Company
    }
    type Company implements Entity & Node & Named {
      id: ID!
      name: String!
      createdOn: Date
      value: Decimal
      rating(scale: [[Int!]!]): Float
      employees(filter: PersonFilter, limit: Int! = 3): [Person!]!
    }
    "name is nullable here, and owner narrower than Owned's: one response key, two shapes"
    type Dog implements Node & Owned {
      id: ID!
      name: String
      barks: Boolean!
      owner: Person
      kind: PetKind!
    }
    type Cat implements Node & Owned { id: ID! name: String lives: Int! owner: Node kind: PetKind! }
    union Pet = Dog | Cat
    union SearchResult = Person | Company | Dog | Cat

    enum PetKind { DOG CAT }
    enum Order { ASC DESC }

    input PersonFilter {
      nameContains: String
      minAge: Int = 0
      kinds: [PetKind!]! = []
      order: Order!
      bornAfter: Date
      nested: PersonFilter
      tags: [[String!]]
    }
    input Lookup @oneOf { id: ID name: String }

    scalar Date
    scalar Decimal
    "no value can be made for it without argument_values"
    scalar Opaque

    type Query {
      node(id: ID!): Node
      entity(lookup: Lookup!): Entity
      search(
        text: String!
        limit: Int! = 5
        filter: PersonFilter
        order: Order = ASC
      ): [SearchResult!]!
      people(filter: PersonFilter!, ids: [ID!]): [Person]
      pets: [Pet!]!
      today: Date!
      opaque(value: Opaque!): String
      version: String
    }
    """
)

SUBJECT_IDENTIFIERS = tuple(p.identifier for p in PERSONAS)
INSTITUTION_CODES = tuple(i.code for i in INSTITUTIONS)
BUREAU_ROOT_FIELDS: dict[str, dict[str, SearchStrategy[Any]]] = {
    "subjects": {"identifiers": st.lists(st.sampled_from(SUBJECT_IDENTIFIERS), max_size=3)},
    "institution": {"code": st.sampled_from(INSTITUTION_CODES)},
}


def meaningful_values(
    type_name: str, name: str, arg_type: GraphQLInputType
) -> SearchStrategy[Any] | None:
    """Page sizes the subgraphs accept; everything else is generated."""
    if name.endswith(".first"):
        return st.integers(1, 100)
    return None


# -- checks ------------------------------------------------------------------------------


def checked(schema: GraphQLSchema, op: GeneratedOperation) -> tuple[OperationDefinitionNode, Any]:
    """The operation the request runs and its coerced variables, after proving both valid."""
    document = parse(op.document)
    errors = validate(schema, document)
    assert not errors, f"{op.document}\n{[e.message for e in errors]}"
    operations_ = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if op.operation_name is None:
        assert len(operations_) == 1
        operation = operations_[0]
    else:
        (operation,) = [o for o in operations_ if o.name and o.name.value == op.operation_name]
    # as the request's JSON would carry them
    sent = json.loads(json.dumps(op.variables))
    coerced = get_variable_values(schema, operation.variable_definitions or (), sent)
    assert not isinstance(coerced, list), f"{op.document}\n{op.variables}\n{coerced}"
    return operation, coerced.coerced


class _Walk:
    """What a document holds, found by walking it with the types in hand."""

    def __init__(
        self, schema: GraphQLSchema, op: GeneratedOperation, *, check: bool = True
    ) -> None:
        self.schema = schema
        self.document = parse(op.document)
        self.fragments = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.features: set[str] = set()
        # (parent type, field, {argument: literal or variable}) for every field selected
        self.fields: list[tuple[str, str, dict[str, Any]]] = []
        self.deepest = 0
        if check:
            operation, self.variables = checked(schema, op)
        else:  # the caller only wants the features: the other tests prove validity
            operation = next(
                d
                for d in self.document.definitions
                if isinstance(d, OperationDefinitionNode)
                and (op.operation_name is None or (d.name and d.name.value == op.operation_name))
            )
            self.variables = op.variables
        assert schema.query_type is not None
        self.selection_set(operation.selection_set, schema.query_type, 1)
        self.summarise(op, operation)

    def selection_set(
        self, selection_set: SelectionSetNode, parent: GraphQLCompositeType, depth: int
    ) -> None:
        self.deepest = max(self.deepest, depth)
        plain: Counter[str] = Counter()
        aliased: dict[str, set[str]] = {}
        for selection in selection_set.selections:
            if selection.directives:
                for directive in selection.directives:
                    self.features.add(f"@{directive.name.value}")
                    (condition,) = directive.arguments or ()
                    if isinstance(condition.value, VariableNode):
                        self.features.add("directive condition in a variable")
            if isinstance(selection, FieldNode):
                self.field(selection, parent, depth)
                if selection.alias:
                    arguments = " ".join(print_ast(a) for a in selection.arguments or ())
                    aliased.setdefault(selection.name.value, set()).add(arguments)
                else:
                    plain[selection.name.value] += 1
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is None:
                    self.features.add("inline fragment without type condition")
                else:
                    named = self.schema.get_type(selection.type_condition.name.value)
                    assert isinstance(
                        named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
                    )
                    target = named
                    self.features.add(_condition_feature(parent, target))
                self.selection_set(selection.selection_set, target, depth)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                fragment = self.fragments[selection.name.value]
                named = self.schema.get_type(fragment.type_condition.name.value)
                assert isinstance(
                    named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
                )
                self.features.add("fragment spread")
                self.selection_set(fragment.selection_set, named, depth)
        if any(len(arguments) > 1 for arguments in aliased.values()):
            self.features.add("one field twice, different aliases and arguments")
        if any(count > 1 for count in plain.values()):
            self.features.add("one field twice without an alias")

    def field(self, node: FieldNode, parent: GraphQLCompositeType, depth: int) -> None:
        if node.alias:
            self.features.add("alias")
        if node.name.value == "__typename":
            self.features.add("__typename")
            if isinstance(parent, GraphQLUnionType):
                self.features.add("__typename on a union")
            if depth == 1:
                self.features.add("__typename at the root")
            return
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        definition = parent.fields[node.name.value]
        arguments: dict[str, Any] = {}
        for argument in node.arguments or ():
            value = argument.value
            if isinstance(value, VariableNode):
                self.features.add("argument in a variable")
                arguments[argument.name.value] = self.variables.get(value.name.value)
            else:
                self.features.add("argument as a literal")
                if isinstance(value, ObjectValueNode):
                    self.features.add("input object literal")
                if isinstance(value, ListValueNode):
                    self.features.add("list literal")
                if isinstance(value, NullValueNode):
                    self.features.add("null literal")
                arg_type = definition.args[argument.name.value].type
                arguments[argument.name.value] = value_from_ast(value, arg_type)
            if node.alias is None:
                self.features.add("arguments without an alias")
        self.fields.append((parent.name, node.name.value, arguments))
        if node.selection_set is not None:
            child = get_named_type(definition.type)
            assert isinstance(child, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            assert node.selection_set.selections, "a composite field with an empty selection"
            self.selection_set(node.selection_set, child, depth + 1)

    def summarise(self, op: GeneratedOperation, operation: OperationDefinitionNode) -> None:
        if self.fragments:
            self.features.add("fragment definition")
        spreads: Counter[str] = Counter()
        definitions = self.document.definitions
        for definition in definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                for selection_set in _selection_sets(definition.selection_set):
                    spreads.update(
                        s.name.value
                        for s in selection_set.selections
                        if isinstance(s, FragmentSpreadNode)
                    )
        if any(count > 1 for count in spreads.values()):
            self.features.add("fragment spread twice")
        if operation.name:
            self.features.add("operation name")
        if sum(isinstance(d, OperationDefinitionNode) for d in definitions) > 1:
            self.features.add("second operation")
        for variable in operation.variable_definitions or ():
            if variable.default_value is not None:
                self.features.add("variable with a default")
            if variable.variable.name.value not in op.variables:
                self.features.add("variable left out")


def _condition_feature(parent: GraphQLCompositeType, target: GraphQLCompositeType) -> str:
    if target is parent:
        return "inline fragment on its own type"
    if is_abstract_type(target) and not is_abstract_type(parent):
        return "inline fragment on an interface or union of the type"
    if isinstance(target, GraphQLObjectType):
        return "inline fragment on a possible type"
    return "inline fragment on an overlapping abstract type"


# -- validity ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(operations(LIBRARY))
def test_operations_over_every_kind_of_type_are_valid(op: GeneratedOperation) -> None:
    walk = _Walk(LIBRARY, op)
    assert walk.deepest <= 4
    assert all(field != "opaque" for _, field, _ in walk.fields), "no value exists for Opaque"


@settings(max_examples=40, deadline=None)
@given(operations(LIBRARY, max_depth=2, max_fields=2))
def test_max_depth_and_max_fields_bound_the_operation(op: GeneratedOperation) -> None:
    walk = _Walk(LIBRARY, op)
    assert walk.deepest <= 2
    for definition in walk.document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            for selection_set in _selection_sets(definition.selection_set):
                assert len(selection_set.selections) <= 2


def _selection_sets(selection_set: SelectionSetNode) -> Iterator[SelectionSetNode]:
    yield selection_set
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            yield from _selection_sets(selection.selection_set)


BUREAU = subgraph_schema("bureau")._schema


@settings(max_examples=80, deadline=None)
@given(operations(BUREAU, root_fields=BUREAU_ROOT_FIELDS, argument_values=meaningful_values))
def test_bureau_operations_are_valid_and_use_the_values_given(op: GeneratedOperation) -> None:
    walk = _Walk(BUREAU, op)
    for parent, field, arguments in walk.fields:
        if parent == "Query":
            assert field in BUREAU_ROOT_FIELDS
        if (parent, field) == ("Query", "subjects"):
            assert set(arguments["identifiers"]) <= set(SUBJECT_IDENTIFIERS)
        if (parent, field) == ("Query", "institution"):
            assert arguments["code"] in INSTITUTION_CODES
        if "first" in arguments and arguments["first"] is not None:
            assert 1 <= arguments["first"] <= 100


@pytest.mark.parametrize("name", ["public", "scores", "consent"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.differing_executors])
@given(data=st.data())
def test_the_other_subgraphs_operations_are_valid(name: str, data: st.DataObject) -> None:
    schema = subgraph_schema(name)._schema
    op = data.draw(operations(schema, argument_values=meaningful_values))
    walk = _Walk(schema, op)
    assert not {f for p, f, _ in walk.fields if p == "Query"} & {"_entities", "_service"}


@settings(max_examples=30, deadline=None)
@given(
    operations(
        LIBRARY,
        root_fields={"opaque": {}},
        argument_values=lambda _t, name, _a: st.just("x") if name == "opaque.value" else None,
    )
)
def test_argument_values_make_an_unknown_scalar_usable(op: GeneratedOperation) -> None:
    walk = _Walk(LIBRARY, op)
    assert {(p, f) for p, f, _ in walk.fields} <= {("Query", "opaque")}
    assert all(arguments["value"] == "x" for _, _, arguments in walk.fields)


def test_root_fields_naming_what_is_not_there_is_refused() -> None:
    with pytest.raises(ValueError, match="'nosuch'"):
        operations(LIBRARY, root_fields={"nosuch": {}})
    with pytest.raises(ValueError, match="no argument"):
        operations(LIBRARY, root_fields={"node": {"key": st.just("1")}})
    with pytest.raises(ValueError, match="'opaque' has a required argument"):
        operations(LIBRARY, root_fields={"opaque": {}})


# -- coverage and shrinking ------------------------------------------------------------

FEATURES = {
    "alias",
    "one field twice, different aliases and arguments",
    "one field twice without an alias",
    "arguments without an alias",
    "fragment definition",
    "fragment spread",
    "fragment spread twice",
    "inline fragment without type condition",
    "inline fragment on its own type",
    "inline fragment on an interface or union of the type",
    "inline fragment on a possible type",
    "__typename",
    "__typename on a union",
    "__typename at the root",
    "argument as a literal",
    "argument in a variable",
    "input object literal",
    "list literal",
    "null literal",
    "variable with a default",
    "variable left out",
    "@skip",
    "@include",
    "directive condition in a variable",
    "operation name",
    "second operation",
}


def test_every_feature_appears() -> None:
    seen: Counter[str] = Counter()
    depths: Counter[int] = Counter()

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(operations(LIBRARY))
    def collect(op: GeneratedOperation) -> None:
        walk = _Walk(LIBRARY, op, check=False)
        seen.update(walk.features)
        depths[walk.deepest] += 1

    collect()
    assert FEATURES - set(seen) == set(), f"never drawn; drawn: {dict(seen)}"
    assert depths[4] > 0, "nothing reached max_depth"


def test_a_failure_shrinks_to_a_small_document() -> None:
    """Each selection is one span of the choice sequence, so the shrinker drops it whole."""
    smallest = find(
        operations(LIBRARY),
        lambda op: "@include" in op.document,
        settings=settings(database=None, max_examples=500, deadline=None, derandomize=True),
    )
    assert smallest.document == '{\n  node(id: "0") {\n    id @include(if: false)\n  }\n}'
