"""The subject's portal at `/portal`: their graph as a picture, their report explained, who
looked, their consents and rights, on the public GraphQL API with their own token.

Every file it loads ships in the package (`vendored/`, `static/`); see routes.py for how a
visitor signs in, in demo mode and in a deployment.
"""

from creditgraph.portal.routes import portal_routes

__all__ = ["portal_routes"]
