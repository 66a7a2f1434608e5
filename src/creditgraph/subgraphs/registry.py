"""The subgraphs by name, each imported only when asked for."""

from __future__ import annotations

from importlib import import_module

import strawberry

from creditgraph.measures import catalogue

SUBGRAPH_NAMES = ("bureau", "public", "scores", "consent")


def subgraph_schema(name: str) -> strawberry.federation.Schema:
    if name not in SUBGRAPH_NAMES:
        raise KeyError(f"no subgraph named {name!r}; there are {', '.join(SUBGRAPH_NAMES)}")
    schema: strawberry.federation.Schema = import_module(f"creditgraph.{name}.schema").schema
    if name == "public":
        # the public subgraph applies the catalogue of joint measures: a bad one stops it
        # here, at start, with one line, rather than on the first entry in force
        catalogue.applied()
    return schema
