"""The subject's portal at `/portal`: served from the package alone, under a policy of this
server only, in two languages, and used for real in Chromium (driven by Playwright).

The fast tests read the page and its files the way a browser would; the slow one signs in
as the demo husband, reads the picture of his graph, clicks a node, grants and revokes a
consent, files a dispute, sees a bank's look arrive live, shares a yes/no answer with the
bank, sees the bank's answer arrive and withdraws the share, and switches to Chinese, with
every request the browser makes noted: none may leave this server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier
from creditgraph.demo import demo_query, portal_personas
from creditgraph.gateway import Gateway
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.graphiql.assets import recorded_sums, sha256_hex
from creditgraph.live import LiveHub, live_routes
from creditgraph.portal import portal_routes
from creditgraph.portal.assets import STATIC, VENDORED, bundle_version, portal_assets
from creditgraph.portal.vendor import PINS
from creditgraph.resources import policy_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, PERSONAS, WESTLAKE_BANK
from creditgraph.server import build_app
from tests.http_app import NO_ENV, bearer, in_process_gateway, uvicorn_serving

HUSBAND = PERSONA["husband"]
WIFE = PERSONA["wife"]
# Where the browser test leaves its screenshots (the README's come from here when it is
# set to docs/); by default the test's own temporary directory.
SCREENSHOTS = "CREDITGRAPH_PORTAL_SCREENSHOTS"


def portal_app(
    personas: Callable[[], Sequence[dict[str, Any]]] | None,
    gateway: Gateway | None = None,
    pool: asyncpg.Pool | None = None,
    access: Access | None = None,
) -> Starlette:
    """The gateway's app with the portal (and its live channel, given the database), as
    `creditgraph up` serves it."""
    pages = portal_routes(personas)
    if pool is not None and access is not None:
        pages.extend(live_routes(LiveHub(pool), access.pipeline()))
    return build_app(gateway, pool=pool, access=access, pages=pages)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = portal_app(lambda: portal_personas(tmp_path, NO_ENV))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://creditgraph") as found:
        yield found


def references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_the_page_and_every_file_it_loads_come_from_this_server(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/portal")
    assert page.status_code == 200
    loaded = set()
    for reference in references(page.text):
        if reference.startswith(("data:", "#")):
            continue  # the icon is inline, the skip link a place on the page
        parts = urlsplit(reference)
        assert (parts.scheme, parts.netloc) == ("", ""), reference
        asset = await client.get(urljoin(str(page.url), reference))
        assert asset.status_code == 200, reference
        assert "immutable" in asset.headers["cache-control"]
        loaded.add(Path(parts.path).name)
    assert loaded == {"portal.css", "app.js"}
    # the modules import one another by relative URLs: each import is a file served beside it
    base = urljoin(str(page.url), f"portal/{bundle_version(portal_assets())}/")
    for name in sorted(path.name for path in STATIC.glob("*.js")):
        text = (STATIC / name).read_text(encoding="utf-8")
        for imported in re.findall(r'from "(\./[^"]+)"', text):
            found = await client.get(urljoin(base + name, imported))
            assert found.status_code == 200, f"{name} imports {imported}"
            assert found.headers["content-type"].startswith("text/javascript")


async def test_the_policy_allows_this_server_only_and_nothing_inline(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/portal")
    header = page.headers["content-security-policy"]
    policy = dict(directive.strip().split(" ", 1) for directive in header.split(";"))
    for directive in ("default-src", "script-src", "style-src", "connect-src"):
        assert policy[directive] == "'self'", directive
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    # every script is a file, no style is inline
    assert re.findall(r"<script\b[^>]*>", page.text) == [
        f'<script type="module" src="portal/{bundle_version(portal_assets())}/app.js">'
    ]
    assert "<style" not in page.text
    assert " style=" not in page.text


def test_nothing_of_ours_names_another_origin() -> None:
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), path.name


def _catalogue(language: str) -> dict[str, str]:
    found: dict[str, str] = json.loads((STATIC / f"strings.{language}.json").read_text("utf-8"))
    return found


def test_both_languages_hold_every_string_the_portal_shows() -> None:
    english, chinese = _catalogue("en"), _catalogue("zh")
    assert set(english) == set(chinese)
    assert all(value.strip() for value in [*english.values(), *chinese.values()])
    # the same placeholders in both, so no sentence loses a value in translation
    for key in english:
        assert set(re.findall(r"\{\w+\}", english[key])) == set(
            re.findall(r"\{\w+\}", chinese[key])
        ), key
    sources = [path.read_text(encoding="utf-8") for path in STATIC.glob("*.js")]
    sources.append((STATIC.parent / "page.py").read_text(encoding="utf-8"))
    used = set()
    for text in sources:
        used |= set(re.findall(r'\bt\("([\w.]+)"', text))
        used |= set(re.findall(r'data-i18n(?:-label)?(?:=|": )"([\w.]+)"', text))
        used |= set(re.findall(r'"((?:signal|rights|consents)\.[\w.]+)"', text))
    missing = sorted(used - set(english))
    assert not missing, f"strings used but in no catalogue: {missing}"
    assert english["nav.graph"] != chinese["nav.graph"]


async def test_demo_personas_are_people_with_their_own_working_tokens(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    answer = await client.get("/portal/personas")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    personas = answer.json()
    assert [p["key"] for p in personas] == [p.key for p in PERSONAS if p.kind == "PERSON"]
    verifier = TokenVerifier.from_settings(tmp_path, NO_ENV)
    for persona in personas:
        requester = verifier.verify(f"Bearer {persona['token']}")
        assert requester is not None
        assert (requester.role, requester.identifier) == ("SUBJECT", persona["identifier"])
    page = await client.get("/portal")
    assert 'data-demo="yes"' in page.text


async def test_without_demo_the_portal_hands_out_no_token() -> None:
    transport = httpx.ASGITransport(app=portal_app(None))
    async with httpx.AsyncClient(transport=transport, base_url="http://creditgraph") as client:
        answer = await client.get("/portal/personas")
        page = await client.get("/portal")
    assert answer.status_code == 404
    assert "token" in answer.json()["error"]
    assert 'data-demo="no"' in page.text


async def test_only_the_current_files_are_served(client: httpx.AsyncClient) -> None:
    version = bundle_version(portal_assets())
    assert (await client.get(f"/portal/{version}/app.js")).status_code == 200
    assert (await client.get("/portal/000000000000/app.js")).status_code == 404
    assert (await client.get(f"/portal/{version}/SHA256SUMS")).status_code == 404
    assert (await client.get(f"/portal/{version}/LICENSE.cytoscape")).status_code == 404


def test_the_shipped_cytoscape_is_the_recorded_one() -> None:
    recorded = recorded_sums(VENDORED)
    assert set(recorded) == {name for pin in PINS for name in pin.files.values()}
    for name, digest in recorded.items():
        assert sha256_hex((VENDORED / name).read_bytes()) == digest, name


# ---- in a real browser --------------------------------------------------------------------


def _chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((found for name in names if (found := shutil.which(name))), None)


def _node_ids(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        ".node-list button", "buttons => buttons.map(b => b.dataset.node)"
    )
    return ids


def use_portal(
    chromium: str,
    url: str,
    shots: Path,
    look: Callable[[], None],
    ask: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Sign in as the husband and use every panel, as a person would: what the browser saw.

    `look` has a bank look at his report while the portal is open on who looked; `ask` has
    the bank ask the yes/no answer he shares with it (its answer, as the bank received it)."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, Any] = {"requests": [], "console": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: seen["requests"].append(request.url))
            page.on(
                "console",
                lambda message: seen["console"].append(f"{message.type}: {message.text}"),
            )
            page.on("pageerror", lambda error: seen["console"].append(f"error: {error}"))
            page.goto(f"{url}/portal")
            page.get_by_role("button", name=re.compile(HUSBAND.name)).click()
            page.wait_for_selector(".node-list button")
            seen["nodes"] = _node_ids(page)
            seen["drawn"] = page.evaluate(
                "document.querySelector('#graph')._cyreg.cy.nodes().map(n => n.id())"
            )
            # a click on the spouse's node in the picture shows her record
            spouse = f"subject:{WIFE.identifier}"
            box = page.locator("#graph").bounding_box()
            assert box is not None
            where = page.evaluate(
                f"document.querySelector('#graph')._cyreg.cy.getElementById('{spouse}')"
                ".renderedPosition()"
            )
            page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
            page.wait_for_selector(f"#node-record >> text={WIFE.identifier}")
            seen["picked"] = page.inner_text("#node-record")
            page.screenshot(path=shots / "portal-graph.png")

            page.click("nav [data-panel=report]")
            page.wait_for_selector("#panel-report .grid")
            seen["grids"] = page.locator("#panel-report .grid").count()
            city = page.locator("#panel-report .score", has_text="Hangzhou City Credit")
            seen["city"] = city.inner_text()
            page.screenshot(path=shots / "portal-report.png", full_page=True)

            page.click("nav [data-panel=consents]")
            page.get_by_label(re.compile("Institution")).fill(WESTLAKE_BANK.code)
            page.get_by_label("Purpose").select_option("LOAN_APPROVAL")
            page.get_by_role("button", name="Grant", exact=True).click()
            revoke = page.locator("[data-revoke]").last
            revoke.wait_for()
            # his row for the grant just made: beside it, long expired, is the authorisation
            # his Westlake card was applied under
            row = (
                page.locator("tr", has=page.locator(f"text={WESTLAKE_BANK.code}"))
                .filter(has_text="loan approval")
                .last
            )
            seen["granted"] = row.inner_text()
            page.screenshot(path=shots / "portal-consents.png", full_page=True)
            revoke.click()
            page.wait_for_selector("#status >> text=revoked")
            seen["revoked"] = row.inner_text()

            page.click("nav [data-panel=rights]")
            page.get_by_label("Record", exact=True).select_option(index=0)
            seen["disputed"] = page.get_by_label("Record", exact=True).input_value()
            page.get_by_label("Reason").fill("This mortgage is not mine.")
            page.get_by_role("button", name="File the dispute").click()
            page.wait_for_selector("#panel-rights td >> text=This mortgage is not mine.")
            seen["dispute"] = page.locator("#panel-rights tbody tr").first.inner_text()
            page.screenshot(path=shots / "portal-rights.png", full_page=True)

            page.click("nav [data-panel=inquiries]")
            page.wait_for_selector(".timeline li")
            seen["timeline"] = page.locator(".timeline li").first.inner_text()
            # live: the bank's look shows up without a reload, and the visitor is told
            page.evaluate("document.body.dataset.loadedOnce = 'yes'")
            look()
            page.wait_for_selector(f".timeline li >> text={EASTBRIDGE_BANK.name}")
            seen["live"] = page.inner_text("#status")
            seen["not_reloaded"] = page.evaluate("document.body.dataset.loadedOnce")
            page.screenshot(path=shots / "portal-inquiries.png", full_page=True)

            # a yes/no answer shared with the bank, asked by the bank, and seen here live
            page.click("nav [data-panel=eligibility]")
            page.get_by_label(re.compile("Institution asking")).fill(EASTBRIDGE_BANK.code)
            page.get_by_label("Statement").select_option("CITY_SCORE_650")
            page.get_by_label("For", exact=True).select_option("DEPOSIT_FREE_RENTAL")
            page.get_by_role("button", name="Share", exact=True).click()
            page.wait_for_selector("[data-withdraw]")
            seen["shared"] = page.locator("#panel-eligibility tbody tr").first.inner_text()
            seen["asked"] = ask()
            answer_id = seen["asked"]["data"]["eligibility"]["answerId"]
            page.wait_for_selector(f"#panel-eligibility code >> text={answer_id}")
            seen["answer"] = page.locator("tr", has=page.locator(f"text={answer_id}")).inner_text()
            page.screenshot(path=shots / "portal-eligibility.png", full_page=True)
            page.click("[data-withdraw]")
            page.wait_for_selector("#status >> text=Withdrawn")
            seen["withdrawn"] = page.locator("#panel-eligibility tbody tr").first.inner_text()
            seen["asked_after"] = ask()
            page.click("nav [data-panel=inquiries]")
            page.wait_for_selector(f".timeline li >> text={answer_id}")
            seen["answer_look"] = page.locator(".timeline li", has_text=answer_id).inner_text()

            page.select_option("#language", "zh")
            page.wait_for_selector("nav >> text=我的关系图")
            seen["chinese"] = page.inner_text("nav")
            page.click("nav [data-panel=graph]")
            page.wait_for_selector(".node-list button")
            page.screenshot(path=shots / "portal-graph-zh.png")

            # keyboard alone: after signing out the skip link is the first stop; a persona
            # is chosen with Enter, and so is a node of the picture from its list
            page.click("#sign-out")
            page.wait_for_selector("#sign-in:not([hidden])")
            page.reload()  # signed out for good: the token is gone from the session too
            page.wait_for_selector("[data-persona=wife]")
            page.keyboard.press("Tab")
            seen["first_tab"] = page.evaluate("document.activeElement.className")
            page.focus("[data-persona=wife]")
            page.keyboard.press("Enter")
            page.wait_for_selector(f"[data-node='subject:{HUSBAND.identifier}']")
            page.focus(f"[data-node='subject:{HUSBAND.identifier}']")
            page.keyboard.press("Enter")
            page.wait_for_selector(f"#node-record >> text={HUSBAND.identifier}")
            seen["keyboard_picked"] = page.inner_text("#node-record")
        finally:
            browser.close()
    return seen


@pytest.mark.slow
# CI installs Chromium (.ci/run), so there a missing browser fails the test instead of skipping it
@pytest.mark.skipif(
    _chromium() is None and not os.environ.get("CI"), reason="no Chromium on this machine"
)
async def test_a_person_uses_the_portal_in_a_browser_with_no_other_host(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    chromium = _chromium()
    assert chromium is not None
    shots = Path(os.environ.get(SCREENSHOTS) or tmp_path)
    gateway = in_process_gateway(writable_pool)
    verifier = TokenVerifier.from_settings(tmp_path, NO_ENV)
    access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), writable_pool))
    app = portal_app(lambda: portal_personas(tmp_path, NO_ENV), gateway, writable_pool, access)
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 7")
    look = {"query": demo_query("POST_LOAN_MANAGEMENT")}
    eligible = {
        "query": 'query($s: String!) { eligibility(subject: $s, predicate: "CITY_SCORE_650", '
        'purpose: "DEPOSIT_FREE_RENTAL") { answerId holds } }',
        "variables": {"s": HUSBAND.identifier},
    }
    try:
        async with uvicorn_serving(app) as url:

            def bank_looks() -> None:
                answer = httpx.post(f"{url}/graphql", json=look, headers=bank, timeout=30)
                assert answer.json()["data"]["subject"]["name"] == HUSBAND.name

            def bank_asks() -> dict[str, Any]:
                answer = httpx.post(f"{url}/graphql", json=eligible, headers=bank, timeout=30)
                found: dict[str, Any] = answer.json()
                return found

            seen = await asyncio.to_thread(use_portal, chromium, url, shots, bank_looks, bank_asks)
    finally:
        await gateway.aclose()

    # the picture: the husband at the centre, his wife, each of his accounts (the joint
    # mortgage and his card) and each lender, as the bureau holds them; nothing else
    async with writable_pool.acquire() as conn:
        held = await conn.fetch(
            "select a.id, i.code from bureau.credit_accounts a"
            " join bureau.institutions i on i.id = a.lender_id"
            " join bureau.account_parties p on p.account_id = a.id"
            " join bureau.subjects s on s.id = p.subject_id where s.identifier = $1",
            HUSBAND.identifier,
        )
    nodes = set(seen["nodes"])
    assert set(seen["drawn"]) == nodes
    assert len(held) == 2
    assert nodes == {
        f"subject:{HUSBAND.identifier}",
        f"subject:{WIFE.identifier}",
        *(f"account:{row['id']}" for row in held),
        *(f"lender:{row['code']}" for row in held),
    }
    assert WIFE.name in seen["picked"]
    assert seen["grids"] == 2
    # the city score explained: its band by name, its five dimensions with their reason codes
    assert "740 (excellent)" in seen["city"]
    for dimension in ("identity", "law-abidance", "social credit use", "commercial credit use"):
        assert f"{dimension} (" in seen["city"]
    assert "pro-social behaviour" in seen["city"]
    assert "NO_PRO_SOCIAL_RECORD" in seen["city"]
    assert "full marks" in seen["city"]
    # the consent granted, then revoked, through the API with his own token
    assert "active" in seen["granted"]
    assert "revoked" in seen["revoked"]
    async with writable_pool.acquire() as conn:
        grants = await conn.fetch(
            "select g.revoked_at from gateway.consent_grants g"
            " join gateway.requesters r on r.id = g.grantee_id"
            " where r.identifier = $1 and g.subject_identifier = $2"
            " and g.purpose = 'LOAN_APPROVAL'",
            WESTLAKE_BANK.code,
            HUSBAND.identifier,
        )
        disputes = await conn.fetch(
            "select reason, respond_by from bureau.disputes where reason like '%not mine%'"
        )
    assert [grant["revoked_at"] is not None for grant in grants] == [True]
    # the dispute filed, due in 20 days, and shown
    assert seen["disputed"].startswith("CreditAccount:")
    assert [d["reason"] for d in disputes] == ["This mortgage is not mine."]
    due = disputes[0]["respond_by"]
    assert due - timedelta(days=20) <= date.today() <= due
    assert due.isoformat() in seen["dispute"]
    assert "yourself" in seen["timeline"]
    assert seen["live"] == "Someone just looked at your report."
    assert seen["not_reloaded"] == "yes"
    assert "我的关系图" in seen["chinese"]
    assert "授权" in seen["chinese"]
    assert seen["first_tab"] == "skip"
    # the yes/no answer: shared with the bank, answered yes and nothing else, seen by him live
    assert EASTBRIDGE_BANK.name in seen["shared"]
    assert "active" in seen["shared"]
    assert seen["asked"]["data"]["eligibility"]["holds"] is True
    assert "740" not in json.dumps(seen["asked"])
    assert EASTBRIDGE_BANK.name in seen["answer"]
    assert "yes" in seen["answer"]
    assert "withdrawn" in seen["withdrawn"]
    assert seen["asked_after"]["data"] == {"eligibility": None}
    assert [e["extensions"]["code"] for e in seen["asked_after"]["errors"]] == ["CONSENT_REQUIRED"]
    assert "yes/no answer" in seen["answer_look"]
    assert HUSBAND.name in seen["keyboard_picked"]  # from the wife's own graph, as her spouse
    # nothing left this server, nothing was refused by the policy, nothing failed
    origins = {urlsplit(request).netloc for request in seen["requests"]}
    assert origins == {urlsplit(url).netloc}
    assert [line for line in seen["console"] if not line.startswith("debug")] == []
