"""The federation gateway: a Federation v2 supergraph served over in-process or HTTP subgraphs."""

from creditgraph.gateway.engine import Gateway
from creditgraph.gateway.supergraph import Supergraph

__all__ = ["Gateway", "Supergraph"]
