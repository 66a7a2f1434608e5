"""Hot reload: a running server takes a new configuration, supergraph and policy without a
restart and without dropping a request.

What the server serves is built whole from one reading of the configuration (a
`Generation`: the app, its gateway, its policy, its token check, its manifests). The server
runs a `Swappable` app in front of it: each request is handed to the newest generation as it
arrives and keeps that generation to its end, so a reload never changes anything under a
request in flight; an old generation is closed (its subgraph connections, its JWKS refresh)
once its last request is answered.

`Reloader` builds the next generation on `SIGHUP`, or when a watched file changes (`serve
--watch`). Anything wrong in the new files (a configuration mistake, a supergraph or policy
that does not load, a manifest document that would be refused) refuses the reload with one
log line and leaves the running generation serving. Some settings are held by the process
itself (where it listens, the database and its pool, its home, where traces go): a reload
that changes one says, in one line, that it takes effect at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from creditgraph.config import options as o
from creditgraph.config.schema import Option
from creditgraph.errors import CreditgraphError
from creditgraph.settings import Settings

_log = logging.getLogger("creditgraph.reload")

#: How often `serve --watch` looks at the files it watches, in seconds.
WATCH_SECONDS = 1.0

#: Settings the process holds from its start: a reload cannot change them.
RESTART_ONLY: tuple[Option[Any], ...] = (
    o.HOST,
    o.PORT,
    o.HOME,
    o.DATABASE_URL,
    o.STATEMENT_TIMEOUT,
    o.LOCK_TIMEOUT,
    o.ACQUIRE_TIMEOUT,
    o.OTLP_ENDPOINT,
    o.SERVICE_NAME,
)


@dataclass(eq=False)
class Generation:
    """One build of what the server serves, from one reading of the configuration."""

    settings: Settings
    app: ASGIApp
    close: Callable[[], Awaitable[None]]
    """Releases what this generation holds (subgraph connections, a JWKS refresh)."""
    watched: tuple[Path, ...] = ()
    """The files it was built from, for `--watch`."""
    in_flight: int = field(default=0, init=False)
    retired: bool = field(default=False, init=False)
    closed: bool = field(default=False, init=False)

    async def close_once(self) -> None:
        if not self.closed:
            self.closed = True
            await self.close()


class Swappable:
    """The ASGI app a server runs: each request goes to the current generation, and keeps it."""

    def __init__(self, first: Generation) -> None:
        self.current = first
        self._retired: set[Generation] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        generation = self.current
        generation.in_flight += 1
        try:
            await generation.app(scope, receive, send)
        finally:
            generation.in_flight -= 1
            if generation.retired and generation.in_flight == 0:
                self._retired.discard(generation)
                await generation.close_once()

    async def swap(self, new: Generation) -> None:
        """Serve `new` from the next request on; the old one closes once it is idle."""
        old, self.current = self.current, new
        old.retired = True
        if old.in_flight == 0:
            await old.close_once()
        else:
            self._retired.add(old)

    async def aclose(self) -> None:
        """At shutdown: close every generation still open."""
        for generation in [*self._retired, self.current]:
            await generation.close_once()
        self._retired.clear()


Build = Callable[[Settings], Awaitable[Generation]]


class Reloader:
    """Builds and swaps in the next generation when asked (`SIGHUP`) or when a watched file
    changes; one reload at a time, and a request made during one is served after it."""

    def __init__(self, front: Swappable, build: Build, load: Callable[[], Settings]) -> None:
        self._front = front
        self._build = build
        self._load = load
        self._wanted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reloading = asyncio.Lock()

    def request(self) -> None:
        """Ask for a reload (a signal handler: returns at once)."""
        self._wanted.set()
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._reload_while_wanted())

    async def _reload_while_wanted(self) -> None:
        while self._wanted.is_set():
            self._wanted.clear()
            await self.reload()

    async def reload(self) -> bool:
        """Build the next generation and serve it; False (and the old one kept) if it fails."""
        async with self._reloading:
            return await self._reload()

    async def _reload(self) -> bool:
        started = time.perf_counter()
        try:
            settings = self._load()
            generation = await self._build(settings)
        except CreditgraphError as exc:
            _refused(str(exc))
            return False
        except Exception as exc:  # a file no loader anticipated: refuse, never die
            _refused(f"{type(exc).__name__}: {exc}")
            return False
        self._note_restart_only(self._front.current.settings, settings)
        await self._front.swap(generation)
        _log.info(
            "reloaded the configuration, the supergraph and the policy in %.2f s",
            time.perf_counter() - started,
        )
        return True

    @staticmethod
    def _note_restart_only(old: Settings, new: Settings) -> None:
        changed = [
            option.env or option.name
            for option in RESTART_ONLY
            if old.config[option] != new.config[option]
        ]
        if changed:
            _log.warning(
                "changed settings that take effect at the next start only: %s", ", ".join(changed)
            )

    async def watch(self, every: float = WATCH_SECONDS) -> None:
        """Reload whenever a file the current generation was built from changes (forever)."""
        seen = _signature(self._front.current.watched)
        while True:
            await asyncio.sleep(every)
            now = _signature(self._front.current.watched)
            if now == seen:
                continue
            reloaded = await self.reload()
            # a good reload watches its own files (a new policy path); a refused one waits
            # for the next change of the files as they are now
            seen = _signature(self._front.current.watched) if reloaded else now


def _refused(reason: str) -> None:
    one_line = "; ".join(line.strip() for line in reason.splitlines() if line.strip())
    _log.error("reload refused, still serving the configuration loaded before: %s", one_line)


def _signature(paths: tuple[Path, ...]) -> tuple[tuple[int, int] | None, ...]:
    """What changes when a file is written, replaced or removed."""
    marks: list[tuple[int, int] | None] = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            marks.append(None)
        else:
            marks.append((stat.st_mtime_ns, stat.st_size))
    return tuple(marks)
