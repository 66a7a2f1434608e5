"""What an operator sees of a running server: metrics, readiness and structured logs.

Each concern has its own module: `metrics.py` (the Prometheus registry of one
app), `metered_transport.py` (per-subgraph fetch timings, in front of any
transport), `readiness.py` (what `/readyz` checks), `request_log.py` (the
request id and one log line per request) and `logs.py` (JSON log lines).
"""

from creditgraph.observability.logs import JSONFormatter, log_config
from creditgraph.observability.metered_transport import MeteredTransport
from creditgraph.observability.metrics import Metrics
from creditgraph.observability.readiness import Readiness, Subgraphs
from creditgraph.observability.request_log import RequestLog
from creditgraph.request_id import REQUEST_ID_HEADER

__all__ = [
    "REQUEST_ID_HEADER",
    "JSONFormatter",
    "MeteredTransport",
    "Metrics",
    "Readiness",
    "RequestLog",
    "Subgraphs",
    "log_config",
]
