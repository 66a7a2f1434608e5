"""A bounded least-recently-used cache that counts its hits, for documents and plans.

Bounded because keys come from clients: an unbounded cache is a memory leak
any client can drive.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache must hold at least one entry")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return found

    def __contains__(self, key: object) -> bool:
        """Whether the key is held, counting neither a hit nor a miss."""
        return key in self._entries

    def pop(self, key: K) -> V | None:
        """Take the key's value out, counting neither a hit nor a miss."""
        return self._entries.pop(key, None)

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
