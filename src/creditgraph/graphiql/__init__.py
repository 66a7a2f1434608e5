"""GraphiQL at `/`, from files shipped in the package: the page works with no internet.

`graphiql_routes(tabs)` gives the routes to add to the gateway's app;
`tabs_from_operations` turns the trusted operations into example tabs.
"""

from creditgraph.graphiql.routes import graphiql_routes
from creditgraph.graphiql.tabs import ExampleTab, OperationPreset, tabs_from_operations

__all__ = ["ExampleTab", "OperationPreset", "graphiql_routes", "tabs_from_operations"]
