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

from creditgraph.access.masks import FILTERS, MASKS, NeedPath
from creditgraph.errors import ConfigurationError
from creditgraph.signals import MAX_HISTORY_MONTHS

Edition = Literal["SUBJECT", "BANK", "SOCIAL", "GOVERNMENT"]
EDITIONS: Final[tuple[Edition, ...]] = ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT")
ROLES: Final = frozenset({"SUBJECT", "BANK", "GOVERNMENT", "FURNISHER"})
SUBJECT_TYPE: Final = "Subject"
_DEFAULT: Final = "*"
_MARK: Final = "dispute"
_NOBODY: Final[frozenset[str]] = frozenset()
# the editions a grant gives, whose holders' views a data period bounds
_GRANTED: Final = frozenset({"BANK", "SOCIAL"})


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Who sees one field, and what is done to its value per edition."""

    editions: frozenset[str]
    masks: Mapping[str, str]
    filters: Mapping[str, str]


_HIDDEN = FieldRule(_NOBODY, {}, {})


@dataclass(frozen=True, slots=True)
class RecordRule:
    """Whose the records of one type are, and how the gateway fetches one by its key.

    `owners` maps each role (borrower, guarantor, subject) to the path from the record to
    an owner's identifier; a list along the path gives every owner in it. `fetch` is the
    internal root field that returns records of the type for a list of keys, in order.
    `owned_through` names the edges (Type.field) along which every record reached is one
    the reaching record's owner owns (a subject's own accounts): such a record is fetched
    with its parent in the edition the requester holds for that owner, the view it gets,
    instead of in a wave of its own (access/enforcement.py).
    """

    owners: Mapping[str, NeedPath]
    key: str
    fetch: str
    owned_through: frozenset[str] = frozenset()


class PolicyError(ConfigurationError):
    """The policy file is malformed or disagrees with the schema it is served with."""


class Policy:
    """The parsed policy: lookups the enforcement layer makes for every selected field."""

    def __init__(
        self,
        types: Mapping[str, Mapping[str, FieldRule]],
        records: Mapping[str, RecordRule],
        views: Mapping[str, frozenset[str]],
        mutations: Mapping[str, frozenset[str]],
        windows: Mapping[str, Mapping[str, int]] | None = None,
        current: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.types = types
        self.records = records
        self.views = views
        self.mutations = mutations
        self.windows: Mapping[str, Mapping[str, int]] = windows or {}
        self.current: Mapping[str, frozenset[str]] = current or {}

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
        records = {
            type_name: _record(entry, f"{source}: records.{type_name}")
            for type_name, entry in _table(raw.get("records"), f"{source}: records").items()
        }
        views = {
            edge: frozenset(_names(fields, f"{source}: views.{edge}"))
            for edge, fields in _table(raw.get("views"), f"{source}: views").items()
        }
        mutations = {
            name: frozenset(_names(roles, f"{source}: mutations.{name}", allowed=ROLES))
            for name, roles in _table(raw.get("mutations", {}), f"{source}: mutations").items()
        }
        windows = {
            type_name: {
                field: _months(months, f"{source}: windows.{type_name}.{field}")
                for field, months in _table(fields, f"{source}: windows.{type_name}").items()
            }
            for type_name, fields in _table(raw.get("windows", {}), f"{source}: windows").items()
        }
        current = {
            type_name: frozenset(_names(fields, f"{source}: current.{type_name}"))
            for type_name, fields in _table(raw.get("current", {}), f"{source}: current").items()
        }
        return cls(types, records, views, mutations, windows, current)

    # -- lookups ------------------------------------------------------------------------

    def rule(self, type_name: str, field: str) -> FieldRule:
        fields = self.types.get(type_name)
        if fields is None:
            return _HIDDEN
        return fields.get(field) or fields.get(_DEFAULT) or _HIDDEN

    def sees(self, type_name: str, field: str, edition: str) -> bool:
        return edition in self.rule(type_name, field).editions

    def window(self, type_name: str, field: str) -> int:
        """How many months back a field's value looks (its look-back), beyond the field above.

        A field `current` names is not derived from history: a value as it stands, a
        record's own facts, a list of records (a dated record whose life ended before the
        data period the subgraphs leave out: common.in_period), a history capped to the
        period (`repayments(months:)`). A field neither names reaches the whole history:
        loading refuses one a grant's holder may see, and this keeps a schema the policy
        was not checked against closed too.
        """
        fields = self.windows.get(type_name, {})
        if field in fields:
            return fields[field]
        if field in self.current.get(type_name, _NOBODY):
            return 1
        return MAX_HISTORY_MONTHS

    def beyond(self, type_name: str, field: str, history: int | None) -> int | None:
        """The field's look-back when a data period of `history` months falls short of it
        (None: it does not, or no data period limits the view)."""
        if history is None:
            return None
        months = self.window(type_name, field)
        return months if months > history else None

    def record(self, type_name: str) -> RecordRule | None:
        """How records of the type are owned, or None for a type that is part of another."""
        return self.records.get(type_name)

    def view(self, edge: str) -> frozenset[str]:
        """The fields shown of another's record reached through `edge` (Type.field).

        Loading checked that every edge reaching a record has a view; an edge it did not
        check (a schema the policy was not checked against) shows nothing.
        """
        return self.views.get(edge, _NOBODY)

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
        reachable = _reachable_from(schema, SUBJECT_TYPE)
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
        if SUBJECT_TYPE not in self.records:
            yield "records.Subject is not declared: every record's owners are subjects"
        yield from self._ownership(schema, reachable)
        yield from self._windows(schema, reachable)
        yield from self._classified(schema, reachable)
        yield from self._non_null_denials(schema)
        mutation = schema.mutation_type
        for name in self.mutations:
            if mutation is None or name not in mutation.fields:
                yield f"mutations.{name} is not a mutation of the schema"
        # a mutation's answer is returned as the subgraph gives it, outside the checkpoints
        for name, field in (mutation.fields if mutation else {}).items():
            for record in sorted(_reachable_from(schema, get_named_type(field.type).name)):
                if record in self.records:
                    yield f"mutation {name} answers with a {record}, which only a query may reach"

    def _ownership(self, schema: GraphQLSchema, reachable: set[str]) -> Iterable[str]:
        """Every record type has owners it can read; every edge that reaches one, a view."""
        for type_name, record in self.records.items():
            type_ = schema.type_map.get(type_name)
            if not isinstance(type_, GraphQLObjectType):
                yield f"records.{type_name} is not an object type of the schema"
                continue
            if record.key not in type_.fields:
                yield f"records.{type_name}: key {record.key} is not a field of it"
            if not record.owners:
                yield f"records.{type_name} names no owners"
            for role, path in record.owners.items():
                problem = _path_problem(schema, type_name, path)
                if problem is not None:
                    yield f"records.{type_name}: owner {role} ({'.'.join(path)}) {problem}"
            for edge in sorted(record.owned_through):
                if _edge_target(schema, edge) != type_name:
                    yield f"records.{type_name}: owned_through {edge} is not an edge reaching it"
        edges: set[str] = set()
        for type_name in reachable:
            type_ = schema.type_map[type_name]
            assert isinstance(type_, GraphQLObjectType)
            for field_name, field in type_.fields.items():
                target = get_named_type(field.type).name
                if target in self.records:
                    edges.add(f"{type_name}.{field_name}")
                    target_type = schema.type_map[target]
                    assert isinstance(target_type, GraphQLObjectType)
                    view = self.view(f"{type_name}.{field_name}")
                    for name in view - set(target_type.fields):
                        yield f"views.{type_name}.{field_name} names {name}, which {target} lacks"
                    if _MARK in target_type.fields and _MARK not in view:
                        yield (
                            f"views.{type_name}.{field_name} hides the {_MARK} mark, which every "
                            "edition that sees a record sees"
                        )
        for edge in sorted(edges - set(self.views)):
            yield f"{edge} reaches another's record but views declares nothing for it"
        for edge in sorted(set(self.views) - edges):
            yield f"views.{edge} is not an edge that reaches a record"

    def _windows(self, schema: GraphQLSchema, reachable: set[str]) -> Iterable[str]:
        """Every value derived from history declares how far back it looks.

        A type with windows is derived; so is every type reached from one (other than a
        record), and every type with a field reaching a derived type that looks before the
        data month: each declares a window for every field, so a field added to any of
        them has none until someone says how far back it looks. A non-null field looks
        back no further than every field reaching its type: withholding it would
        otherwise null the value above it.
        """
        derived = {name for name in self.windows if name != SUBJECT_TYPE}
        for name in sorted(derived):
            for below in sorted(_reachable_from(schema, name) - set(self.records)):
                if below not in self.windows:
                    yield f"{below} is reached from the derived type {name} and has no windows"
        for type_name, fields in self.windows.items():
            type_ = schema.type_map.get(type_name)
            if not isinstance(type_, GraphQLObjectType):
                yield f"windows.{type_name} is not an object type of the schema"
                continue
            for field in sorted(set(fields) - set(type_.fields)):
                yield f"windows.{type_name}.{field} is not a field of the schema"
            if type_name != SUBJECT_TYPE:
                for field in sorted(set(type_.fields) - set(fields)):
                    yield f"{type_name}.{field} of a derived type declares no window"

        def looks_back(name: str) -> bool:
            """Whether anything in or below a derived type looks before the data month."""
            return any(
                months > 1
                for below in _reachable_from(schema, name) & derived
                for months in self.windows[below].values()
            )

        reaching: dict[str, list[tuple[str, str]]] = {}
        for type_name in sorted(reachable):
            type_ = schema.type_map[type_name]
            assert isinstance(type_, GraphQLObjectType)
            for field_name, field in type_.fields.items():
                target = get_named_type(field.type).name
                if target not in derived:
                    continue
                reaching.setdefault(target, []).append((type_name, field_name))
                if looks_back(target) and field_name not in self.windows.get(type_name, {}):
                    yield (
                        f"{type_name}.{field_name} reaches the derived type {target} "
                        "and declares no window"
                    )
        for type_name in sorted(derived):
            type_ = schema.type_map.get(type_name)
            if not isinstance(type_, GraphQLObjectType):
                continue
            for field_name, field in type_.fields.items():
                months = self.window(type_name, field_name)
                for parent, edge in reaching.get(type_name, []):
                    if is_non_null_type(field.type) and months > self.window(parent, edge):
                        yield (
                            f"{type_name}.{field_name} is non-null, yet looks back further "
                            f"({months} months) than {parent}.{edge} ({self.window(parent, edge)})"
                        )

    def _classified(self, schema: GraphQLSchema, reachable: set[str]) -> Iterable[str]:
        """Every field a grant's holder may be shown says how far back it reaches.

        A field some edition a grant gives (BANK, SOCIAL) sees is named either in
        `windows` (how far back its value looks) or in `current` (it is not derived from
        history), never both: a field added to the schema and opened to a
        grant's holder without saying which refuses to load, whatever type it is on.
        """
        for type_name in sorted(set(self.current) - reachable):
            yield f"current.{type_name} is not a type reachable from Subject"
        for type_name in sorted(reachable):
            type_ = schema.type_map[type_name]
            assert isinstance(type_, GraphQLObjectType)
            windows = self.windows.get(type_name, {})
            within = self.current.get(type_name, _NOBODY)
            for field in sorted(within - set(type_.fields)):
                yield f"current.{type_name} names {field}, which is not a field of it"
            for field in sorted(within & set(windows)):
                yield f"{type_name}.{field} has a window and is named in current too"
            for field in type_.fields:
                if field in windows or field in within:
                    continue
                if self.rule(type_name, field).editions & _GRANTED:
                    yield (
                        f"{type_name}.{field} may be shown to a grant's holder and declares "
                        "neither a window nor that it is current"
                    )

    def _non_null_denials(self, schema: GraphQLSchema) -> Iterable[str]:
        """A denied field comes back null: were it non-null, the denial would wipe its parent."""
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
        for edge, fields in self.views.items():
            target = schema.type_map.get(_edge_target(schema, edge) or "")
            if not isinstance(target, GraphQLObjectType):
                continue
            for field_name, field in target.fields.items():
                if is_non_null_type(field.type) and field_name not in fields:
                    yield f"{target.name}.{field_name} is non-null, yet views.{edge} hides it"

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
            "## Whose each record is",
            "",
            "A record's owners are the subjects it belongs to. Whatever edge reaches a",
            "record, the gateway decides from its owners what the requester may see of",
            "it, and nothing else of it leaves. It is fetched with the record reaching it",
            "in the view it most likely gets, which never shows more than the requester",
            "may see: the edge's view below, or, through an edge where it is always the",
            "reaching record's owner's own, the edition held for that owner. When the",
            "view its owners decide would fetch anything else, it is fetched again, by",
            "its key, in that view. Every other type is part of the record it is reached",
            "from.",
            "",
            "| record | owners (role: where the owner is read) | fetched by | owned through |",
            "|---|---|---|---|",
        ]
        for type_name, record in self.records.items():
            owners = "; ".join(
                f"{role}: `{'.'.join(path)}`" for role, path in record.owners.items()
            )
            through = ", ".join(f"`{edge}`" for edge in sorted(record.owned_through)) or "—"
            lines.append(f"| {type_name} | {owners} | `{record.key}` | {through} |")
        lines += [
            "",
            "## Another's record on this subject's report",
            "",
            "A requester with an entitlement of its own to one of a record's owners sees",
            "the record as that entitlement's edition shows it (the best, when it has",
            "several), and these fields as the first report's edition shows them. Without",
            "one, only these fields come back, as the first report's edition shows them;",
            "every other field is null with `CONSENT_REQUIRED`.",
            "",
            "| reached through | fields |",
            "|---|---|",
        ]
        for edge, fields in self.views.items():
            lines.append(f"| `{edge}` | {', '.join(sorted(fields))} |")
        lines += [
            "",
            "## How far back each derived value looks",
            "",
            "A grant's data period (`dataPeriodMonths`) is how far back its holder may",
            "look. A value derived from history declares its window: how many months",
            "back, from the data month, the records it is derived from reach (1: the",
            "data month alone; a window counts for everything below its field). Under a",
            "data period shorter than the window the value is null with",
            "`CONSENT_REQUIRED` (`extensions.dataPeriodMonths`, `windowMonths`). A field",
            "of a derived type with no window would reach the whole history",
            f"({MAX_HISTORY_MONTHS} months). The subject's own view and a mandate have no",
            "data period.",
            "",
            "| field | window (months) |",
            "|---|---|",
        ]
        for type_name in sorted(self.windows, key=lambda name: (name != SUBJECT_TYPE, name)):
            lines += [f"| `{type_name}.{f}` | {m} |" for f, m in self.windows[type_name].items()]
        lines += [
            "",
            "## What is not derived from history",
            "",
            "Every field a grant's holder may be shown has a window above or is named here:",
            "a value as it stands, a record's own facts, a list of records. Loading refuses",
            "a field that is neither. A list of dated records leaves out, under a data",
            "period, a record whose dated life ended before the period began.",
            "",
            "| type | fields |",
            "|---|---|",
        ]
        lines += [
            f"| {type_name} | {', '.join(f'`{f}`' for f in sorted(fields))} |"
            for type_name, fields in sorted(self.current.items())
        ]
        lines += ["", "## Masks and filters", ""]
        for name, mask in sorted(MASKS.items()):
            lines.append(f"- mask `{name}`: {mask.description}")
        for name, filter_ in sorted(FILTERS.items()):
            lines.append(f"- filter `{name}`: {filter_.description}")
        lines += ["", "## Mutations", "", "| mutation | who may call it |", "|---|---|"]
        for name, roles in self.mutations.items():
            lines.append(f"| `{name}` | {', '.join(sorted(roles))} |")
        lines += ["", "## Root fields", "", "| root field | who asks | what comes back |"]
        lines.append("|---|---|---|")
        lines += [f"| `{name}` | {who} | {what} |" for name, who, what in _ROOTS]
        return "\n".join(lines) + "\n"


# the root fields and how the gateway decides them (access/enforcement.py), for the document
_ROOTS: Final = (
    ("me", "a subject", "their own report, in the SUBJECT edition (a SELF inquiry)"),
    (
        "subject",
        "anyone",
        "the edition the requester's grant or mandate gives for the purpose, as the tables "
        "above show it; without one, null with `CONSENT_REQUIRED`",
    ),
    (
        "eligibility",
        "a bank or government body",
        "only `holds` (true or false) and the answer's id, when the subject shared that "
        "predicate (`graphql/predicates.toml`) with it for that purpose and the share is live; "
        "else null with `CONSENT_REQUIRED`. The data it is read from stays in the gateway; the "
        "answer is an ELIGIBILITY inquiry on the subject's list",
    ),
)


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


def _months(value: Any, where: str) -> int:
    """A window: a whole number of months the bureau keeps (a bool is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{where} must be a number of months from 1 to {MAX_HISTORY_MONTHS}")
    if not 1 <= value <= MAX_HISTORY_MONTHS:
        raise PolicyError(f"{where} must be a number of months from 1 to {MAX_HISTORY_MONTHS}")
    return value


def _record(entry: Any, where: str) -> RecordRule:
    table = _table(entry, where)
    unknown = set(table) - {"owners", "key", "fetch", "owned_through"}
    if unknown:
        raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
    owners = _table(table.get("owners"), f"{where}.owners")
    key, fetch = table.get("key"), table.get("fetch")
    if not isinstance(key, str) or not isinstance(fetch, str):
        raise PolicyError(f"{where} needs a key and a fetch, each a field name")
    paths: dict[str, NeedPath] = {}
    for role, path in owners.items():
        if not isinstance(path, str) or not path:
            raise PolicyError(f"{where}.owners.{role} must be a path such as parties.subject")
        paths[role] = tuple(path.split("."))
    owned_through = frozenset(_names(table.get("owned_through", []), f"{where}.owned_through"))
    return RecordRule(paths, key, fetch, owned_through)


def _path_problem(schema: GraphQLSchema, type_name: str, path: NeedPath) -> str | None:
    """Why `path` does not lead from `type_name` to an identifier, or None when it does."""
    current = schema.type_map.get(type_name)
    for step in path:
        if not isinstance(current, GraphQLObjectType) or step not in current.fields:
            return f"has no field {step} there"
        current = get_named_type(current.fields[step].type)
    if current is None or current.name not in ("String", "ID"):
        return "does not end at an identifier"
    return None


def _edge_target(schema: GraphQLSchema, edge: str) -> str | None:
    type_name, _, field_name = edge.partition(".")
    type_ = schema.type_map.get(type_name)
    if not isinstance(type_, GraphQLObjectType) or field_name not in type_.fields:
        return None
    target: str = get_named_type(type_.fields[field_name].type).name
    return target


def _reachable_from(schema: GraphQLSchema, start: str) -> set[str]:
    found: set[str] = set()
    pending = [start]
    while pending:
        name = pending.pop()
        type_ = schema.type_map.get(name)
        if name in found or not isinstance(type_, GraphQLObjectType):
            continue
        found.add(name)
        for field in type_.fields.values():
            pending.append(get_named_type(field.type).name)
    return found
