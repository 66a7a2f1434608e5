"""Notices from the database, fanned out to the streams that follow them.

Each component's tables announce a change on the PostgreSQL channel `creditgraph_live`
(migrations `*/NNNN_live_notices.sql`) with a JSON payload `{"topic": …, "kind": …}`:
the topic says whose stream it is for (a subject's identifier), the kind what changed
(`inquiry`, `record`). A notice carries nothing else, so nothing in it needs a policy.

Some notices need working out before anyone can be told: a relay (`Relay`) takes the
payloads of its own topic (`measures`: a list entry's course changed) and answers with the
notices due and the topics they are for (an institution's), and its clock finds what the
calendar alone makes due (an entry that came into force today). Relays run while any stream
is open, as the listening connection does.

One process holds one listening connection, taken from the pool when the first stream
opens and given back when the last one closes. Everything is bounded before it starts:
streams per topic and in all (`LiveFull` past either), and each stream's queue, which
keeps at most `QUEUE` notices and drops the newest past that (a notice means "ask the
API again", so a full queue already says all a dropped one would).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Protocol

import asyncpg

CHANNEL: Final = "creditgraph_live"
QUEUE: Final = 8

_log = logging.getLogger("creditgraph.live")


@dataclass(frozen=True, slots=True)
class Notice:
    """What changed for a topic: its kind (`inquiry`, `record`, `measureNotice`) and, for an
    institution's topic, the subject it is about (an institution follows many subjects; it
    asks the API about that one, and sees what its edition allows)."""

    kind: str
    subject: str | None = None


Delivery = tuple[str, Notice]
"""A notice and the topic whose streams receive it."""


class Relay(Protocol):
    """Works out notices that are not a table's to send: from its own topic's payloads, and
    from the calendar, every `interval` seconds while streams are open."""

    topic: str
    interval: float

    async def notified(self, payload: Mapping[str, object]) -> Sequence[Delivery]: ...

    async def tick(self) -> Sequence[Delivery]: ...


# The end of a stream: the listening connection was lost (the client reconnects).
CLOSED: Final = Notice("closed")


class LiveFull(Exception):
    """No room for another stream: for this topic, or in all."""


class LiveHub:
    """The process's streams, by topic, fed from the database's notices."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        per_topic: int = 4,
        total: int = 500,
        relays: Sequence[Relay] = (),
    ) -> None:
        self._pool = pool
        self._per_topic = per_topic
        self._total = total
        self._topics: dict[str, set[asyncio.Queue[Notice]]] = {}
        self._listener: Any = None  # a pool connection while any stream is open
        self._lock = asyncio.Lock()
        self._relays = {relay.topic: relay for relay in relays}
        # the relays' clocks and the payloads they are working out, while streams are open
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def streams(self) -> int:
        return sum(len(queues) for queues in self._topics.values())

    @asynccontextmanager
    async def follow(self, topic: str) -> AsyncIterator[asyncio.Queue[Notice]]:
        """A queue of `topic`'s notices while the block runs; LiveFull when there is no room."""
        queue: asyncio.Queue[Notice] = asyncio.Queue(QUEUE)
        async with self._lock:
            if self.streams >= self._total or len(self._topics.get(topic, ())) >= self._per_topic:
                raise LiveFull(topic)
            if self._listener is None:
                await self._listen()
            self._topics.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            async with self._lock:
                queues = self._topics.get(topic, set())
                queues.discard(queue)
                if not queues:
                    self._topics.pop(topic, None)
                if not self._topics:
                    await self._unlisten()

    async def _listen(self) -> None:
        connection = await self._pool.acquire()
        try:
            await connection.add_listener(CHANNEL, self._notified)
        except BaseException:
            await self._pool.release(connection)
            raise
        connection.add_termination_listener(self._lost)
        self._listener = connection
        for relay in self._relays.values():
            self._spawn(self._clock(relay))

    async def _unlisten(self) -> None:
        connection, self._listener = self._listener, None
        for task in list(self._tasks):
            task.cancel()
        if connection is None:
            return
        connection.remove_termination_listener(self._lost)
        try:
            if not connection.is_closed():
                await connection.remove_listener(CHANNEL, self._notified)
        finally:
            await self._pool.release(connection)

    def _notified(self, connection: object, pid: int, channel: str, payload: object) -> None:
        try:
            found = json.loads(str(payload))
            topic, kind = str(found["topic"]), str(found["kind"])
        except (ValueError, KeyError, TypeError):
            _log.warning("a live notice that is not {topic, kind} was ignored")
            return
        relay = self._relays.get(topic)
        if relay is not None:
            self._spawn(self._relayed(relay.notified(found)))
            return
        self._deliver(self._topics.get(topic, ()), Notice(kind))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relayed(self, work: Any) -> None:
        """Deliver what a relay worked out; a relay that fails tells no one and is logged
        (a notice means "ask again": the next one, or the client's own asking, catches up)."""
        try:
            deliveries: Sequence[Delivery] = await work
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
            _log.warning("a live relay could not work out its notices: %s", type(exc).__name__)
            return
        for topic, notice in deliveries:
            self._deliver(self._topics.get(topic, ()), notice)

    async def _clock(self, relay: Relay) -> None:
        while True:
            await asyncio.sleep(relay.interval)
            await self._relayed(relay.tick())

    def _lost(self, connection: object) -> None:
        """The listening connection died: every stream ends, and its client reconnects."""
        self._listener = None
        self._deliver([queue for queues in self._topics.values() for queue in queues], CLOSED)

    @staticmethod
    def _deliver(queues: Any, notice: Notice) -> None:
        for queue in list(queues):
            # a full queue already holds notices saying "ask again"
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(notice)
