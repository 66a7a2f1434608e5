"""What `GET /readyz` checks: the database and every subgraph, all at once, each briefly.

A load balancer sends traffic only to a replica that says it is ready, so
ready means every part a request may need answers: the database (when there
is one) and each subgraph. Subgraphs mounted in this process are reachable by
construction, and are reported as such; a subgraph served apart is asked for
the `healthz` beside its GraphQL URL, and any answer below 500 means it is
there (a creditgraph subgraph answers 200; another server may have no such
route and answer 404, which still shows it up). The checks run concurrently,
each within `timeout` seconds, so a probe never hangs on one dead part. What
is down is said in words an operator reads ("connection refused", "no answer
within 2 s"), never an exception's class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import asyncpg
import httpx

from creditgraph.db.faults import DATABASE_ERRORS, database_fault

OK = "ok"
IN_PROCESS = "ok (in process)"


@dataclass(frozen=True, slots=True)
class Subgraphs:
    """How to tell that each subgraph is reachable: mounted here, or its health URL."""

    mounted: frozenset[str] = frozenset()
    health_urls: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def in_process(cls, names: Iterable[str]) -> Subgraphs:
        return cls(mounted=frozenset(names))

    @classmethod
    def over_http(cls, graphql_urls: Mapping[str, str]) -> Subgraphs:
        """Each subgraph's `healthz`, beside its GraphQL endpoint (`…/graphql` → `…/healthz`)."""
        urls = {name: urljoin(url, "healthz") for name, url in graphql_urls.items()}
        return cls(health_urls=urls)


@dataclass(frozen=True, slots=True)
class Report:
    ready: bool
    body: dict[str, Any]


class Readiness:
    def __init__(
        self, pool: asyncpg.Pool | None, subgraphs: Subgraphs, *, timeout: float = 2.0
    ) -> None:
        self.pool = pool
        self.subgraphs = subgraphs
        self.timeout = timeout

    async def check(self) -> Report:
        """Every part's state (`ok`, or why not), and `down` naming the parts that are not."""
        database, probed = await asyncio.gather(self._database(), self._subgraphs())
        states = dict.fromkeys(self.subgraphs.mounted, IN_PROCESS) | probed
        body: dict[str, Any] = {}
        down = []
        if database is not None:
            body["database"] = database
            if database != OK:
                down.append("database")
        if states:
            body["subgraphs"] = dict(sorted(states.items()))
            down.extend(name for name, state in body["subgraphs"].items() if not _up(state))
        if down:
            return Report(False, {"status": "unavailable", "down": down, **body})
        return Report(True, {"status": "ready", **body})

    async def _database(self) -> str | None:
        """The database's state: the probe stops waiting after `timeout`, but never cancels
        the check, which the pool's own limits bound (a cancelled asyncpg statement leaves
        its connection's release to fail unseen); a late outcome is dropped."""
        if self.pool is None:
            return None
        check = asyncio.ensure_future(self.pool.fetchval("select 1"))
        check.add_done_callback(_drop_outcome)
        done, _ = await asyncio.wait({check}, timeout=self.timeout)
        if not done:
            return f"no answer within {self.timeout:g} s"
        failure = check.exception()
        if failure is None:
            return OK
        if isinstance(failure, DATABASE_ERRORS):
            return database_fault(failure) or "answers with an error"
        raise failure

    async def _subgraphs(self) -> dict[str, str]:
        names = sorted(self.subgraphs.health_urls)
        async with httpx.AsyncClient() as client:
            states = await asyncio.gather(
                *(self._subgraph(client, self.subgraphs.health_urls[name]) for name in names)
            )
        return dict(zip(names, states, strict=True))

    async def _subgraph(self, client: httpx.AsyncClient, url: str) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                response = await client.get(url)
        except (TimeoutError, httpx.TimeoutException):
            return f"no answer within {self.timeout:g} s"
        except httpx.ConnectError:
            return "unreachable"
        except httpx.HTTPError:
            return "no valid HTTP answer"
        if response.status_code >= 500:
            return f"HTTP {response.status_code}"
        return OK


def _drop_outcome(check: asyncio.Future[object]) -> None:
    """Mark a finished check's exception as seen, so asyncio does not log it as lost."""
    if not check.cancelled():
        check.exception()


def _up(state: str) -> bool:
    return state in (OK, IN_PROCESS)
