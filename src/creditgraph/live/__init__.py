"""The live channel: database notices to whoever follows them, as server-sent events.

`LiveHub` (hub.py) listens to PostgreSQL's `creditgraph_live` channel and fans each notice
out to the streams following its topic; `live_routes` (stream.py) serves `GET /live`,
authenticated by the requester's token. The portal follows its subject's topic; other
requesters get a topic by passing their own `topic` function.
"""

from creditgraph.live.hub import CHANNEL, LiveFull, LiveHub, Notice
from creditgraph.live.stream import live_routes, subject_topic

__all__ = ["CHANNEL", "LiveFull", "LiveHub", "Notice", "live_routes", "subject_topic"]
