"""The query planner in parts: traversal, fetch graph, requirements, documents.

`Planner.plan` walks an operation (traversal.py), growing a graph of fetches
(fetch_graph.py) and asking, at each entity jump, for the key and `@requires`
fields it needs (requirements.py); the result is printed and frozen into a
`Plan` (documents.py, gateway/plan.py) that the executor only reads.
"""

from creditgraph.gateway.planning.positions import PlanningError
from creditgraph.gateway.planning.traversal import Planner

__all__ = ["Planner", "PlanningError"]
