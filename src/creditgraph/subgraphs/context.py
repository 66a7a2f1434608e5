"""Per-request state of a subgraph: the database pool and the request's dataloaders.

aiodataloader binds the running event loop when a loader is built, and a
loader caches what it loaded, so loaders must never outlive a request. A
context is made for each request; its loaders are built lazily, one per
batch function, the first time a resolver asks for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import partial
from typing import Any, Generic, TypeAlias, TypeVar

import asyncpg
from aiodataloader import DataLoader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFunction: TypeAlias = Callable[[asyncpg.Pool, list[K]], Awaitable[Sequence[V]]]


class Loader(Generic[K, V]):
    """A typed face on aiodataloader's untyped `DataLoader`."""

    __slots__ = ("_loader",)

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader

    async def load(self, key: K) -> V:
        value: V = await self._loader.load(key)
        return value

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        values: list[V] = await self._loader.load_many(list(keys))
        return values


class SubgraphContext:
    """What every resolver of a subgraph gets as `info.context`."""

    __slots__ = ("_loaders", "pool")

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._loaders: dict[Callable[..., Any], Loader[Any, Any]] = {}

    def loader(self, batch: BatchFunction[K, V]) -> Loader[K, V]:
        found = self._loaders.get(batch)
        if found is None:
            found = Loader(DataLoader(partial(batch, self.pool)))
            self._loaders[batch] = found
        return found
