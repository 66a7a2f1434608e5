"""The predicates a subject may share, declared once in graphql/predicates.toml.

A predicate is data, like the edition policy: a selection on the subject (what
the subgraphs already serve, as the SUBJECT edition shows it), a path to the
values it tests and one test. So a new question is a reviewed change to one
file, with its document generated from it (`creditgraph predicates`), and the
code that answers it is the same for every predicate. The gateway checks the
catalogue against the schema and the policy it serves when it starts, and
refuses to start on a predicate that could not be answered: a field that is
not there, one the subject's own edition does not see, a record with owners of
its own (another subject, an account), a path that leads nowhere, a test that
does not fit the value.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Protocol

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)

from creditgraph.errors import ConfigurationError
from creditgraph.resources import graphql_root


class PolicyView(Protocol):
    """What a predicate is checked against: the edition policy (access/policy.py), read
    through this seam so that the policy stage, which answers eligibility, and this
    catalogue do not import each other."""

    @property
    def records(self) -> Mapping[str, object]: ...

    def sees(self, type_name: str, field: str, edition: str) -> bool: ...


TESTS: Final = ("at_least", "at_most", "equals", "none")
_COMPARING: Final = frozenset({"at_least", "at_most"})
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
_PREDICATE_KEYS: Final = frozenset({"en", "zh", "select", "path", "test", "value"})
_PURPOSE_KEYS: Final = frozenset({"en", "zh"})
_NUMBERS: Final = frozenset({"Int", "Float", "Decimal"})
EDITION: Final = "SUBJECT"
"""The edition a predicate reads the subject's data in: the subject's own."""

Scalar = bool | int | float | str


class PredicateError(ConfigurationError):
    """A catalogue that breaks a rule, or a predicate the served schema cannot answer."""


class Unanswerable(Exception):
    """The data a predicate reads is not all there (a subgraph failed): no answer is given."""


@dataclass(frozen=True, slots=True)
class Predicate:
    """One yes/no question about the subject, and how it is answered from their data."""

    code: str
    en: str
    zh: str
    select: str
    path: tuple[str, ...]
    test: str
    value: Scalar | None

    def holds(self, subject: Mapping[str, Any]) -> bool:
        """The answer for the subject's data as fetched (`select`'s answer for them).

        Raises Unanswerable when a value on the path is missing: a null is never read
        as "nothing there", since an answer must not be given on data that is not.
        """
        values = _values(subject, self.path)
        if self.test == "none":
            return not values
        if not values:
            return False
        assert self.value is not None  # checked at load for every test but none
        if self.test == "equals":
            return all(type(item) is type(self.value) and item == self.value for item in values)
        try:
            numbers = [float(item) for item in values if not isinstance(item, bool)]
        except ValueError:
            numbers = []
        if len(numbers) != len(values):
            raise Unanswerable(f"{self.code}: a value on {'.'.join(self.path)} is not a number")
        limit = float(self.value)
        if self.test == "at_least":
            return all(item >= limit for item in numbers)
        return all(item <= limit for item in numbers)

    def describe(self) -> str:
        """The test in words, for the generated document."""
        where = f"`{'.'.join(self.path)}`"
        if self.test == "none":
            return f"no value at {where}"
        words = {"at_least": "at least", "at_most": "at most", "equals": "equal to"}[self.test]
        shown = str(self.value).lower() if isinstance(self.value, bool) else str(self.value)
        return f"at least one value at {where}, and every one {words} {shown}"


@dataclass(frozen=True, slots=True)
class Purpose:
    """What a share may be for: the service a yes opens."""

    code: str
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    predicates: Mapping[str, Predicate]
    purposes: Mapping[str, Purpose]

    def check(self, schema: GraphQLSchema, policy: PolicyView) -> None:
        """Refuse the catalogue unless every predicate can be answered from `schema` under
        `policy` in the SUBJECT edition, reaching no record with owners of its own."""
        problems = [
            problem
            for predicate in self.predicates.values()
            for problem in _problems(predicate, schema, policy)
        ]
        if problems:
            raise PredicateError(
                "the predicates do not fit the schema:\n  " + "\n  ".join(problems)
            )

    def markdown(self) -> str:
        """The catalogue as a document: docs/predicates.md."""
        lines = [
            "# Answers that disclose nothing: the predicates",
            "",
            "Generated by `creditgraph predicates` from `graphql/predicates.toml`. A subject",
            "shares one of these with one institution for one purpose (`shareEligibility`);",
            "the institution asks `eligibility(subject, predicate, purpose)` and gets only",
            "`holds` (true or false) and an answer id the subject sees. Each is read from",
            "the subject's own data, as the SUBJECT edition shows it, and none of what it",
            "read leaves the gateway.",
            "",
            "| predicate | question | reads | true when |",
            "|---|---|---|---|",
        ]
        for item in self.predicates.values():
            lines.append(
                f"| `{item.code}` | {item.en} ({item.zh}) | `{item.select}` | {item.describe()} |"
            )
        lines += ["", "## Purposes", "", "| purpose | what a yes opens |", "|---|---|"]
        for purpose in self.purposes.values():
            lines.append(f"| `{purpose.code}` | {purpose.en} ({purpose.zh}) |")
        return "\n".join(lines) + "\n"


def predicates_path() -> Path:
    return graphql_root() / "predicates.toml"


def parse_catalogue(text: str, *, source: str = "predicates") -> Catalogue:
    """The catalogue in `text`, its own rules checked (the schema is checked by `check`)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PredicateError(f"{source}: {exc}") from None
    unknown = set(raw) - {"predicates", "purposes"}
    if unknown:
        raise PredicateError(f"{source}: unknown tables {sorted(unknown)}")
    predicates = {
        code: _predicate(code, entry, f"{source}: predicates.{code}")
        for code, entry in _table(raw.get("predicates"), f"{source}: predicates").items()
    }
    purposes = {
        code: _purpose(code, entry, f"{source}: purposes.{code}")
        for code, entry in _table(raw.get("purposes"), f"{source}: purposes").items()
    }
    if not predicates or not purposes:
        raise PredicateError(f"{source}: declare at least one predicate and one purpose")
    return Catalogue(predicates, purposes)


