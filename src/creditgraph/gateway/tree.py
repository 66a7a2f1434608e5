"""Places in a response tree, and the objects found at them.

An entity fetch finds the objects at its path in the merged answers, and the
policy finds the records below a record it walked; both flatten nested lists,
and both must say where each object sits (an error's path). A place is kept as
a chain of (parent, step) pairs: one pair per step costs O(1), where a list
copied at every step costs the depth, for every object; only an error needs
the path, and `spelled` writes it out then.

A response tree is a tree: no object sits at two places in it. The policy walks a
record's part in place, taking out what its view denies and cutting off the records
reached below it; an object shared by two places would be walked at the first and
found already cut at the second, which would then show what the first's walk left
without its own errors. Whoever puts one answer at several places puts a copy
(`copied`) at every one after the first.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar

import orjson

from creditgraph.gateway.errors import Path

T = TypeVar("T")

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


def copied(value: T) -> T:
    """A copy of a decoded answer sharing no object with it (JSON values only)."""
    copy: T = orjson.loads(orjson.dumps(value))
    return copy
