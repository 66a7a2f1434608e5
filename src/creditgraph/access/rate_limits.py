"""The "limit" stage of a request: token buckets per requester, by role.

Right after a request is authenticated, and before anything is authorised, planned or
fetched, the requester takes one token from its bucket: an institution's (a bank's or a
government body's, shared by all its operators), a subject's own, or, for an anonymous
request or one whose token was refused, its client address's (before its body is read: a
malformed request's refusal is recorded, so it is work too). A bucket holds at most `burst`
tokens and refills at `per_second`, both set per role (`[rate_limits.<role>]`). With no
token left the request is refused with `429`, a `Retry-After` saying in how many seconds a
token will be there, and a GraphQL error coded `RATE_LIMITED`, and recorded in the audit
log like any other refusal (gateway/http.py).

`RateLimits.check` is the stage's one seam (gateway/stages/limit.py's `LimitStage`); where
the buckets live is a `BucketStore`: in the process (`ProcessBuckets`, the default: each
replica counts alone, so N replicas behind a load balancer let a requester through at up to
N times the rate), or in PostgreSQL (`PostgresBuckets`, `store = "postgresql"`: every
replica takes from the same row, one statement per request, on the database's clock).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from creditgraph.config import Config
from creditgraph.config import options as o
from creditgraph.db.queries import load_queries
from creditgraph.requester import Requester

SQL = load_queries(Path(__file__).with_name("rate_limits.sql"))
RATE_LIMITED = "RATE_LIMITED"
#: Takes between two sweeps of the buckets that have refilled (and so hold nothing).
_SWEEP_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Rule:
    """A bucket's shape: at most `burst` requests at once, `per_second` sustained."""

    per_second: float
    burst: int

    def wait(self, tokens: float) -> int:
        """Whole seconds until a bucket holding `tokens` (fewer than one) has one again."""
        return max(1, math.ceil((1 - tokens) / self.per_second))


class BucketStore(Protocol):
    """Where the buckets live."""

    async def take(self, key: str, rule: Rule) -> int:
        """Take a token from bucket `key`: 0 when taken, else the seconds until one is there."""
        ...


class ProcessBuckets:
    """Buckets in this process's memory: each replica counts on its own.

    `clock` gives monotonic seconds (a test moves its own instead of waiting)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # key -> (tokens, when counted, when full again): monotonic seconds
        self._buckets: dict[str, tuple[float, float, float]] = {}
        self._takes = 0

    async def take(self, key: str, rule: Rule) -> int:
        now = self._clock()
        self._sweep(now)
        tokens, since, _ = self._buckets.get(key, (float(rule.burst), now, now))
        tokens = min(float(rule.burst), tokens + (now - since) * rule.per_second)
        admitted = tokens >= 1
        left = tokens - 1 if admitted else tokens
        self._buckets[key] = (left, now, now + (rule.burst - left) / rule.per_second)
        return 0 if admitted else rule.wait(left)

    def _sweep(self, now: float) -> None:
        """Forget the buckets that have refilled: a full bucket is the same as none."""
        self._takes += 1
        if self._takes % _SWEEP_EVERY:
            return
        for key in [key for key, (_, _, full) in self._buckets.items() if full <= now]:
            del self._buckets[key]


class PostgresBuckets:
    """Buckets in PostgreSQL (`gateway.rate_buckets`), shared by every replica."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._takes = 0

    async def take(self, key: str, rule: Rule) -> int:
        async with self._pool.acquire() as conn:
            self._takes += 1
            if self._takes % _SWEEP_EVERY == 0:
                await conn.execute(SQL["sweep"])
            row = await conn.fetchrow(SQL["take"], key, float(rule.burst), float(rule.per_second))
        assert row is not None  # an upsert with RETURNING returns its row
        return 0 if row["admitted"] else rule.wait(float(row["tokens"]))


@dataclass(frozen=True, slots=True)
class Limited:
    """A request refused for its rate: when to come back."""

    retry_after: int
    role: str

    def errors(self) -> list[dict[str, Any]]:
        message = f"too many requests from this {self.role}; try again in {self.retry_after} s"
        return [
            {
                "message": message,
                "extensions": {"code": RATE_LIMITED, "retryAfter": self.retry_after},
            }
        ]


#: Whose bucket a request takes from, by the requester's role: the words the messages use.
_WHO = {
    "SUBJECT": "subject",
    "BANK": "institution",
    "GOVERNMENT": "institution",
    "FURNISHER": "institution",
}


class RateLimits:
    """The limit stage: a rule per role, and the store the buckets live in."""

    def __init__(self, rules: Mapping[str, Rule], store: BucketStore) -> None:
        self.rules = dict(rules)
        self.store = store

    @classmethod
    def from_config(cls, config: Config, pool: asyncpg.Pool) -> RateLimits | None:
        """The limits `[rate_limits]` declares; None when switched off."""
        if not config[o.RATE_LIMITS_ENABLED]:
            return None
        rules = {
            role: Rule(config[per_second], config[burst])
            for role, (per_second, burst) in o.RATE_LIMIT_RULES.items()
        }
        if config[o.RATE_LIMITS_STORE] == "postgresql":
            return cls(rules, PostgresBuckets(pool))
        return cls(rules, ProcessBuckets())

    async def check(self, requester: Requester | None, client: str | None) -> Limited | None:
        """None when the request may go on; else why not and for how long.

        An institution's operators share its bucket; a subject has its own; an anonymous
        request takes from its client address's (the load balancer's, behind one that does
        not keep the client's address: see the README)."""
        if requester is None:
            role, key, who = "anonymous", f"anonymous:{client or 'unknown'}", "client address"
        else:
            role = requester.role.lower()
            key, who = f"{role}:{requester.identifier}", _WHO.get(requester.role, role)
        wait = await self.store.take(key, self.rules[role])
        return None if wait == 0 else Limited(wait, who)
