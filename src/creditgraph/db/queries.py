"""Named SQL queries, kept in .sql files beside the code that runs them.

A file holds several statements, each introduced by a `-- name: NAME` line;
everything up to the next such line is the statement. Parameters are always
bound ($1, $2 …), never formatted in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str, *, source: str = "<string>") -> Mapping[str, str]:
    names = list(_HEADER.finditer(text))
    if not names:
        raise ValueError(f"{source} has no '-- name:' sections")
    queries: dict[str, str] = {}
    for here, following in zip(names, [*names[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[here.end() : end].strip()
        name = here.group(1)
        if name in queries:
            raise ValueError(f"{source} defines query {name!r} twice")
        if not body:
            raise ValueError(f"{source} query {name!r} is empty")
        queries[name] = body
    return MappingProxyType(queries)


@cache
def load_queries(path: Path) -> Mapping[str, str]:
    return parse_queries(path.read_text(encoding="utf-8"), source=path.name)
