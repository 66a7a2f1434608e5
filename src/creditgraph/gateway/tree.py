"""Places in a response tree, and the objects found at them.

An entity fetch finds the objects at its path in the merged answers, and the
policy finds the records below a record it walked; both flatten nested lists,
and both must say where each object sits (an error's path). A place is kept as
a chain of (parent, step) pairs: one pair per step costs O(1), where a list
copied at every step costs the depth, for every object; only an error needs
the path, and `spelled` writes it out then.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from creditgraph.gateway.errors import Path

Where: TypeAlias = "tuple[Where, str | int] | None"


def spelled(where: Where) -> Path:
    """The response path `where` stands for, root first."""
    steps: Path = []
    while where is not None:
        where, step = where
        steps.append(step)
    steps.reverse()
    return steps


def flatten(value: Any, where: Where, into: list[tuple[Any, Where]]) -> None:
    """Add the non-null items of `value` to `into`, however deep its lists nest, each with
    its place (a list's items one step below it per index)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            flatten(item, (where, index), into)
    elif value is not None:
        into.append((value, where))
