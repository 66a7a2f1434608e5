"""The Starlette routes: the portal at `/portal`, its files at `/portal/<version>/<name>`,
and, in demo mode only, `/portal/personas` (the demo subjects, each with a fresh token).

Demo tokens are handed out by the rule GraphiQL's tabs follow (`demo.hands_out_tokens`):
only when the server listens on a loopback address, or the operator says `--demo-tokens`.
Otherwise the personas route answers 404 and the visitor signs in with their identity
provider's token (pasted, or in the URL's fragment: `/portal#token=<JWT>`, which the
browser never sends to any server).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from creditgraph.graphiql.routes import asset_response
from creditgraph.portal.assets import bundle_version, portal_assets
from creditgraph.portal.page import page_headers, render_page

PersonaList = Callable[[], Sequence[dict[str, Any]]]


def portal_routes(personas: PersonaList | None) -> list[BaseRoute]:
    """The portal; `personas` lists the demo subjects with fresh tokens (None: no demo)."""
    assets = portal_assets()
    version = bundle_version(assets)

    async def page(request: Request) -> HTMLResponse:
        html = render_page(f"portal/{version}/", demo=personas is not None)
        return HTMLResponse(html, headers=page_headers())

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None or request.path_params["version"] != version:
            return PlainTextResponse("no such portal file", status_code=404)
        return asset_response(request, found)

    async def listed(request: Request) -> JSONResponse:
        if personas is None:
            return JSONResponse(
                {"error": "no demo personas here: sign in with your own token"},
                status_code=404,
                headers={"Cache-Control": "no-store"},
            )
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return JSONResponse(list(personas()), headers=headers)

    return [
        Route("/portal", page, methods=["GET"]),
        Route("/portal/personas", listed, methods=["GET"]),
        Route("/portal/{version}/{name}", asset, methods=["GET"]),
    ]
