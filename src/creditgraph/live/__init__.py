"""The live channel: database notices to whoever follows them, as server-sent events.

`LiveHub` (hub.py) listens to PostgreSQL's `creditgraph_live` channel and fans each notice
out to the streams following its topic; `live_routes` (stream.py) serves `GET /live`,
authenticated by the requester's token. The portal follows its subject's topic; a bank or
government body follows its own, where the joint-measure notices due to it arrive
(measures.py).
"""

import asyncpg

from creditgraph.live.hub import CHANNEL, LiveFull, LiveHub, Notice
from creditgraph.live.measures import MeasureNotices
from creditgraph.live.stream import live_routes, requester_topic


def served_hub(pool: asyncpg.Pool) -> LiveHub:
    """The hub `up` and `serve --portal` serve: subjects' notices, and institutions' notices
    of joint measures."""
    return LiveHub(pool, relays=(MeasureNotices(pool),))


__all__ = [
    "CHANNEL",
    "LiveFull",
    "LiveHub",
    "MeasureNotices",
    "Notice",
    "live_routes",
    "requester_topic",
    "served_hub",
]
