"""The catalogue of joint measures, declared once in graphql/measures.toml.

A red or black list entry in force triggers measures from many bodies at once:
restricted consumption, exclusion from procurement, stricter credit at banks for
a black-listed subject; priority and waived deposits for a red-listed one. Each
measure names what triggers it (the list's colour, and the list by name or any
list of that colour), the body that applies it, what it does, the law it rests
on, and the days it applies (`from`, and `until`: the first day it no longer
does). A measure whose body is a lender (`notify_lenders`) is sent, as a notice,
to the institutions that lend to the subject (notices.py).

The catalogue is policy, like the edition policy: reviewed in the repository,
rendered as docs/measures.md (`creditgraph measures doc`, a test fails when they
drift) and checked whole when a server starts, which refuses to start on a bad
one with one line. `creditgraph measures add` and `end` change it: the whole new
catalogue is checked before the file is replaced (written beside it, then
renamed over it), so a refused change leaves the file exactly as it was. A
measure is never removed, only ended, so the notices that named it keep their
meaning. The file is written back in one canonical form (`dump`), which the
committed file is in, so a change is a small diff.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from creditgraph.errors import ConfigurationError
from creditgraph.resources import graphql_root

COLOURS: Final = ("RED", "BLACK")
MAX_TEXT: Final = 500
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
_KEYS: Final = frozenset(
    {"code", "trigger", "body", "action", "legal_basis", "from", "until", "notify_lenders"}
)
_TRIGGER_KEYS: Final = frozenset({"colour", "list"})

HEADER: Final = """\
# The catalogue of joint measures (守信联合激励, 失信联合惩戒): what a red or black list
# entry in force triggers, by whom, on what legal basis, from and until when.
#
# Each [[measure]]: `code` (A-Z, 0-9, _), `trigger` (`colour` RED or BLACK, and `list`: the
# list's name as entries carry it; without `list`, any list of that colour), `body` (who
# applies it), `action` (what it does), `legal_basis`, `from` (first day it applies),
# optionally `until` (first day it no longer applies) and `notify_lenders` (true: lenders with
# an open account with the subject receive a notice naming it when an entry comes into force
# and when it ends by credit repair).
#
# Checked whole when a server starts; docs/measures.md is generated from it
# (`creditgraph measures doc --out docs/measures.md`). Change it with `creditgraph measures
# add` and `end`, which write it back in this form.
"""


class CatalogueError(ConfigurationError):
    """A catalogue, or a change to it, that breaks a rule; nothing was changed."""


ENV_VARIABLE: Final = "CREDITGRAPH_MEASURES"


def catalogue_path() -> Path:
    """The catalogue the servers apply: `CREDITGRAPH_MEASURES`, else graphql/measures.toml.

    A deployment points the variable at a copy of its own, which its operator changes in
    place, since an installed package's files are not for editing.
    """
    configured = os.environ.get(ENV_VARIABLE)
    return Path(configured) if configured else graphql_root() / "measures.toml"


@dataclass(frozen=True, slots=True)
class Measure:
    """One joint measure as declared."""

    code: str
    colour: str
    list_name: str | None
    """The list whose entries trigger it; None: any list of its colour."""
    body: str
    action: str
    legal_basis: str
    valid_from: date
    valid_until: date | None
    """The first day it no longer applies; None: until ended."""
    notify_lenders: bool

    @property
    def kind(self) -> str:
        """REWARD for a red list's measure, PUNISHMENT for a black list's."""
        return "REWARD" if self.colour == "RED" else "PUNISHMENT"

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def triggered_by(self, colour: str, list_name: str) -> bool:
        return self.colour == colour and self.list_name in (None, list_name)

    def document(self) -> dict[str, Any]:
        """The measure as JSON-ready data (dates as ISO strings)."""
        return {
            "code": self.code,
            "kind": self.kind,
            "colour": self.colour,
            "list": self.list_name,
            "body": self.body,
            "action": self.action,
            "legal_basis": self.legal_basis,
            "from": self.valid_from.isoformat(),
            "until": None if self.valid_until is None else self.valid_until.isoformat(),
            "notify_lenders": self.notify_lenders,
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    measures: tuple[Measure, ...]

    def triggered(self, colour: str, list_name: str, on: date) -> list[Measure]:
        """The measures an entry of this list triggers on `on`, in catalogue order."""
        return [m for m in self.measures if m.triggered_by(colour, list_name) and m.applies_on(on)]

    def find(self, code: str) -> Measure | None:
        return next((m for m in self.measures if m.code == code), None)


def _text(where: str, item: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: {key} must be non-empty text")
    if value != value.strip() or len(value) > MAX_TEXT or "\x00" in value:
        raise CatalogueError(
            f"{where}: {key} must be at most {MAX_TEXT} characters, without surrounding spaces"
        )
    return value


def _day(where: str, item: Mapping[str, Any], key: str) -> date | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise CatalogueError(f"{where}: {key} must be a date (2026-01-01), not {value!r}")
    return value


def measure_from(index: int, item: object) -> Measure:
    """One [[measure]] table checked field by field; `index` counts from 1."""
    where = f"measure {index}"
    if not isinstance(item, dict):
        raise CatalogueError(f"{where}: must be a table")
    code = item.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise CatalogueError(
            f"{where}: code must be 2-40 of A-Z, 0-9 and _, starting with a letter"
        )
    where = f"measure {index} ({code})"
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise CatalogueError(f"{where}: unknown key {unknown[0]!r}")
    trigger = item.get("trigger")
    if not isinstance(trigger, dict):
        raise CatalogueError(f"{where}: trigger must be a table with colour and optionally list")
    unknown = sorted(set(trigger) - _TRIGGER_KEYS)
    if unknown:
        raise CatalogueError(f"{where}: unknown trigger key {unknown[0]!r}")
    colour = trigger.get("colour")
    if colour not in COLOURS:
        raise CatalogueError(f"{where}: trigger colour must be RED or BLACK, not {colour!r}")
    valid_from = _day(where, item, "from")
    if valid_from is None:
        raise CatalogueError(f"{where}: from (the first day it applies) is required")
    valid_until = _day(where, item, "until")
    if valid_until is not None and valid_until <= valid_from:
        raise CatalogueError(f"{where}: until ({valid_until}) must be after from ({valid_from})")
    notify = item.get("notify_lenders", False)
    if not isinstance(notify, bool):
        raise CatalogueError(f"{where}: notify_lenders must be true or false")
    body, action, basis = (_text(where, item, key) for key in ("body", "action", "legal_basis"))
    assert body is not None
    assert action is not None
    assert basis is not None
    return Measure(
        code=code,
        colour=str(colour),
        list_name=_text(where, trigger, "list", required=False),
        body=body,
        action=action,
        legal_basis=basis,
        valid_from=valid_from,
        valid_until=valid_until,
        notify_lenders=notify,
    )


def checked(measures: Iterable[Measure]) -> Catalogue:
    """The measures as a catalogue, refused when two share a code."""
    found = tuple(measures)
    seen: set[str] = set()
    for measure in found:
        if measure.code in seen:
            raise CatalogueError(f"measure {measure.code} is declared twice")
        seen.add(measure.code)
    return Catalogue(found)


def parse(text: str) -> Catalogue:
    """A catalogue from its TOML text, checked whole."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"not TOML: {exc}") from None
    unknown = sorted(set(document) - {"measure"})
    if unknown:
        raise CatalogueError(f"unknown top-level key {unknown[0]!r}; measures are [[measure]]")
    items = document.get("measure", [])
    if not isinstance(items, list):
        raise CatalogueError("measures are [[measure]] tables")
    return checked(measure_from(index, item) for index, item in enumerate(items, start=1))