def load(path: Path | None = None) -> Catalogue:
    found = path or predicates_path()
    try:
        text = found.read_text(encoding="utf-8")
    except OSError as exc:
        raise PredicateError(f"cannot read the predicates {found}: {exc.strerror}") from None
    return parse_catalogue(text, source=str(found))


@cache
def shipped() -> Catalogue:
    """graphql/predicates.toml, read once a process."""
    return load()


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PredicateError(f"{where} must be a table")
    return value


def _code(code: str, where: str) -> str:
    if not _CODE.match(code):
        raise PredicateError(f"{where}: a code is A-Z, 0-9 and _, starting with a letter")
    return code


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise PredicateError(f"{where}.{key} must be text of 1 to 200 characters")
    return value.strip()


def _predicate(code: str, value: Any, where: str) -> Predicate:
    entry = _table(value, where)
    unknown = set(entry) - _PREDICATE_KEYS
    if unknown:
        raise PredicateError(f"{where}: unknown keys {sorted(unknown)}")
    test = entry.get("test")
    if test not in TESTS:
        raise PredicateError(f"{where}.test must be one of {', '.join(TESTS)}")
    compared = entry.get("value")
    if test == "none" and compared is not None:
        raise PredicateError(f"{where}: the test none compares with no value")
    if test != "none" and not isinstance(compared, bool | int | float | str):
        raise PredicateError(f"{where}: the test {test} needs a value")
    if test in _COMPARING and (isinstance(compared, bool) or not isinstance(compared, int | float)):
        raise PredicateError(f"{where}: the test {test} compares with a number")
    path = _text(entry, "path", where)
    return Predicate(
        _code(code, where),
        _text(entry, "en", where),
        _text(entry, "zh", where),
        _text(entry, "select", where),
        tuple(path.split(".")),
        str(test),
        compared,
    )


