"""Where the files that ship beside the code live.

`migrations/` and `graphql/` sit at the top of the repository (they are
public contracts) and are copied into the wheel as `creditgraph/_migrations`
and `creditgraph/_graphql`. An installed package finds the copies; an
editable install or a source checkout finds the originals. `interop/` (npm
packages for composition and comparison) exists only in a checkout.
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


def graphql_root() -> Path:
    return _shipped("_graphql", "graphql")


def supergraph_path() -> Path:
    """The committed creditgraph supergraph (written by `creditgraph compose`)."""
    return graphql_root() / "supergraph.graphql"


def policy_path() -> Path:
    """The edition policy the gateway enforces on creditgraph's own graph."""
    return graphql_root() / "policy.toml"


def operations_root() -> Path:
    """The trusted operations (`graphql/operations/*.graphql`): one named operation a file."""
    return graphql_root() / "operations"


def interop_root() -> Path | None:
    found = _PACKAGE.parent.parent / "interop"
    return found if (found / "package.json").is_file() else None
