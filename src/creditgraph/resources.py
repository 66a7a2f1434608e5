"""Where the files that ship beside the code live.

`migrations/` sits at the top of the repository (it is a public contract) and
is copied into the wheel as `creditgraph/_migrations`. An installed package
finds the copy; an editable install or a source checkout finds the original.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(packaged: str, top_level: str) -> Path:
    inside = _PACKAGE / packaged
    if inside.is_dir():
        return inside
    return _PACKAGE.parent.parent / top_level


def migrations_root() -> Path:
    return _shipped("_migrations", "migrations")