def _purpose(code: str, value: Any, where: str) -> Purpose:
    entry = _table(value, where)
    unknown = set(entry) - _PURPOSE_KEYS
    if unknown:
        raise PredicateError(f"{where}: unknown keys {sorted(unknown)}")
    return Purpose(_code(code, where), _text(entry, "en", where), _text(entry, "zh", where))


def selection(predicate: Predicate) -> SelectionSetNode:
    """The predicate's selection on Subject, parsed."""
    document = parse(f"{{ me {{ {predicate.select} }} }}", no_location=True)
    (operation,) = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    (me,) = operation.selection_set.selections
    assert isinstance(me, FieldNode)
    assert me.selection_set is not None
    return me.selection_set


def _problems(predicate: Predicate, schema: GraphQLSchema, policy: PolicyView) -> list[str]:
    where = f"predicates.{predicate.code}"
    try:
        document = parse(f"{{ me {{ {predicate.select} }} }}", no_location=True)
    except GraphQLError as exc:
        return [f"{where}.select does not parse: {exc.message}"]
    if len(document.definitions) != 1:
        return [f"{where}.select is one selection on Subject"]
    invalid = validate(schema, document)
    if invalid:
        return [f"{where}.select: {item.message}" for item in invalid]
    problems: list[str] = []
    leaves: dict[tuple[str, ...], str] = {}
    # the type `me` answers with: a predicate's select is read as `{ me { select } }`
    assert schema.query_type is not None
    subject = get_named_type(schema.query_type.fields["me"].type)
    assert isinstance(subject, GraphQLObjectType)
    _walk(selection(predicate), subject, (), policy, where, problems, leaves)
    leaf = leaves.get(predicate.path)
    if leaf is None:
        problems.append(f"{where}.path {'.'.join(predicate.path)} is not a value the select reads")
    elif predicate.test in _COMPARING and leaf not in _NUMBERS:
        problems.append(f"{where}: {predicate.test} compares numbers, and {leaf} is not one")
    elif predicate.test == "equals" and not _fits(predicate.value, leaf):
        problems.append(f"{where}: {predicate.value!r} is never a {leaf}")
    return problems


def _fits(value: Scalar | None, leaf: str) -> bool:
    if leaf == "Boolean":
        return isinstance(value, bool)
    if leaf in _NUMBERS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _walk(
    selections: SelectionSetNode,
    parent: GraphQLObjectType,
    path: tuple[str, ...],
    policy: PolicyView,
    where: str,
    problems: list[str],
    leaves: dict[tuple[str, ...], str],
) -> None:
    """Each field selected: plain (no alias, no fragment), seen by the subject's own edition,
    reaching no record type; the leaves found, by their path."""
    for item in selections.selections:
        if not isinstance(item, FieldNode):
            problems.append(f"{where}.select: no fragments, only fields")
            continue
        name = item.name.value
        if item.alias is not None:
            problems.append(f"{where}.select: no aliases ({item.alias.value})")
        if not policy.sees(parent.name, name, EDITION):
            problems.append(
                f"{where}.select: the {EDITION} edition does not see {parent.name}.{name}"
            )
        target = get_named_type(parent.fields[name].type)
        here = (*path, name)
        if target.name in policy.records:
            problems.append(f"{where}.select: {parent.name}.{name} reaches a {target.name}")
        elif isinstance(target, GraphQLObjectType) and item.selection_set is not None:
            _walk(item.selection_set, target, here, policy, where, problems, leaves)
        elif is_leaf_type(target):
            leaves[here] = target.name


def _values(source: object, path: Sequence[str]) -> list[Scalar]:
    """Every value at `path` in a fetched answer, lists flattened; a null is Unanswerable."""
    if source is None:
        raise Unanswerable("a value the predicate reads is missing")
    if isinstance(source, list):
        return [value for item in source for value in _values(item, path)]
    if not path:
        if not isinstance(source, bool | int | float | str):
            raise Unanswerable("a value the predicate reads is not a value")
        return [source]
    if not isinstance(source, dict) or path[0] not in source:
        raise Unanswerable("a value the predicate reads is missing")
    return _values(source[path[0]], path[1:])
