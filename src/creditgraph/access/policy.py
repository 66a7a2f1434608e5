"""The edition policy: which edition sees which field, declared once in graphql/policy.toml.

The file is data so that one declaration drives enforcement, the documented
table (`creditgraph policy`) and the tests' oracle alike. Loading checks it
against the served API schema and refuses to start on any mismatch: a type
the file does not know would otherwise be decided by nobody, and a typo in a
field name would silently open or close it. Anything not declared is seen by
no edition (fail closed).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type, is_non_null_type

from creditgraph.access.masks import FILTERS, MASKS
from creditgraph.errors import ConfigurationError

Edition = Literal["SUBJECT", "BANK", "SOCIAL", "GOVERNMENT"]
EDITIONS: Final[tuple[Edition, ...]] = ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT")
ROLES: Final = frozenset({"SUBJECT", "BANK", "GOVERNMENT"})
SUBJECT_TYPE: Final = "Subject"
_DEFAULT: Final = "*"
_NOBODY: Final[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Who sees one field, and what is done to its value per edition."""

    editions: frozenset[str]
    masks: Mapping[str, str]
    filters: Mapping[str, str]


_HIDDEN = FieldRule(_NOBODY, {}, {})


class PolicyError(ConfigurationError):
    """The policy file is malformed or disagrees with the schema it is served with."""


class Policy:
    """The parsed policy: lookups the enforcement layer makes for every selected field."""

    def __init__(
        self,
        types: Mapping[str, Mapping[str, FieldRule]],
        linked: Mapping[str, frozenset[str]],
        mutations: Mapping[str, frozenset[str]],
    ) -> None:
        self.types = types
        self.linked = linked
        self.mutations = mutations

    @classmethod
    def load(cls, path: Path) -> Policy:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"cannot read the policy {path}: {exc.strerror}") from None
        return cls.parse(text, source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str = "policy") -> Policy:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{source}: {exc}") from None
        editions = raw.get("editions")
        if editions != list(EDITIONS):
            raise PolicyError(f"{source}: editions must be {list(EDITIONS)}, got {editions!r}")
        types = {
            type_name: {
                field: _rule(entry, f"{source}: {type_name}.{field}")
                for field, entry in _table(fields, f"{source}: types.{type_name}").items()
            }
            for type_name, fields in _table(raw.get("types"), f"{source}: types").items()
        }
        linked = {
            where: frozenset(_names(fields, f"{source}: linked.{where}"))
            for where, fields in _table(raw.get("linked"), f"{source}: linked").items()
        }
        if "default" not in linked:
            raise PolicyError(f"{source}: [linked] needs a default")
        mutations = {
            name: frozenset(_names(roles, f"{source}: mutations.{name}", allowed=ROLES))
            for name, roles in _table(raw.get("mutations", {}), f"{source}: mutations").items()
        }
        return cls(types, linked, mutations)

    # -- lookups ------------------------------------------------------------------------

    def rule(self, type_name: str, field: str) -> FieldRule:
        fields = self.types.get(type_name)
        if fields is None:
            return _HIDDEN
        return fields.get(field) or fields.get(_DEFAULT) or _HIDDEN

    def sees(self, type_name: str, field: str, edition: str) -> bool:
        return edition in self.rule(type_name, field).editions

    def linked_fields(self, coordinate: str) -> frozenset[str]:
        """The Subject fields shown of a subject reached through `coordinate` (Type.field)."""
        return self.linked.get(coordinate, self.linked["default"])

    def may_call(self, mutation: str, role: str) -> bool:
        return role in self.mutations.get(mutation, _NOBODY)

    # -- agreement with the schema ---------------------------------------------------------

    def check(self, schema: GraphQLSchema) -> None:
        """Refuse a policy that names what the schema lacks or leaves a reachable type undecided."""
        problems = list(self._problems(schema))
        if problems:
            raise PolicyError(
                "the policy does not fit the schema:\n  " + "\n  ".join(sorted(problems))
            )

    def _problems(self, schema: GraphQLSchema) -> Iterable[str]:
        reachable = _reachable_from_subject(schema)
        for name in sorted(reachable - set(self.types)):
            yield f"type {name} is reachable from Subject but the policy does not declare it"
        for type_name, fields in self.types.items():
            type_ = schema.type_map.get(type_name)
            if not isinstance(type_, GraphQLObjectType):
                yield f"{type_name} is not an object type of the schema"
                continue
            for field in fields:
                if field != _DEFAULT and field not in type_.fields:
                    yield f"{type_name}.{field} is not a field of the schema"
        subject = schema.type_map.get(SUBJECT_TYPE)
        if isinstance(subject, GraphQLObjectType):
            declared = self.types.get(SUBJECT_TYPE, {})
            if _DEFAULT in declared:
                yield "Subject's fields are declared one by one, without a '*' default"
            for field in subject.fields:
                if field not in declared:
                    yield f"Subject.{field} is not declared"
            for where, names in self.linked.items():
                for field in names - set(subject.fields):
                    yield f"linked.{where} names {field}, which Subject lacks"
        yield from self._non_null_denials(schema)
        mutation = schema.mutation_type
        for name in self.mutations:
            if mutation is None or name not in mutation.fields:
                yield f"mutations.{name} is not a mutation of the schema"

    def _non_null_denials(self, schema: GraphQLSchema) -> Iterable[str]:
        """A denied field comes back null: were it non-null, the denial would wipe its parent."""
        linked_everywhere = frozenset.intersection(*self.linked.values())
        for type_name in self.types:
            type_ = schema.type_map.get(type_name)
            if not isinstance(type_, GraphQLObjectType):
                continue
            seen_by = frozenset().union(*(self.rule(type_name, f).editions for f in type_.fields))
            for field_name, field in type_.fields.items():
                if not is_non_null_type(field.type):
                    continue
                hidden = seen_by - self.rule(type_name, field_name).editions
                if hidden:
                    yield f"{type_name}.{field_name} is non-null, yet {sorted(hidden)} may not"
                elif type_name == SUBJECT_TYPE and field_name not in linked_everywhere:
                    yield f"Subject.{field_name} is non-null, yet a linked subject hides it"

    # -- the documented table ----------------------------------------------------------------

    def markdown(self) -> str:
        """The policy as tables, one row per declared field, for docs/policy.md."""
        lines = [
            "# Report editions, field by field",
            "",
            "Generated by `creditgraph policy` from `graphql/policy.toml`, the one",
            "declaration the gateway enforces. ✓ sees the value, — gets null with",
            "`FORBIDDEN_FIELD`; a mask or filter is named where it applies.",
            "",
        ]
        for type_name in sorted(self.types, key=lambda name: (name != SUBJECT_TYPE, name)):
            lines += [f"## {type_name}", "", "| field | " + " | ".join(EDITIONS) + " |"]
            lines.append("|---" * (len(EDITIONS) + 1) + "|")
            for field, rule in self.types[type_name].items():
                cells = [_cell(rule, edition) for edition in EDITIONS]
                label = "every other field" if field == _DEFAULT else f"`{field}`"
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
            lines.append("")
        lines += [
            "## Subjects reached from a report",
            "",
            "Without an entitlement of the requester's own to a reached subject, only",
            "these fields of it come back (within what the first edition sees); the",
            "rest is `CONSENT_REQUIRED`. With one, these fields still come back as the",
            "first edition sees them, and every other field as the subject's own",
            "edition does.",
            "",
            "| reached through | fields |",
            "|---|---|",
        ]
        for where, fields in self.linked.items():
            label = "anything else" if where == "default" else f"`{where}`"
            lines.append(f"| {label} | {', '.join(sorted(fields))} |")
        lines += ["", "## Masks and filters", ""]
        for name, mask in sorted(MASKS.items()):
            lines.append(f"- mask `{name}`: {mask.description}")
        for name, filter_ in sorted(FILTERS.items()):
            lines.append(f"- filter `{name}`: {filter_.description}")
        lines += ["", "## Mutations", "", "| mutation | who may call it |", "|---|---|"]
        for name, roles in self.mutations.items():
            lines.append(f"| `{name}` | {', '.join(sorted(roles))} |")
        return "\n".join(lines) + "\n"


