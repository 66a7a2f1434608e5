"""The GraphiQL HTML page and the security headers it is served with.

The page holds no script of its own: its configuration (the example tabs)
is a JSON data block that `static/start.js` reads, so the Content Security
Policy can allow scripts from this server only. The one allowance beyond
'self' is a per-response nonce for the `<style>` element GraphiQL's dialogs
add at run time (start.js hands the nonce to them); the stylesheet's fonts and
icons are `data:` URLs inside it. Every asset URL is relative to the page and
carries its content hash, so the assets can be cached for a year.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape

from creditgraph.graphiql.assets import Asset
from creditgraph.graphiql.tabs import ExampleTab

ASSET_PREFIX = "graphiql/"
STYLESHEETS = ("graphiql.min.css", "page.css")
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "start.js")

# Escaped so that no text in a tab (`</script>`, `<!--`) can end the data block early.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def page_headers(nonce: str) -> dict[str, str]:
    """The page carries demo tokens in its tabs: never cached, framed, or sent as a referrer."""
    return {
        "Content-Security-Policy": content_security_policy(nonce),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def config_json(tabs: Sequence[ExampleTab]) -> str:
    """The tabs as GraphiQL's `defaultTabs`, safe inside a `<script>` element."""
    default_tabs = [
        {"query": tab.query, "variables": tab.variables, "headers": tab.headers} for tab in tabs
    ]
    return json.dumps({"tabs": default_tabs}, ensure_ascii=False).translate(_SCRIPT_SAFE)


def _url(assets: Mapping[str, Asset], name: str) -> str:
    return escape(f"{ASSET_PREFIX}{name}?v={assets[name].version}")


def _noscript(tabs: Sequence[ExampleTab]) -> str:
    examples = "".join(
        f"<h2>{escape(tab.title)}</h2><pre>{escape(tab.query)}</pre>" for tab in tabs
    )
    intro = "<p>GraphiQL needs JavaScript. The example operations:</p>"
    return f"<noscript>{intro}{examples}</noscript>"


def render_page(tabs: Sequence[ExampleTab], assets: Mapping[str, Asset], nonce: str) -> str:
    links = "".join(f'<link rel="stylesheet" href="{_url(assets, n)}">' for n in STYLESHEETS)
    scripts = "".join(f'<script src="{_url(assets, n)}"></script>' for n in SCRIPTS)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>creditgraph · GraphiQL</title><link rel="icon" href="data:,">'
        f"{links}</head><body>"
        f'<div id="graphiql">{_noscript(tabs)}</div>'
        f'<script id="graphiql-config" type="application/json" data-style-nonce="{nonce}">'
        f"{config_json(tabs)}</script>"
        f"{scripts}</body></html>"
    )
