"""The Starlette routes: GraphiQL at `/`, its files at `/graphiql/<name>`."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from creditgraph.graphiql.assets import Asset, load_assets
from creditgraph.graphiql.page import page_headers, render_page
from creditgraph.graphiql.tabs import ExampleTab
from creditgraph.negotiation import weighted

# Asset URLs carry their content hash (see page.py), so a changed file is a new URL.
_ASSET_CACHE = "public, max-age=31536000, immutable"


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named or by `*`, at a quality above 0."""
    qualities = dict(weighted(accept_encoding))
    named = qualities.get("gzip", qualities.get("x-gzip"))
    return (named if named is not None else qualities.get("*", 0.0)) > 0


def asset_response(request: Request, found: Asset) -> Response:
    """One shipped file, cached for a year (its URL carries its hash), gzipped when taken."""
    headers = {
        "Cache-Control": _ASSET_CACHE,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


def _always(tabs: Sequence[ExampleTab]) -> Callable[[], Sequence[ExampleTab]]:
    return lambda: tabs


def graphiql_routes(
    tabs: Sequence[ExampleTab] | Callable[[], Sequence[ExampleTab]],
) -> list[BaseRoute]:
    """GraphiQL opening with `tabs`, posting to `graphql` beside the page on the same origin.

    Given a function, it is called for each page load: tabs carrying tokens then
    carry fresh ones, however long the server has been up.
    """
    assets = load_assets()
    current = tabs if callable(tabs) else _always(tuple(tabs))

    async def page(request: Request) -> HTMLResponse:
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(render_page(current(), assets, nonce), headers=page_headers(nonce))

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return PlainTextResponse("no such GraphiQL file", status_code=404)
        return asset_response(request, found)

    return [Route("/", page, methods=["GET"]), Route("/graphiql/{name}", asset, methods=["GET"])]
