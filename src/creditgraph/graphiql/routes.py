"""The Starlette routes: GraphiQL at `/`, its files at `/graphiql/<name>`."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from creditgraph.graphiql.assets import load_assets
from creditgraph.graphiql.page import page_headers, render_page
from creditgraph.graphiql.tabs import ExampleTab

# Asset URLs carry their content hash (see page.py), so a changed file is a new URL.
_ASSET_CACHE = "public, max-age=31536000, immutable"


def graphiql_routes(tabs: Sequence[ExampleTab]) -> list[BaseRoute]:
    """GraphiQL opening with `tabs`, posting to `graphql` beside the page on the same origin."""
    assets = load_assets()
    shown = tuple(tabs)

    async def page(request: Request) -> HTMLResponse:
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(render_page(shown, assets, nonce), headers=page_headers(nonce))

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return PlainTextResponse("no such GraphiQL file", status_code=404)
        headers = {"Cache-Control": _ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
        return Response(found.body, media_type=found.media_type, headers=headers)

    return [Route("/", page, methods=["GET"]), Route("/graphiql/{name}", asset, methods=["GET"])]
