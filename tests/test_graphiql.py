"""GraphiQL at `/`: every file the page loads comes from this server, with no internet.

The fast tests read the page the way a browser would (every script,
stylesheet and image reference resolved through the app); the slow ones
re-fetch the vendored build with npm, build the wheel, and, where a Chromium
is installed, load the page in it with every other host unresolvable.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import asyncpg
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_demo_token
from creditgraph.demo import demo_tabs, hands_out_tokens
from creditgraph.gateway import Gateway
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.gateway.trusted import TrustedOperations
from creditgraph.graphiql import ExampleTab, OperationPreset, graphiql_routes, tabs_from_operations
from creditgraph.graphiql.assets import STATIC, SUMS, VENDORED, recorded_sums, sha256_hex
from creditgraph.graphiql.routes import accepts_gzip
from creditgraph.graphiql.vendor import PINS
from creditgraph.resources import operations_root, policy_path
from creditgraph.seed.personas import PERSONA, TAX_BUREAU
from creditgraph.server import build_app
from tests.http_app import NO_ENV, in_process_gateway

ROOT = Path(__file__).resolve().parent.parent
HUSBAND = PERSONA["husband"].identifier
BREAKOUT = 'query Sneaky { me { name } } # </script><script>alert("x")</script><!-- & </SCRIPT'
TABS = [
    ExampleTab(
        "self view", "query Self { me { name } }", None, '{"Authorization": "Bearer a.b.c"}'
    ),
    ExampleTab("sneaky <b>", BREAKOUT, '{"note": "</script>"}', None),
]


class Page(HTMLParser):
    """What a browser would load from a page, and the text of its data blocks."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.references: list[tuple[str, str]] = []  # (tag, URL)
        self.scripts: list[dict[str, str | None]] = []
        self.blocks: dict[str, str] = {}
        self.noscript = ""
        self._in: tuple[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "srcset", "poster", "data"):
            if found.get(name):
                self.references.append((tag, str(found[name])))
        if tag == "script":
            self.scripts.append(found)
            self._in = ("script", found.get("id"))
        elif tag == "noscript":
            self._in = ("noscript", None)

    def handle_endtag(self, tag: str) -> None:
        if self._in is not None and self._in[0] == tag:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == ("noscript", None):
            self.noscript += data
        elif self._in is not None and self._in[1] is not None:
            self.blocks[self._in[1]] = self.blocks.get(self._in[1], "") + data


def app_serving(
    tabs: Sequence[ExampleTab] | Callable[[], Sequence[ExampleTab]],
    gateway: Gateway | None = None,
    writable_pool: asyncpg.Pool | None = None,
    access: Access | None = None,
) -> Starlette:
    """The gateway's app with GraphiQL at `/`, as `creditgraph up` serves it."""
    return build_app(gateway, pool=writable_pool, access=access, pages=graphiql_routes(tabs))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_serving(TABS))
    async with httpx.AsyncClient(transport=transport, base_url="http://creditgraph") as found:
        yield found


async def fetch_page(client: httpx.AsyncClient) -> tuple[httpx.Response, Page]:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response, Page(response.text)


async def test_every_file_the_page_loads_is_served_here(client: httpx.AsyncClient) -> None:
    response, page = await fetch_page(client)
    expected_type = {"script": "text/javascript", "link": "text/css"}
    loaded = set()
    for tag, reference in page.references:
        if reference.startswith("data:"):
            continue
        parts = urlsplit(reference)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{tag} loads {reference} from elsewhere"
        asset = await client.get(urljoin(str(response.url), reference))
        assert asset.status_code == 200, reference
        assert asset.headers["content-type"].split(";")[0] == expected_type[tag], reference
        assert len(asset.content) > 50, reference
        assert "immutable" in asset.headers["cache-control"]
        loaded.add(Path(parts.path).name)
    assert {"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"} <= loaded
    assert {"graphiql.min.css", "start.js"} <= loaded
    bundle = await client.get("/graphiql/graphiql.min.js")
    assert len(bundle.content) > 500_000  # the whole GraphiQL build, not a loader for one


async def test_nothing_on_the_page_names_another_origin(client: httpx.AsyncClient) -> None:
    response, page = await fetch_page(client)
    ours = [response.text] + [path.read_text(encoding="utf-8") for path in STATIC.iterdir()]
    for text in ours:
        assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    assert all(not urlsplit(url).netloc for _, url in page.references)


