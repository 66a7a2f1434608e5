"""The record kinds furnishers report, and who may report which.

Each kind's format is a JSON Schema file in `graphql/furnishing/` (published with the
product, rendered in docs/furnishing.md). The same files drive the checks: the pipeline hands
each kind's properties and required fields to the database, which checks every line of a
batch against them at once (`furnishing.field_problem`), so what the furnishers read and what
the bureau enforces cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from creditgraph.resources import graphql_root

#: What each kind of institution furnishes, by `bureau.institutions.kind`. A consumer-finance
#: company lends as a bank does; a scorer furnishes nothing.
FURNISHER_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {"BANK": "BANK", "CONSUMER_FINANCE": "BANK", "COURT": "COURT", "AGENCY": "AGENCY"}
)


@dataclass(frozen=True, slots=True)
class RecordKind:
    """One record format: its name (`kind` in every record), file and schema."""

    name: str
    file: str
    schema: Mapping[str, Any]

    @property
    def furnisher(self) -> str:
        """Who reports it: BANK, COURT or AGENCY."""
        return str(self.schema["x-furnisher"])

    @property
    def public(self) -> bool:
        """Whether it is a public record (a court's or an agency's), kept in its own table
        under the furnisher's key."""
        return "x-table" in self.schema

    @property
    def flat(self) -> bool:
        """Whether every field is a scalar, so the kind can come as CSV as well as JSON Lines."""
        properties: Mapping[str, Mapping[str, Any]] = self.schema["properties"]
        return all(
            spec.get("type") != "array" and spec.get("type") != "object"
            for spec in properties.values()
        )


def schema_root() -> Path:
    """Where the record formats live: `graphql/furnishing/*.schema.json`."""
    return graphql_root() / "furnishing"


@cache
def record_kinds() -> Mapping[str, RecordKind]:
    """Every record kind by name, read from the schema files."""
    kinds: dict[str, RecordKind] = {}
    for path in sorted(schema_root().glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        name = schema["properties"]["kind"]["const"]
        kinds[name] = RecordKind(name, path.name, MappingProxyType(schema))
    return MappingProxyType(kinds)


def kinds_for(institution_kind: str) -> tuple[str, ...]:
    """The record kinds an institution of this kind may furnish (none for a scorer)."""
    furnisher = FURNISHER_KINDS.get(institution_kind)
    return tuple(name for name, kind in record_kinds().items() if kind.furnisher == furnisher)


@cache
def public_book() -> str:
    """Where each public record kind is kept, as the merge needs it, one JSON document: per
    kind, its table, each field's column and the columns the furnisher's own code and name
    fill."""
    book: dict[str, dict[str, Any]] = {}
    for name, kind in record_kinds().items():
        if not kind.public:
            continue
        schema = kind.schema
        book[name] = {
            "table": schema["x-table"],
            "furnisherColumns": schema["x-furnisher-columns"],
            "columns": {
                field: spec.get("x-column", _snake(field))
                for field, spec in schema["properties"].items()
                if field not in _NOT_COLUMNS
            },
        }
    return json.dumps(book)


#: Fields of every public record that are about the furnishing, not columns of its table.
_NOT_COLUMNS: Final = frozenset({"kind", "key", "subjectNotifiedOn"})


def _snake(field: str) -> str:
    """A field's column: the record format's camelCase name in snake_case."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in field)
