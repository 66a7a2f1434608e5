"""The machinery of the configuration file: option kinds, sections, loading and checking.

Every setting of creditgraph is declared once (config/options.py) as an `Option`: its
section and name in the TOML file, its kind (which says how a file value and an
environment value are read and what range is allowed), its default, its environment
variable, the command-line flag that may override it, and the sentence that documents it.
Loading reads the defaults, then the file, then the environment, then the flags, each
overriding the one before; every mistake found on the way (an unknown key, a value of the
wrong type, a value out of range, two settings that contradict each other) is collected,
and all of them are reported together, one line each, so an operator fixes a file in one
pass instead of one restart per mistake. The README's configuration section is rendered
from the same declarations (config/docs.py), so the documentation cannot drift from what
is checked.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from creditgraph.errors import ConfigurationError

T = TypeVar("T")

#: The environment variable naming the configuration file (`--config PATH` overrides it).
CONFIG_ENV = "CREDITGRAPH_CONFIG"


class Invalid(ValueError):
    """A value that its kind refuses; the message says what was expected."""


class Kind(Generic[T]):
    """How one option's value is read from the file and from the environment.

    `read` takes what tomllib produced, `parse` the text of an environment variable or a
    flag; both raise `Invalid` with what was expected. `describe` is the kind as the
    documentation shows it, `show` a value as it would be written in the file.
    """

    def read(self, value: object) -> T:
        raise NotImplementedError

    def parse(self, text: str) -> T:
        return self.read(text)

    def describe(self) -> str:
        raise NotImplementedError

    def show(self, value: T) -> str:
        if isinstance(value, str):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def _type_name(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names.update({list: "an array", dict: "a table"})
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True, slots=True)
class Text(Kind[str]):
    """A string, exactly as given: surrounding whitespace is refused, not stripped, since
    a value compared with a token's claim would otherwise never match, with no clue why."""

    def read(self, value: object) -> str:
        if not isinstance(value, str):
            raise Invalid(f"must be a string, got {_type_name(value)}")
        if value != value.strip():
            raise Invalid("has leading or trailing whitespace")
        if not value:
            raise Invalid("must not be empty")
        return value

    def describe(self) -> str:
        return "string"


