"""The packages of creditgraph depend on each other in one direction only.

The oracle reads the source, not the code under test: every `import` and
`from … import` in every module (at the top, inside functions, under
`TYPE_CHECKING` alike, since each is a dependency a reader must follow),
mapped to the package it names (`creditgraph.gateway.executor` is `gateway`;
a module directly under `creditgraph`, such as `requester`, is its own). A
cycle between packages means neither can be read, tested or replaced without
the other; the test names the cycle it finds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "creditgraph"


def _package(module: str) -> str | None:
    """The package a dotted module name belongs to; None outside creditgraph or for the root."""
    parts = module.split(".")
    if parts[0] != "creditgraph" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> Iterator[str]:
    """Every creditgraph module `path` imports, relative imports resolved."""
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    here = list(relative.parts)
    if here[-1] == "__init__":
        here.pop()
    else:
        here = here[:-1]  # the package a module's relative imports start from
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                yield ".".join([*base, *([node.module] if node.module else [])])
            elif node.module is not None:
                yield node.module


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        source = _package(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        if source is None:
            continue
        targets = graph.setdefault(source, set())
        for module in _imports(path):
            target = _package(module)
            if target is not None and target != source:
                targets.add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as the packages along it (the first repeated at the end), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        on_path = [start]
        while stack:
            node, following = stack[-1]
            step = next(following, None)
            if step is None:
                stack.pop()
                on_path.pop()
                done.add(node)
            elif step in on_path:
                return [*on_path[on_path.index(step) :], step]
            elif step not in done:
                stack.append((step, iter(sorted(graph.get(step, ())))))
                on_path.append(step)
    return None


def test_the_oracle_finds_a_cycle_and_names_packages() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) is None
    assert _package("creditgraph.gateway.executor") == "gateway"
    assert _package("creditgraph.requester") == "requester"
    assert _package("graphql") is None


def test_the_packages_import_each_other_without_a_cycle() -> None:
    graph = package_graph()
    # the graph is read from the real tree: the gateway and the policy are in it
    assert {"gateway", "access", "subgraphs", "requester"} <= graph.keys()
    assert "gateway" in graph["access"], "the policy stage builds on the gateway"
    assert find_cycle(graph) is None, f"packages import each other in a cycle: {find_cycle(graph)}"


def test_the_gateway_and_the_subgraphs_share_the_requester_not_the_token_package() -> None:
    graph = package_graph()
    for package in ("gateway", "subgraphs", "live", "observability"):
        assert "access" not in graph[package], f"{package} imports the authorisation package"
        assert "requester" in graph[package]
