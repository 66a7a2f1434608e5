"""Each subgraph's SDL as `_service { sdl }` returns it, and its committed copy.

The files under graphql/subgraphs/ are what composition (ours and the
standard tooling's) reads, so they must be exactly what the running
subgraphs serve; `creditgraph sdl` rewrites them and a test fails on drift.
"""

from __future__ import annotations

from pathlib import Path

from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema


def subgraph_sdl(name: str) -> str:
    return subgraph_schema(name).as_str().rstrip("\n") + "\n"


def sdl_file(directory: Path, name: str) -> Path:
    return directory / f"{name}.graphql"


def write_sdl(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SUBGRAPH_NAMES:
        path = sdl_file(directory, name)
        path.write_text(subgraph_sdl(name), encoding="utf-8")
        written.append(path)
    return written