def load(path: Path | None = None) -> Catalogue:
    """The catalogue at `path` (default: the one the servers apply), or one clear error."""
    where = path or catalogue_path()
    try:
        text = where.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{where}: cannot be read ({exc.strerror})") from None
    try:
        return parse(text)
    except CatalogueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None


_applied: dict[Path, Catalogue] = {}


def applied() -> Catalogue:
    """The catalogue the servers apply, read once per process (restart to apply a change)."""
    path = catalogue_path()
    found = _applied.get(path)
    if found is None:
        found = _applied[path] = load(path)
    return found


# -- writing -------------------------------------------------------------------------------


def _string(value: str) -> str:
    # a JSON string with every character kept is a TOML basic string
    return json.dumps(value, ensure_ascii=False)


def dump(catalogue: Catalogue) -> str:
    """The catalogue as TOML, in the one form the file is kept in."""
    out = [HEADER.rstrip("\n")]
    for m in catalogue.measures:
        trigger = f"colour = {_string(m.colour)}"
        if m.list_name is not None:
            trigger += f", list = {_string(m.list_name)}"
        out += [
            "",
            "[[measure]]",
            f"code = {_string(m.code)}",
            f"trigger = {{ {trigger} }}",
            f"body = {_string(m.body)}",
            f"action = {_string(m.action)}",
            f"legal_basis = {_string(m.legal_basis)}",
            f"from = {m.valid_from.isoformat()}",
        ]
        if m.valid_until is not None:
            out.append(f"until = {m.valid_until.isoformat()}")
        out.append(f"notify_lenders = {'true' if m.notify_lenders else 'false'}")
    return "\n".join(out) + "\n"


