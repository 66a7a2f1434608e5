"""How big an operation the gateway agrees to prepare, measured before any work on it.

A client document is cheap to send and can be ruinous to serve: fragments that
spread each other twice double the work per level, a few dozen hops through
`accounts → parties → subject → accounts` multiply list sizes into millions of
records, and a thousand aliases of one root field ask for a thousand reports.
So right after parsing (itself bounded by the token and nesting limits, counted
on the text before it is parsed), before validation,
normalisation, planning or any subgraph fetch, and before the requester even
matters, the document is measured and refused with `QUERY_TOO_COMPLEX` when a
measure is over its limit (`OperationLimits`, configurable, see settings.py).

The measures are those of the operation as it would be executed, fragments
expanded: depth of field nesting, aliases, fragment spreads, root fields,
subject roots (`me`/`subject`, each an inquiry and a report), fields repeated
under one response key in one selection set (graphql-core's validation compares
every pair of them: a thousand copies of one field cost seconds), and an
estimated cost, where every field costs one and a list multiplies what is below it by its
size: the value of a size argument (`first`, `months`, `limit`) when the
document or the schema gives one, else `DEFAULT_LIST_SIZE`. Measuring never
expands a fragment: each fragment is measured once, in dependency order, and
its totals reused wherever it is spread, so the check is linear in the
document however many times its fragments multiply.

Every operation of the document is measured, so the verdict depends on the
document alone and is cached with it (documents.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from creditgraph.gateway.errors import QUERY_TOO_COMPLEX, RequestError, error
from creditgraph.settings import OperationLimits

# what an unbounded list is assumed to hold when estimating cost
DEFAULT_LIST_SIZE: Final = 10
# arguments that bound how many items a list field answers
SIZE_ARGUMENTS: Final = frozenset({"first", "last", "months", "limit"})
# root fields that each ask about one subject (a report, or a yes/no answer) and record an
# inquiry
SUBJECT_ROOTS: Final = frozenset({"me", "subject", "eligibility"})


# the largest measure a refusal reports as it is: past it a JSON number loses precision in
# most clients, and orjson serialises no integer past 64 bits (a fragment doubling 70 times
# measures 2^71 spreads); a measure beyond it is reported as this
MOST_REPORTED: Final = 2**53 - 1
# an integer literal longer than this is past any Int (32 bits), which validation refuses;
# measured as INT_BEYOND instead of converted (Python converts no more than 4300 digits)
_INT_DIGITS: Final = 10
INT_BEYOND: Final = 2**31


class TooComplex(RequestError):
    """An operation over one of the limits: which limit, its value and what was measured
    (at most `MOST_REPORTED`)."""

    def __init__(self, limit: str, maximum: int, measured: int) -> None:
        measured = min(measured, MOST_REPORTED)
        if measured <= maximum:
            shown = f"more than {maximum}"
        elif measured == MOST_REPORTED:
            shown = f"at least {measured}"
        else:
            shown = str(measured)
        super().__init__(
            f"the operation is too complex: {limit} is {maximum}, this one has {shown}",
            QUERY_TOO_COMPLEX,
        )
        self.limit = limit
        self.maximum = maximum
        self.measured = measured

    def formatted(self) -> list[dict[str, Any]]:
        entry = error(self.messages[0], self.code)
        entry["extensions"].update(
            {"limit": self.limit, "maximum": self.maximum, "measured": self.measured}
        )
        return [entry]


# One GraphQL token after the white space and commas before it, skipped inside the regular
# expression engine. A comment is a token, as graphql-core's parser counts it; a string or block
# string is one token whatever it holds; braces are named to follow the nesting.
_NEXT_TOKEN = re.compile(
    r"[\s,\ufeff]*+"  # ignored
    r"(?:#[^\n\r]*"  # comment
    r'|"""(?:\\"""|[^"]|"(?!""))*"""'  # block string
    r'|"(?:[^"\\\n\r]|\\.)*"'  # string
    r"|\.\.\."  # spread
    r"|-?[0-9A-Za-z_][0-9A-Za-z_.+-]*"  # name or number
    r"|(?P<open>\{)|(?P<close>\})"
    r"|[!$&()\[\]:=@|])"  # other punctuators
)


def over_length(query: str, limits: OperationLimits) -> TooComplex | None:
    """The refusal of a document longer than `maxLength` characters, else None.

    Tokens are counted, but one token (a comment, a string) can be as long as the request
    body, and the gateway keeps the documents it has seen, keyed by their text, with their
    parsed form (whose comment tokens copy their text): without this bound a thousand
    one-megabyte documents, each a one-field query, would hold gigabytes. Measured first,
    in constant time, and a document over it is refused without being kept (documents.py).
    """
    if len(query) > limits.max_length:
        return TooComplex("maxLength", limits.max_length, len(query))
    return None


