"""The committed SDL is what the subgraphs serve, and it composes with standard tooling."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from creditgraph.subgraphs.sdl import sdl_file, subgraph_sdl


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_committed_sdl_matches_the_code(repo_root: Path, name: str) -> None:
    path = sdl_file(repo_root / "graphql" / "subgraphs", name)
    assert path.exists(), f"{path} is missing: run `creditgraph sdl`"
    assert path.read_text(encoding="utf-8") == subgraph_sdl(name), (
        f"{path} has drifted from the {name} subgraph's schema: run `creditgraph sdl`"
    )


def _compose(interop_dir: Path, files: dict[str, Path]) -> dict[str, object]:
    result = subprocess.run(
        ["node", "compose.mjs", *(f"{name}={path}" for name, path in files.items())],
        cwd=interop_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    composed: dict[str, object] = json.loads(result.stdout)
    return composed


def test_the_three_subgraphs_compose(repo_root: Path, interop_dir: Path) -> None:
    files = {name: sdl_file(repo_root / "graphql" / "subgraphs", name) for name in SUBGRAPH_NAMES}
    composed = _compose(interop_dir, files)
    assert composed["errors"] == []
    supergraph = str(composed["supergraphSdl"])
    # the subject is one entity across all three, joined by the identifier
    assert 'join__type(graph: BUREAU, key: "identifier")' in supergraph
    assert 'join__type(graph: PUBLIC, key: "identifier")' in supergraph
    assert 'join__type(graph: SCORES, key: "identifier")' in supergraph
    assert 'requires: "blacklisted"' in supergraph


def test_composition_catches_a_broken_subgraph(
    tmp_path: Path, interop_dir: Path, repo_root: Path
) -> None:
    """The check can fail: a subgraph that requires a field nobody provides does not compose."""
    bureau = sdl_file(repo_root / "graphql" / "subgraphs", "bureau")
    alone = _compose(interop_dir, {"bureau": bureau})
    assert alone["errors"], "bureau's @external blacklisted needs the public subgraph"
