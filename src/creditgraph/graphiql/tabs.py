"""The example tabs the GraphiQL page opens with.

A tab is one operation with its variables and request headers preset, so a
visitor can run it as the requester it is written for. The query text is
kept byte for byte: the trusted operations are known by the hash of their
file, and an edited copy would no longer be one of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


@dataclass(frozen=True)
class ExampleTab:
    """One tab: a title for people, the query, and variables and headers as JSON text."""

    title: str
    query: str
    variables: str | None = None
    headers: str | None = None

    def __post_init__(self) -> None:
        for field, text in (("variables", self.variables), ("headers", self.headers)):
            if text is None:
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"tab {self.title!r}: {field} is not JSON: {exc}") from None
            if not isinstance(value, dict):
                raise TypeError(f"tab {self.title!r}: {field} must be a JSON object")


class OperationPreset(NamedTuple):
    """What a tab for one operation file starts with: whose token, which variables."""

    token: str | None
    variables: Mapping[str, Any] | None = None


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def tab_for(path: Path, preset: OperationPreset | None) -> ExampleTab:
    """The tab for one `.graphql` file: titled by its name, preset as given."""
    token, variables = preset if preset is not None else OperationPreset(None)
    return ExampleTab(
        title=path.stem.replace("_", " "),
        query=path.read_text(encoding="utf-8"),
        variables=_json(variables) if variables is not None else None,
        headers=_json({"Authorization": f"Bearer {token}"}) if token is not None else None,
    )


def tabs_from_operations(
    directory: Path, presets: Mapping[str, OperationPreset]
) -> list[ExampleTab]:
    """A tab per `.graphql` file: those in `presets` (keyed by file name) first, in its order,
    then the others by name. A preset for a file that is not there is a mistake, refused."""
    files = {path.name: path for path in sorted(directory.glob("*.graphql"))}
    missing = sorted(set(presets) - set(files))
    if missing:
        raise ValueError(f"no operation file {', '.join(missing)} in {directory}")
    ordered = [*presets, *(name for name in files if name not in presets)]
    return [tab_for(files[name], presets.get(name)) for name in ordered]