@dataclass(frozen=True, slots=True)
class Integer(Kind[int]):
    """A whole number from `minimum` to `maximum`."""

    minimum: int | None = None
    maximum: int | None = None

    def read(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number, got {_type_name(value)}")
        return self._in_range(value)

    def parse(self, text: str) -> int:
        try:
            return self._in_range(int(text.strip()))
        except ValueError:
            raise Invalid(f"must be a whole number, got {text!r}") from None

    def _in_range(self, value: int) -> int:
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise Invalid(f"must be {self._range()}, got {value}")
        return value

    def _range(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum}"
        if self.minimum is None:
            return f"at most {self.maximum}"
        return f"from {self.minimum} to {self.maximum}"

    def describe(self) -> str:
        bounds = "" if self.minimum is None and self.maximum is None else f", {self._range()}"
        return f"integer{bounds}"


@dataclass(frozen=True, slots=True)
class Number(Kind[float]):
    """A finite number above `above` (exclusive) and at most `at_most`; integers welcome."""

    above: float | None = None
    at_most: float | None = None
    unit: str = ""

    def read(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"must be a number{self._unit()}, got {_type_name(value)}")
        return self._in_range(float(value))

    def parse(self, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            raise Invalid(f"must be a number{self._unit()}, got {text!r}") from None
        return self._in_range(number)

    def _unit(self) -> str:
        return f" of {self.unit}" if self.unit else ""

    def _in_range(self, value: float) -> float:
        low_ok = self.above is None or value > self.above
        high_ok = self.at_most is None or value <= self.at_most
        if not (math.isfinite(value) and low_ok and high_ok):
            raise Invalid(f"must be {self._range()}, got {value:g}")
        return value

    def _range(self) -> str:
        parts = []
        if self.above is not None:
            parts.append(f"more than {self.above:g}")
        if self.at_most is not None:
            parts.append(f"at most {self.at_most:g}")
        return " and ".join(parts) or "a finite number"

    def describe(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"number{unit}, {self._range()}"

    def show(self, value: float) -> str:
        return f"{value:g}"


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Flag(Kind[bool]):
    """true or false; in the environment also 1/0, yes/no, on/off."""

    def read(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"must be true or false, got {_type_name(value)}")
        return value

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise Invalid(f"must be true or false, got {text!r}")

    def describe(self) -> str:
        return "boolean"


@dataclass(frozen=True, slots=True)
class Choice(Kind[str]):
    """One of a fixed set of words."""

    values: tuple[str, ...]

    def read(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.values:
            shown = repr(value) if isinstance(value, str) else _type_name(value)
            raise Invalid(f"must be one of {', '.join(self.values)}, got {shown}")
        return value

    def parse(self, text: str) -> str:
        return self.read(text.strip())

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{v}`" for v in self.values)


@dataclass(frozen=True, slots=True)
class FilePath(Kind[Path | None]):
    """A file or directory path; `~` is expanded and a relative path is taken from the
    directory the command runs in. Unset means the option's documented fallback."""

    def read(self, value: object) -> Path | None:
        if not isinstance(value, str):
            raise Invalid(f"must be a path (a string), got {_type_name(value)}")
        text = value.strip()
        return Path(text).expanduser().absolute() if text else None

    def describe(self) -> str:
        return "path"

    def show(self, value: Path | None) -> str:
        return "unset" if value is None else f'"{value}"'


@dataclass(frozen=True, slots=True)
class PathList(Kind[tuple[Path, ...]]):
    """An array of paths, each taken as `FilePath` takes one; in the environment,
    comma-separated."""

    def read(self, value: object) -> tuple[Path, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise Invalid(f"must be an array of paths (strings), got {_type_name(value)}")
        paths = []
        for item in value:
            if not item.strip():
                raise Invalid("must hold no empty path")
            paths.append(Path(item.strip()).expanduser().absolute())
        return tuple(paths)

    def parse(self, text: str) -> tuple[Path, ...]:
        return self.read([part for part in text.split(",") if part.strip()])

    def describe(self) -> str:
        return "array of paths"

    def show(self, value: tuple[Path, ...]) -> str:
        return "[" + ", ".join(f'"{path}"' for path in value) + "]"


@dataclass(frozen=True, slots=True)
class TextList(Kind[tuple[str, ...]]):
    """An array of strings; in the environment, comma-separated."""

    def read(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise Invalid(f"must be an array of strings, got {_type_name(value)}")
        items = []
        for item in value:
            if not isinstance(item, str) or not item or item != item.strip():
                raise Invalid(f"must hold non-empty strings, no spaces around, got {item!r}")
            items.append(item)
        return tuple(items)

    def parse(self, text: str) -> tuple[str, ...]:
        return self.read([part.strip() for part in text.split(",") if part.strip()])

    def describe(self) -> str:
        return "array of strings"

    def show(self, value: tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"


@dataclass(frozen=True, slots=True)
class Optional(Kind[T | None]):
    """`inner`, or unset: absent, or an empty string in the environment."""

    inner: Kind[T]

    def read(self, value: object) -> T | None:
        return self.inner.read(value)

    def parse(self, text: str) -> T | None:
        return None if not text.strip() else self.inner.parse(text)

    def describe(self) -> str:
        return self.inner.describe()

    def show(self, value: T | None) -> str:
        return "unset" if value is None else self.inner.show(value)


@dataclass(frozen=True, slots=True, eq=False)
class Option(Generic[T]):
    """One setting: where it lives in the file, how it is read, and what it means.

    `env` is the environment variable that overrides the file (none for options of a
    per-name section: their names are only known from the file); `flag` names the
    command-line option that overrides both, for the documentation (the command passes
    the value it was given to `load`). An option is compared by identity: it is its own
    key in the loaded `Config`.
    """

    name: str
    kind: Kind[T]
    default: T
    doc: str
    env: str | None = None
    flag: str | None = None


Check = Callable[["Values"], Iterable[str]]
"""A rule across a section's options (two that contradict each other): the mistakes it
finds, each one line naming the options concerned."""


@dataclass(frozen=True, slots=True)
class Section:
    """A table of the file: `[name]`, or with `per_name`, `[name.<any name>]` tables that
    each hold the section's options (a subgraph's timeout, a role's rate).

    `names`, when given, are the only names a per-name section accepts.
    """

    name: str
    doc: str
    options: tuple[Option[Any], ...]
    checks: tuple[Check, ...] = ()
    per_name: bool = False
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.per_name and any(option.env for option in self.options):
            raise ValueError(f"[{self.name}.*] options cannot have environment variables")

    def key(self, option: Option[Any], name: str | None = None) -> str:
        """The option's dotted key as the file spells it."""
        middle = f".{name}" if name is not None else (".<name>" if self.per_name else "")
        return f"{self.name}{middle}.{option.name}"


class Values:
    """The options of one section (or one name of a per-name section), typed by option."""

    def __init__(
        self, section: Section, values: Mapping[Option[Any], object], name: str | None
    ) -> None:
        self.section = section
        self.name = name
        self._values = dict(values)

    def __getitem__(self, option: Option[T]) -> T:
        if option not in self._values:
            raise KeyError(f"{option.name} is not an option of [{self.section.name}]")
        return cast(T, self._values[option])

    def __contains__(self, option: Option[Any]) -> bool:
        return option in self._values

    def key(self, option: Option[Any]) -> str:
        """The option's dotted key, for a message about it."""
        return self.section.key(option, self.name)


@dataclass(frozen=True, slots=True)
class Config:
    """The settings in force: every option of every section, with where each came from."""

    sections: Mapping[str, Values]
    named: Mapping[str, Mapping[str, Values]]
    sources: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    def __getitem__(self, option: Option[T]) -> T:
        for values in self.sections.values():
            if option in values:
                return values[option]
        raise KeyError(f"{option.name} is not an option of a flat section")

    def section(self, name: str) -> Values:
        return self.sections[name]

    def names(self, section: str) -> Mapping[str, Values]:
        """The names a per-name section's file gives (`[subgraphs.bureau]`…), each with its
        options; an empty mapping when the file gives none."""
        return self.named[section]


class Schema:
    """All the sections, in the order the documentation shows them."""

    def __init__(self, sections: Sequence[Section]) -> None:
        self.sections = tuple(sections)
        seen_env: set[str] = set()
        for section in self.sections:
            for option in section.options:
                if option.env is not None:
                    if option.env in seen_env:
                        raise ValueError(f"{option.env} is declared twice")
                    seen_env.add(option.env)
        self._by_path = {tuple(section.name.split(".")): section for section in self.sections}

    def load(
        self,
        path: Path | None = None,
        env: Mapping[str, str] | None = None,
        flags: Mapping[Option[Any], object] | None = None,
    ) -> Config:
        """The settings from the defaults, the file, the environment and the flags, in that
        order of precedence (each overrides the ones before).

        `path` defaults to `$CREDITGRAPH_CONFIG`; no path means no file. `flags` are the
        values the command line was given (an option it was not given is absent).

        Raises ConfigurationError listing every mistake, one line each.
        """
        env = os.environ if env is None else env
        if path is None and env.get(CONFIG_ENV, "").strip():
            path = Path(env[CONFIG_ENV].strip()).expanduser()
        loader = _Loader(self, env, dict(flags or {}))
        document = loader.read_file(path) if path is not None else {}
        return loader.finish(document, path)

    def from_document(
        self, document: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> Config:
        """The settings a parsed file holds (over `env`, none by default): for a program that
        builds its configuration itself, as the tests do. Raises as `load` does."""
        loader = _Loader(self, {} if env is None else env, {})
        return loader.finish(dict(document), None)

    def defaults(self) -> Config:
        """Every option at its default: what an empty file and an empty environment give."""
        return self.load(None, {}, {})

    def children(self, path: tuple[str, ...]) -> set[str]:
        """The next words of the declared section paths below `path`."""
        depth = len(path)
        return {p[depth] for p in self._by_path if len(p) > depth and p[:depth] == path}

    def section_at(self, path: tuple[str, ...]) -> Section | None:
        return self._by_path.get(path)


class _Loader:
    """One load: the values found so far, and every mistake met on the way."""

    def __init__(
        self, schema: Schema, env: Mapping[str, str], flags: dict[Option[Any], object]
    ) -> None:
        self.schema = schema
        self.env = env
        self.flags = flags
        self.problems: list[str] = []
        self.sources: dict[str, str] = {}
        self.where = "the configuration"

    def read_file(self, path: Path) -> dict[str, Any]:
        self.where = str(path)
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except OSError as exc:
            self.problems.append(f"cannot read the configuration file {path}: {exc.strerror}")
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(f"{path}: not valid TOML: {exc}")
        return {}

    def finish(self, document: dict[str, Any], path: Path | None) -> Config:
        config = self.build(document, path)
        if self.problems:
            raise ConfigurationError("\n".join(self.problems))
        return config

    def build(self, document: dict[str, Any], path: Path | None) -> Config:
        found: dict[tuple[str, str | None], dict[Option[Any], object]] = {}
        self._walk(document, (), found)
        sections: dict[str, Values] = {}
        named: dict[str, dict[str, Values]] = {}
        for section in self.schema.sections:
            if section.per_name:
                named[section.name] = {}
                for (section_name, name), given in found.items():
                    if section_name == section.name and name is not None:
                        values = self._settle(section, given, name)
                        named[section.name][name] = values
                continue
            sections[section.name] = self._settle(section, found.get((section.name, None), {}))
        return Config(sections, named, self.sources, path)

    def _walk(
        self,
        table: dict[str, Any],
        path: tuple[str, ...],
        found: dict[tuple[str, str | None], dict[Option[Any], object]],
    ) -> None:
        section = self.schema.section_at(path)
        if section is not None and section.per_name:
            for name, inner in table.items():
                if section.names is not None and name not in section.names:
                    self._unknown(".".join((*path, name)), section.names, "name")
                elif not isinstance(inner, dict):
                    self.problems.append(
                        f"{self.where}: [{section.name}.{name}] must be a table of options, "
                        f"got {_type_name(inner)}"
                    )
                else:
                    found[(section.name, name)] = self._options(section, inner, name)
            return
        options = {option.name: option for option in section.options} if section else {}
        children = self.schema.children(path)
        given: dict[str, Any] = {}
        for key, value in table.items():
            if key in options:
                given[key] = value
            elif key in children and isinstance(value, dict):
                self._walk(value, (*path, key), found)
            else:
                dotted = ".".join((*path, key))
                self._unknown(dotted, [*options, *children], "key")
        if section is not None:
            found[(section.name, None)] = self._options(section, given, None)

    def _unknown(self, dotted: str, known: Iterable[str], what: str) -> None:
        last = dotted.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(last, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        self.problems.append(f"{self.where}: unknown {what} {dotted!r}{hint}")

    def _options(
        self, section: Section, table: Mapping[str, Any], name: str | None
    ) -> dict[Option[Any], object]:
        by_name = {option.name: option for option in section.options}
        values: dict[Option[Any], object] = {}
        for key, raw in table.items():
            option = by_name.get(key)
            if option is None:
                self._unknown(section.key(Option(key, Text(), "", ""), name), by_name, "key")
                continue
            try:
                values[option] = option.kind.read(raw)
            except Invalid as exc:
                self.problems.append(f"{self.where}: {section.key(option, name)} {exc}")
                continue
            self.sources[section.key(option, name)] = "file"
        return values

    def _settle(
        self, section: Section, given: dict[Option[Any], object], name: str | None = None
    ) -> Values:
        """The section's values: file values, then the environment's and the flags' over them,
        the defaults where none is given; then the section's own rules."""
        values: dict[Option[Any], object] = {}
        for option in section.options:
            key = section.key(option, name)
            value = given.get(option, option.default)
            text = None if option.env is None else self.env.get(option.env)
            if text is not None and (text.strip() or isinstance(option.kind, Optional)):
                try:
                    value = option.kind.parse(text)
                    self.sources[key] = f"env {option.env}"
                except Invalid as exc:
                    self.problems.append(f"{option.env} {exc}")
            if option in self.flags:
                value = self.flags[option]
                self.sources[key] = f"flag {option.flag}" if option.flag else "command line"
            values[option] = value
        settled = Values(section, values, name)
        for check in section.checks:
            self.problems.extend(check(settled))
        return settled