def over_text_limits(query: str, limits: OperationLimits) -> TooComplex | None:
    """The refusal of a document longer, with more tokens, or with braces nested deeper
    than the limits allow, found before parsing.

    graphql-core's parser also stops at the token limit, but only after building up to it
    token by token in Python (about 15 µs a token here), and a document nested hundreds of
    braces deep costs it as much before its recursion guard gives up. This count steps from
    token to token on the regular expression engine and stops at the first token over either
    limit. It stops too at anything that is no token, leaving that to the parser, so it never
    counts more tokens than the parser would. Braces nest for selection sets, inline
    fragments and object values alike, so `maxNesting` is set well above `maxDepth`.
    """
    too_long = over_length(query, limits)
    if too_long is not None:
        return too_long
    counted = nesting = position = 0
    while (found := _NEXT_TOKEN.match(query, position)) is not None:
        counted, position = counted + 1, found.end()
        if counted > limits.max_tokens:
            return TooComplex("maxTokens", limits.max_tokens, counted)
        brace = found.lastgroup
        if brace == "open":
            nesting += 1
            if nesting > limits.max_nesting:
                return TooComplex("maxNesting", limits.max_nesting, nesting)
        elif brace == "close":
            nesting -= 1
    return None


def token_limit_exceeded(message: str, limits: OperationLimits) -> TooComplex | None:
    """The refusal when graphql-core's parser stopped at `max_tokens`, else None.

    The parser stops counting at the limit, so the measured value is the limit plus one:
    the message says "more than" the limit.
    """
    if f"Document contains more than {limits.max_tokens} tokens" in message:
        return TooComplex("maxTokens", limits.max_tokens, limits.max_tokens + 1)
    return None


@dataclass(slots=True)
class Measure:
    """The measures of a selection set with its fragments expanded."""

    depth: int = 0
    aliases: int = 0
    spreads: int = 0
    cost: int = 0
    # fields at the selection set's own level (through fragments): root fields at the root
    fields: int = 0
    subjects: int = 0
    # the most fields written under one response key in one selection set
    repeats: int = 0

    def add(self, other: Measure) -> None:
        """Siblings: the deepest depth, and the sum of everything else."""
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.spreads += other.spreads
        self.cost += other.cost
        self.fields += other.fields
        self.subjects += other.subjects
        self.repeats = max(self.repeats, other.repeats)


def check(schema: GraphQLSchema, document: DocumentNode, limits: OperationLimits) -> None:
    """Refuse the document (`TooComplex`) when any of its operations is over a limit."""
    measurer = _Measurer(schema, document)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            found = measurer.selection_set(definition.selection_set, root, sized=False)
            _compare(found, limits)


def _compare(found: Measure, limits: OperationLimits) -> None:
    for limit, maximum, measured in (
        ("maxFragmentSpreads", limits.max_fragment_spreads, found.spreads),
        ("maxDepth", limits.max_depth, found.depth),
        ("maxAliases", limits.max_aliases, found.aliases),
        ("maxRootFields", limits.max_root_fields, found.fields),
        ("maxSubjects", limits.max_subjects, found.subjects),
        ("maxFieldRepeats", limits.max_field_repeats, found.repeats),
        ("maxCost", limits.max_cost, found.cost),
    ):
        if measured > maximum:
            raise TooComplex(limit, maximum, measured)


