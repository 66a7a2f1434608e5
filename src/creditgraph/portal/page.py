"""The portal's HTML page and the headers it is served with.

The page is a shell: a heading, a skip link, the sign-in form and empty
regions that `static/app.js` fills in. It holds no script and no style of
its own, so the Content Security Policy allows this server's files and
nothing else (`default-src 'self'`, no 'unsafe-inline', no nonce). Cytoscape.js
adds a `<style>` element for its container unless an element with its
stylesheet id is already there: the page's own stylesheet link carries that id
and the rule it would have added.

Visible text comes from the string catalogues (`static/strings.*.json`): each
element says which string it shows in `data-i18n`; the page itself only holds
the English text a browser without JavaScript reads.
"""

from __future__ import annotations

from html import escape

# The id Cytoscape.js looks for before adding its own <style> element (see module doc).
CYTOSCAPE_STYLESHEET_ID = "__________cytoscape_stylesheet"


def content_security_policy() -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def page_headers() -> dict[str, str]:
    """A token may arrive in the URL's fragment: never cached, framed, or sent as a referrer."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def render_page(base: str, *, demo: bool) -> str:
    """The page, loading its files from `base` (relative to `/portal`, ending in `/`).

    `demo`: whether the sign-in offers the demo personas (see routes.py).
    """
    base = escape(base)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title data-i18n="title">creditgraph · my credit</title><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" id="{CYTOSCAPE_STYLESHEET_ID}" href="{base}portal.css">'
        f'<script type="module" src="{base}app.js"></script></head>'
        f'<body data-demo="{"yes" if demo else "no"}">'
        '<a class="skip" href="#main" data-i18n="skip">Skip to content</a>'
        '<header><h1 data-i18n="title">creditgraph · my credit</h1>'
        '<div class="tools"><label for="language" data-i18n="language">Language</label>'
        '<select id="language"><option value="en">English</option>'
        '<option value="zh">中文</option></select>'
        '<button type="button" id="sign-out" hidden data-i18n="signOut">Sign out</button>'
        "</div></header>"
        '<p id="status" role="status" aria-live="polite"></p>'
        '<main id="main" tabindex="-1">'
        '<section id="sign-in" aria-labelledby="sign-in-title">'
        '<h2 id="sign-in-title" data-i18n="signIn">Sign in</h2>'
        "<noscript><p>This portal needs JavaScript.</p></noscript>"
        '<div id="personas"></div>'
        '<form id="token-form"><label for="token" data-i18n="pasteToken">Your token</label>'
        '<textarea id="token" rows="3" autocomplete="off" spellcheck="false"></textarea>'
        '<p class="hint" data-i18n="tokenHint"></p>'
        '<button type="submit" data-i18n="useToken">Sign in with this token</button></form>'
        "</section>"
        '<div id="portal" hidden></div>'
        "</main></body></html>"
    )