def _cell(rule: FieldRule, edition: str) -> str:
    if edition not in rule.editions:
        return "—"
    if edition in rule.masks:
        return f"✓ mask `{rule.masks[edition]}`"
    if edition in rule.filters:
        return f"✓ filter `{rule.filters[edition]}`"
    return "✓"


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where} must be a table")
    return cast(dict[str, Any], value)


def _names(value: Any, where: str, *, allowed: frozenset[str] | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PolicyError(f"{where} must be a list of names")
    if allowed is not None:
        for item in value:
            if item not in allowed:
                raise PolicyError(f"{where}: {item!r} is not one of {sorted(allowed)}")
    return cast(list[str], value)


def _editions(value: Any, where: str) -> frozenset[str]:
    if value == "all":
        return frozenset(EDITIONS)
    return frozenset(_names(value, where, allowed=frozenset(EDITIONS)))


def _rule(entry: Any, where: str) -> FieldRule:
    if not isinstance(entry, dict):
        return FieldRule(_editions(entry, where), {}, {})
    unknown = set(entry) - {"editions", "mask", "filter"}
    if unknown:
        raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
    editions = _editions(entry.get("editions"), where)
    masks = _named(entry.get("mask", {}), f"{where}.mask", editions, MASKS)
    filters = _named(entry.get("filter", {}), f"{where}.filter", editions, FILTERS)
    return FieldRule(editions, masks, filters)


def _named(
    value: Any, where: str, editions: frozenset[str], known: Mapping[str, object]
) -> dict[str, str]:
    table = _table(value, where)
    for edition, name in table.items():
        if edition not in editions:
            raise PolicyError(f"{where}: {edition} does not see this field, so nothing to apply")
        if name not in known:
            raise PolicyError(f"{where}: no mask or filter named {name!r}")
    return {str(edition): str(name) for edition, name in table.items()}


def _reachable_from_subject(schema: GraphQLSchema) -> set[str]:
    found: set[str] = set()
    pending = [SUBJECT_TYPE]
    while pending:
        name = pending.pop()
        type_ = schema.type_map.get(name)
        if name in found or not isinstance(type_, GraphQLObjectType):
            continue
        found.add(name)
        for field in type_.fields.values():
            pending.append(get_named_type(field.type).name)
    return found