class _Measurer:
    """Measures selection sets of one document, each fragment measured once."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            item.name.value: item
            for item in document.definitions
            if isinstance(item, FragmentDefinitionNode)
        }
        self.sizes = _variable_sizes(document)
        self.measured: dict[str, Measure] = {}
        for name in _dependency_order(self.fragments):
            fragment = self.fragments[name]
            parent = schema.get_type(fragment.type_condition.name.value)
            self.measured[name] = self.selection_set(fragment.selection_set, parent, sized=False)

    def selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        *,
        sized: bool,
        keys: dict[str, int] | None = None,
    ) -> Measure:
        """`sized`: the enclosing field's size argument already bounds a list directly below
        (a connection's `nodes`), which then does not multiply again. `keys`: the response
        keys written so far in the enclosing selection set, when this one is an inline
        fragment of it (validation compares every pair of fields sharing a key, inline
        fragments flattened; a named fragment it compares once, however often spread)."""
        own = keys is None
        written: dict[str, int] = {} if keys is None else keys
        total = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                written[key] = written.get(key, 0) + 1
                total.add(self.field(selection, parent, sized=sized))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = parent if condition is None else self.schema.get_type(condition.name.value)
                total.add(
                    self.selection_set(selection.selection_set, inner, sized=sized, keys=written)
                )
            elif isinstance(selection, FragmentSpreadNode):
                # unknown, or part of a cycle: counted as empty here, refused by validation
                total.add(self.measured.get(selection.name.value, Measure()))
                total.spreads += 1
        if own:
            total.repeats = max(total.repeats, max(written.values(), default=0))
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, *, sized: bool) -> Measure:
        definition = _field_definition(self.schema, parent, node.name.value)
        size, bounds = self._size(node, definition)
        is_list = definition is not None and _is_list(definition.type)
        if size is not None:
            multiplier = size
        elif is_list:
            multiplier = 1 if sized else DEFAULT_LIST_SIZE
        else:
            # a connection with no size given: its page is as big as an unbounded list
            multiplier = DEFAULT_LIST_SIZE if bounds else 1
        below = Measure()
        if node.selection_set is not None:
            child = None if definition is None else get_named_type(definition.type)
            below = self.selection_set(
                node.selection_set, child, sized=(size is not None or bounds) and not is_list
            )
        return Measure(
            depth=1 + below.depth,
            aliases=below.aliases + (1 if node.alias is not None else 0),
            spreads=below.spreads,
            cost=1 + multiplier * below.cost,
            fields=1,
            subjects=1 if node.name.value in SUBJECT_ROOTS else 0,
            repeats=below.repeats,
        )

    def _size(self, node: FieldNode, definition: GraphQLField | None) -> tuple[int | None, bool]:
        """The smallest size any size argument gives (None: none gives one), and whether the
        field takes a size argument at all."""
        if definition is None:
            return None, False
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        sizes: list[int] = []
        bounds = False
        for name, argument in definition.args.items():
            if name not in SIZE_ARGUMENTS:
                continue
            bounds = True
            value = given.get(name)
            size: object = argument.default_value
            if isinstance(value, IntValueNode):
                size = _int_literal(value)
            elif isinstance(value, VariableNode):
                size = self.sizes.get(value.name.value)
            if isinstance(size, int) and not isinstance(size, bool):
                sizes.append(max(size, 1))
        return (min(sizes) if sizes else None), bounds


def _field_definition(
    schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str
) -> GraphQLField | None:
    meta: GraphQLField = SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
    if name in ("__schema", "__type") and parent is schema.query_type:
        return meta
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _is_list(type_: GraphQLType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _variable_sizes(document: DocumentNode) -> dict[str, int]:
    """Each variable's integer default, the largest any operation declares.

    The verdict is cached per document, before any variable values are known: a size
    given by a variable counts at its default, or as unbounded without one.
    """
    sizes: dict[str, int] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for variable in definition.variable_definitions or ():
                default = variable.default_value
                if isinstance(default, IntValueNode):
                    name = variable.variable.name.value
                    sizes[name] = max(sizes.get(name, 0), _int_literal(default))
    return sizes


def _int_literal(node: IntValueNode) -> int:
    """An integer literal's value, or `INT_BEYOND` for one too long to be an Int at all."""
    digits = node.value.lstrip("-")
    if len(digits) > _INT_DIGITS:
        return INT_BEYOND if not node.value.startswith("-") else -INT_BEYOND
    return int(node.value)


def _dependency_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after every fragment it spreads (iteratively: chains of
    fragments can be longer than Python's recursion allows); a spread closing a cycle
    is left out, for validation to refuse."""
    spreads = {name: _spreads(fragment.selection_set) for name, fragment in fragments.items()}
    order: list[str] = []
    state: dict[str, bool] = {}  # False: being visited, True: done
    for start in fragments:
        if start in state:
            continue
        stack = [(start, iter(spreads[start]))]
        state[start] = False
        while stack:
            name, pending = stack[-1]
            for spread in pending:
                if spread in fragments and spread not in state:
                    state[spread] = False
                    stack.append((spread, iter(spreads[spread])))
                    break
            else:
                stack.pop()
                state[name] = True
                order.append(name)
    return order


def _spreads(selection_set: SelectionSetNode) -> list[str]:
    """The names of the fragments spread anywhere in a selection set."""
    found: list[str] = []
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                found.append(selection.name.value)
            elif (
                isinstance(selection, FieldNode | InlineFragmentNode)
                and selection.selection_set is not None
            ):
                pending.append(selection.selection_set)
    return found