async def test_the_policy_allows_only_this_server(client: httpx.AsyncClient) -> None:
    response, page = await fetch_page(client)
    policy = {
        directive.split()[0]: set(directive.split()[1:])
        for directive in response.headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == {"'none'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["connect-src"] == {"'self'"}
    assert policy["frame-ancestors"] == {"'none'"}
    (config,) = (script for script in page.scripts if script.get("id") == "graphiql-config")
    assert policy["style-src"] == {"'self'", f"'nonce-{config['data-style-nonce']}'"}
    allowed = {"'self'", "'none'", "data:", f"'nonce-{config['data-style-nonce']}'"}
    assert set().union(*policy.values()) <= allowed
    again = await client.get("/")
    assert again.headers["content-security-policy"] != response.headers["content-security-policy"]
    # the tabs hold tokens: the page is never cached nor named in a Referer
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_tabs_reach_graphiql_intact_whatever_they_hold(
    client: httpx.AsyncClient,
) -> None:
    _, page = await fetch_page(client)
    config = json.loads(page.blocks["graphiql-config"])
    assert config["tabs"] == [
        {"query": tab.query, "variables": tab.variables, "headers": tab.headers} for tab in TABS
    ]
    # the `</script>` inside a query ended nothing: only our five scripts exist
    assert [script.get("src") is None for script in page.scripts] == [True] + [False] * 4
    assert "sneaky <b>" in page.noscript
    assert BREAKOUT in page.noscript


async def test_tabs_from_a_function_are_made_afresh_for_each_page_load() -> None:
    tokens = iter(["first", "second"])

    def tabs() -> list[ExampleTab]:
        return [
            ExampleTab("mine", "query Mine { me { name } }", None, f'{{"t": "{next(tokens)}"}}')
        ]

    transport = httpx.ASGITransport(app=app_serving(tabs))
    async with httpx.AsyncClient(transport=transport, base_url="http://creditgraph") as client:
        pages = [(await fetch_page(client))[1] for _ in range(2)]
    headers = [json.loads(page.blocks["graphiql-config"])["tabs"][0]["headers"] for page in pages]
    assert headers == ['{"t": "first"}', '{"t": "second"}']


async def test_only_the_page_files_are_served(client: httpx.AsyncClient) -> None:
    for name in (SUMS, "LICENSE.react", "vendor.py", "missing.js", "..%2Fvendor.py"):
        response = await client.get(f"/graphiql/{name}")
        assert response.status_code == 404, name


def test_the_shipped_build_is_the_recorded_one() -> None:
    recorded = recorded_sums()
    shipped = {path.name for path in VENDORED.iterdir()} - {SUMS}
    assert shipped == set(recorded)
    assert set(recorded) == {name for pin in PINS for name in pin.files.values()}
    for name, digest in recorded.items():
        assert sha256_hex((VENDORED / name).read_bytes()) == digest, name
    assert {"LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"} <= shipped


def test_the_trusted_operations_become_tabs_verbatim() -> None:
    presets = {
        "subject_card.graphql": OperationPreset("t.o.k", {"identifier": HUSBAND}),
        "subject_self.graphql": OperationPreset("s.e.lf"),
    }
    tabs = tabs_from_operations(operations_root(), presets)
    names = sorted(path.name for path in operations_root().glob("*.graphql"))
    others = [name for name in names if name not in presets]
    assert [tab.title for tab in tabs] == [
        "subject card",
        "subject self",
        *(name.removesuffix(".graphql").replace("_", " ") for name in others),
    ]
    trusted = TrustedOperations.load(operations_root())
    assert all(trusted.holds_text(tab.query) for tab in tabs)
    card, own = tabs[0], tabs[1]
    assert json.loads(card.variables or "") == {"identifier": HUSBAND}
    assert json.loads(card.headers or "") == {"Authorization": "Bearer t.o.k"}
    assert own.variables is None
    assert tabs[2].headers is None
    with pytest.raises(ValueError, match=r"no operation file nothing\.graphql"):
        tabs_from_operations(operations_root(), {"nothing.graphql": OperationPreset(None)})


@pytest.mark.parametrize(("variables", "error"), [("{not json", ValueError), ("[1, 2]", TypeError)])
def test_a_tab_refuses_variables_that_are_not_a_json_object(
    variables: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match="variables"):
        ExampleTab("bad", "query Q { me { name } }", variables)


@pytest.mark.slow
def test_the_vendored_build_is_what_npm_publishes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "creditgraph.graphiql.vendor"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "match the published packages" in result.stdout


def _chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((found for name in names if (found := shutil.which(name))), None)


class Watched:
    """The app, with each request it answered noted: method, path, Authorization, status and
    the request's body."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str | None, int, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = dict(scope["headers"]).get(b"authorization")
        status, body = 0, bytearray()

        async def reading() -> Message:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, reading, noting)
        self.seen.append(
            (
                scope["method"],
                scope["path"],
                authorization.decode() if authorization else None,
                status,
                bytes(body),
            )
        )


def _high(fd: int) -> int:
    """`fd` moved above 4, so that placing the pipes at 3 and 4 cannot clobber one another."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Browser:
    """Headless Chromium driven over its DevTools pipe (it reads fd 3, writes fd 4).

    Every host but this machine is unresolvable, so the page is as offline as
    it can be; Chromium's console goes to `log` (violations, failed loads and
    uncaught errors all show there).
    """

    def __init__(self, chromium: str, profile: Path, log: Path) -> None:
        commands, self._commands = (_high(fd) for fd in os.pipe())
        self._replies, replies = (_high(fd) for fd in os.pipe())
        flags = [
            "--headless",
            "--disable-gpu",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--log-level=0",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            *(["--no-sandbox"] if os.geteuid() == 0 else []),
            "about:blank",
        ]
        self.pid = os.posix_spawn(
            chromium,
            [chromium, *flags],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, commands, 3),
                (os.POSIX_SPAWN_DUP2, replies, 4),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, str(log), os.O_WRONLY | os.O_CREAT, 0o600),
            ],
        )
        os.close(commands)
        os.close(replies)
        self._next = 0
        self._pending = b""

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._pending:
                chunk = os.read(self._replies, 65536)
                assert chunk, "Chromium closed its DevTools pipe"
                self._pending += chunk
            raw, _, self._pending = self._pending.partition(b"\0")
            reply: dict[str, Any] = json.loads(raw)
            if reply.get("id") == self._next:
                assert "error" not in reply, reply["error"]
                result: dict[str, Any] = reply["result"]
                return result

    def open(self, url: str) -> str:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = str(
            self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        )
        self.call("Page.navigate", session, url=url)
        return session

    def until(self, session: str, condition: str) -> Any:
        """The first truthy value of the JavaScript `condition`, polled in the page (null if
        it never comes within 60 s: a hung browser fails the test rather than holding it)."""
        expression = (
            "new Promise(resolve => { const started = Date.now(); const poll = () => {"
            f" let value = null; try {{ value = ({condition}); }} catch (e) {{}}"
            " if (value || Date.now() - started > 60000) resolve(value || null);"
            " else setTimeout(poll, 50); }; poll(); })"
        )
        found = self.call(
            "Runtime.evaluate",
            session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        return found["result"].get("value")

    def close(self) -> None:
        self.call("Browser.close")
        os.waitpid(self.pid, 0)
        os.close(self._commands)
        os.close(self._replies)


RESPONSE = "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
EDITORS = "[...document.querySelectorAll('.graphiql-editor > .CodeMirror')]"
TAB_TITLES = "[...document.querySelectorAll('.graphiql-tab-button')].map(b => b.textContent)"
STAMPED_STYLE = "[...document.querySelectorAll('style')].some(style => style.nonce)"


def _click(browser: Browser, page: str, selector: str, index: int = 0) -> None:
    browser.until(page, f"document.querySelectorAll({json.dumps(selector)})[{index}].click() || 1")


def run_tab(browser: Browser, page: str, index: int, token: str) -> dict[str, Any]:
    """Open tab `index`, wait until GraphiQL has taken in its query (it names the operation
    it will run) and its token, run it: the answer."""
    _click(browser, page, ".graphiql-tab-button", index)
    title = f"{TAB_TITLES}[{index}]"
    browser.until(page, f"{QUERY_EDITOR}.CodeMirror.operationName === {title}")
    browser.until(page, f"{EDITORS}.some(e => e.CodeMirror.getValue().includes({token!r}))")
    _click(browser, page, ".graphiql-execute-button")
    answer: dict[str, Any] = json.loads(browser.until(page, f"{RESPONSE}.length > 2 && {RESPONSE}"))
    return answer


def use_graphiql(chromium: str, url: str, tokens: Sequence[str], log: Path) -> dict[str, Any]:
    """Open the page, run the first tabs as they come (one token each), open a dialog."""
    browser = Browser(chromium, log.parent / "profile", log)
    try:
        page = browser.open(url)
        tabs = browser.until(page, f"{TAB_TITLES}.length && {TAB_TITLES}")
        answers = [run_tab(browser, page, index, token) for index, token in enumerate(tokens)]
        _click(browser, page, '[aria-label="Open settings dialog"]')
        dialog = browser.until(page, f"document.querySelector('[role=dialog]') && {STAMPED_STYLE}")
    finally:
        browser.close()
    console = [line for line in log.read_text(errors="replace").splitlines() if ":CONSOLE" in line]
    return {"tabs": tabs, "answers": answers, "dialog": dialog, "console": console}


@pytest.mark.slow
# CI installs Chromium (.ci/run), so there a missing browser fails the test instead of skipping it
@pytest.mark.skipif(
    _chromium() is None and not os.environ.get("CI"), reason="no Chromium on this machine"
)
async def test_graphiql_runs_the_tabs_in_a_browser_with_no_other_host(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    chromium = _chromium()
    assert chromium is not None
    gateway = in_process_gateway(writable_pool)
    verifier = TokenVerifier.from_settings(tmp_path, NO_ENV)
    access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), writable_pool))
    subject = mint_demo_token(tmp_path, "SUBJECT", HUSBAND, None, env=NO_ENV)
    agency = mint_demo_token(tmp_path, "GOVERNMENT", TAX_BUREAU.code, "inspector", env=NO_ENV)
    presets = {
        "subject_self.graphql": OperationPreset(subject),
        "government_public_credit.graphql": OperationPreset(agency, {"identifier": HUSBAND}),
    }
    tabs = tabs_from_operations(operations_root(), presets)
    watched = Watched(app_serving(tabs, gateway, writable_pool, access))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(watched, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        url, log = f"http://127.0.0.1:{port}/", tmp_path / "chromium.log"
        seen = await asyncio.to_thread(use_graphiql, chromium, url, [subject, agency], log)
    finally:
        server.should_exit = True
        await serving
        await gateway.aclose()
        listener.close()

    assert seen["tabs"][:2] == ["SubjectSelf", "GovernmentPublicCredit"]
    assert "BankUnderwriting" in seen["tabs"]
    # each tab ran as the requester its token names, and GraphiQL showed the answer
    own, public = seen["answers"]
    assert own["data"]["me"]["identifier"] == HUSBAND
    assert public["data"]["subject"]["name"] == PERSONA["husband"].name
    trusted = TrustedOperations.load(operations_root())
    for token in (subject, agency):
        ran = [entry for entry in watched.seen if entry[2] == f"Bearer {token}"]
        assert {status for *_, status, _ in ran} == {200}
        # as a file's exact text, so the tab runs under --trusted-only too
        sent = [json.loads(body)["query"] for *_, body in ran]
        assert any(trusted.holds_text(query) for query in sent)
    # the dialog's run-time <style> carried the page's nonce, so the policy let it apply
    assert seen["dialog"] is True
    assert seen["console"] == []  # no policy violation, no failed load, no uncaught error
    page_files = [path for _, path, *_ in watched.seen if path.startswith("/graphiql/")]
    assert len(page_files) == 6


async def test_the_files_come_compressed_to_a_browser_that_takes_gzip(
    client: httpx.AsyncClient,
) -> None:
    name = "graphiql.min.js"
    shipped = (VENDORED / name).read_bytes()
    plain = await client.get(f"/graphiql/{name}", headers={"accept-encoding": "identity"})
    packed = await client.get(f"/graphiql/{name}", headers={"accept-encoding": "gzip, br"})
    refused = await client.get(f"/graphiql/{name}", headers={"accept-encoding": "gzip;q=0, *"})
    assert "content-encoding" not in plain.headers
    assert plain.content == shipped
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(shipped) / 3
    assert packed.content == shipped  # as the browser sees it, once unpacked
    assert "content-encoding" not in refused.headers
    assert all(r.headers["vary"] == "Accept-Encoding" for r in (plain, packed, refused))


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("GZIP;Q=1.0", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("*, gzip;q=0", False),
        ("gzip;q=oops", False),
    ],
)
def test_accept_encoding_is_read_as_the_spec_says(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes


@pytest.mark.parametrize(
    ("host", "demo_tokens", "hands_out"),
    [
        ("127.0.0.1", False, True),
        ("127.0.0.2", False, True),
        ("::1", False, True),
        ("[::1]", False, True),
        ("localhost", False, True),
        ("0.0.0.0", False, False),
        ("::", False, False),
        ("192.168.1.20", False, False),
        ("gateway.example.com", False, False),
        ("0.0.0.0", True, True),
    ],
)
def test_demo_tokens_are_handed_out_on_loopback_only_unless_the_operator_says_so(
    host: str, demo_tokens: bool, hands_out: bool
) -> None:
    assert hands_out_tokens(host, demo_tokens=demo_tokens) is hands_out


@pytest.mark.parametrize("tokens", [True, False])
async def test_a_page_for_another_host_holds_no_token(tmp_path: Path, tokens: bool) -> None:
    transport = httpx.ASGITransport(app=app_serving(lambda: demo_tabs(tmp_path, tokens=tokens)))
    async with httpx.AsyncClient(transport=transport, base_url="http://creditgraph") as client:
        response, page = await fetch_page(client)
    tabs = json.loads(page.blocks["graphiql-config"])["tabs"]
    presets = [json.loads(tab["headers"]) for tab in tabs if tab["headers"]]
    if tokens:
        assert presets
        assert all(preset["Authorization"].startswith("Bearer ey") for preset in presets)
    else:
        assert presets == []
        assert "Bearer" not in response.text
        # the tabs are still there, for a visitor who brings a token of their own
        assert len(tabs) == len(list(operations_root().glob("*.graphql")))
