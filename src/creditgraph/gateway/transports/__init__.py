"""How the gateway reaches a subgraph: one seam, two implementations.

`Transport.send` takes a subgraph's name, a GraphQL document and its
variables and returns the decoded GraphQL response, or raises
`SubgraphUnavailable` when there is no usable answer. The executor neither
knows nor cares whether the subgraph runs in this process or behind HTTP.
"""

from creditgraph.gateway.transports._base import SubgraphUnavailable, Transport
from creditgraph.gateway.transports.http import HTTPTransport
from creditgraph.gateway.transports.in_process import InProcessTransport

__all__ = ["HTTPTransport", "InProcessTransport", "SubgraphUnavailable", "Transport"]