def replace_file(path: Path, catalogue: Catalogue) -> None:
    """Write `catalogue` over `path` whole or not at all (a rename replaces the file)."""
    text = dump(catalogue)
    if parse(text) != catalogue:  # what is written must read back as what was meant
        raise CatalogueError("the catalogue would not read back as written")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CatalogueError(f"{path}: cannot be written ({exc.strerror})") from None


def add(path: Path, measure: Measure) -> Measure:
    """Add `measure` to the catalogue at `path`; a refusal writes nothing."""
    current = load(path)
    if current.find(measure.code) is not None:
        raise CatalogueError(
            f"measure {measure.code} is already in the catalogue; end it and add it under a new "
            "code to change it"
        )
    # every field checked as the file's reader checks it
    fresh = measure_from(len(current.measures) + 1, _table(measure))
    replace_file(path, checked((*current.measures, fresh)))
    return fresh


def end(path: Path, code: str, on: date) -> Measure:
    """End a measure: from `on` it no longer applies. Refused if it is unknown or ended before."""
    current = load(path)
    found = current.find(code)
    if found is None:
        raise CatalogueError(f"there is no measure {code} in the catalogue")
    if found.valid_until is not None and found.valid_until <= on:
        raise CatalogueError(f"measure {code} already ends on {found.valid_until}")
    if on <= found.valid_from:
        raise CatalogueError(
            f"measure {code} starts on {found.valid_from}; end it from a later day (a measure "
            "that never applied stays as declared)"
        )
    ended = replace(found, valid_until=on)
    replace_file(path, checked(ended if m.code == code else m for m in current.measures))
    return ended


def _table(measure: Measure) -> dict[str, Any]:
    trigger: dict[str, Any] = {"colour": measure.colour}
    if measure.list_name is not None:
        trigger["list"] = measure.list_name
    table: dict[str, Any] = {
        "code": measure.code,
        "trigger": trigger,
        "body": measure.body,
        "action": measure.action,
        "legal_basis": measure.legal_basis,
        "from": measure.valid_from,
        "notify_lenders": measure.notify_lenders,
    }
    if measure.valid_until is not None:
        table["until"] = measure.valid_until
    return table


# -- the document --------------------------------------------------------------------------


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def render_markdown(catalogue: Catalogue) -> str:
    """docs/measures.md: the catalogue as a person reads it, from the file the servers apply."""
    lines = [
        "<!-- Generated from graphql/measures.toml: do not edit by hand. After changing the "
        "catalogue run `creditgraph measures doc --out docs/measures.md`; a test fails while "
        "the two differ. -->",
        "",
        "# Joint measures",
        "",
        "What a red or black list entry triggers while it is in force (守信联合激励, "
        "失信联合惩戒): rewards for a red-listed subject, punishments for a black-listed one, "
        "each applied by its body on its legal basis. An entry is in force from the day after "
        "its public notice period (7 working days) ends, unless the subject objected in it: "
        "an objection holds it until the listing body answers, and an upheld one means it never "
        "takes effect. It stops being in force when it exits (by expiry, or by credit repair "
        "the listing body approves). Each entry in force shows, as `measures`, the measures "
        "below that apply that day.",
        "",
        "Measures marked *notice* are applied by lenders: when an entry comes into force, every "
        "institution that subscribes to notices and has an account open with the subject that "
        "day receives a notice naming them and their legal basis (`measureNotices`), and the "
        "same institutions are notified again when the entry ends by credit repair.",
        "",
        "| code | kind | trigger | body | what it does | legal basis | from | until | notice |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in catalogue.measures:
        trigger = f"{m.colour}: {m.list_name}" if m.list_name else f"any {m.colour} list"
        lines.append(
            f"| `{m.code}` | {m.kind} | {_cell(trigger)} | {_cell(m.body)} | {_cell(m.action)} "
            f"| {_cell(m.legal_basis)} | {m.valid_from} | {m.valid_until or ''} "
            f"| {'notice' if m.notify_lenders else ''} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown(load()))
