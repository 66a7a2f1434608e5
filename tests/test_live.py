"""The live channel, `GET /live`: a subject's notices as server-sent events, over real HTTP
from a real database's notices.

A look by someone else and a new negative record each reach the subject's open stream; the
subject's own looks do not (the portal's reload would announce itself for ever); the
stream is the token's subject's alone, and bounded before it starts. A bank's stream hears
of the joint-measure notices due to it: when an entry about a subject it lends to comes
into force by the calendar, and when one is ended by an approved credit repair.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

from creditgraph.access.rate_limits import ProcessBuckets, RateLimits, Rule
from creditgraph.access.tokens import TokenVerifier, mint_furnisher_token
from creditgraph.demo import demo_query
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.live import LiveHub, MeasureNotices, live_routes
from creditgraph.public import decisions
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, WESTLAKE_BANK, XIHU_COURT
from creditgraph.server import build_app
from tests.http_app import NO_ENV, _guarded, bearer, in_process_gateway, uvicorn_serving
from tests.test_measures import FIRM, list_entry, today

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier


@asynccontextmanager
async def served(
    pool: asyncpg.Pool, home: Path, hub: LiveHub, limits: RateLimits | None = None
) -> AsyncIterator[str]:
    """The app under the policy, with its live channel, a furnishing verifier, and `limits`."""
    gateway = in_process_gateway(pool)
    guarded = _guarded(gateway, pool, home)
    access = Access(
        guarded.verifier,
        guarded.policy,
        TokenVerifier.from_settings(home, NO_ENV, furnishing=True),
        limits,
    )
    app = build_app(gateway, pool=pool, access=access, pages=live_routes(hub, access.pipeline()))
    try:
        async with uvicorn_serving(app) as url:
            yield url
    finally:
        await gateway.aclose()


async def next_notice(lines: AsyncIterator[str]) -> dict[str, str]:
    """The next event's data, skipping the retry hint and keep-alive comments."""
    async for line in lines:
        if line.startswith("data:"):
            found: dict[str, str] = json.loads(line[5:])
            return found
    raise AssertionError("the stream ended")


async def test_a_look_and_a_negative_record_reach_the_subjects_open_stream(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    hub = LiveHub(writable_pool)
    async with (
        served(writable_pool, tmp_path, hub) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream("GET", "/live", headers=bearer(tmp_path, "SUBJECT", HUSBAND)) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        lines = stream.aiter_lines()
        # his own look first: it makes no notice, so the next one is the bank's
        me = await client.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers=bearer(tmp_path, "SUBJECT", HUSBAND),
        )
        assert me.json()["data"]["me"]["name"] == PERSONA["husband"].name
        bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 7")
        looked = await client.post(
            "/graphql", json={"query": demo_query("POST_LOAN_MANAGEMENT")}, headers=bank
        )
        assert looked.json()["data"]["subject"]["identifier"] == HUSBAND
        assert await asyncio.wait_for(next_notice(lines), 30) == {"kind": "inquiry"}
        # a court lists him (as a furnisher would write it): a record notice, his alone
        async with writable_pool.acquire() as conn:
            for identifier in (WIFE, HUSBAND):
                await conn.execute(
                    "insert into public_records.dishonest_listings (subject_identifier,"
                    " subject_name, case_number, court_code, court_name, obligation,"
                    " performance, reasons, published_on) values ($1, 'x',"
                    " '(2026)浙0106执9号', $2, 'court', 'pay', 'NONE',"
                    " array['REFUSES_WITH_ABILITY_TO_PAY'], current_date)",
                    identifier,
                    XIHU_COURT.code,
                )
        assert await asyncio.wait_for(next_notice(lines), 30) == {"kind": "record"}
        assert hub.streams == 1
    # the stream closed: its place in the hub, and the listening connection, are given back
    for _ in range(200):
        if hub.streams == 0:
            break
        await asyncio.sleep(0.05)
    assert hub.streams == 0


async def test_only_a_valid_token_gets_a_stream(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    hub = LiveHub(writable_pool)
    async with (
        served(writable_pool, tmp_path, hub) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        anonymous = await client.get("/live")
        forged = await client.get("/live", headers={"authorization": "Bearer a.b.c"})
    for refused in (anonymous, forged):
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert hub.streams == 0


async def test_every_request_to_follow_passes_the_limit_and_is_recorded(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """`/live` is a request like any other: it takes from the requester's allowance, and the
    audit log keeps each one, a stream opened as ALLOWED with what it follows, a refusal as
    DENIED with its code. A furnishing credential reports; it follows nothing."""
    still = 0.0
    rule = Rule(per_second=1.0, burst=2)
    roles = ("anonymous", "subject", "bank", "government", "furnisher")
    limits = RateLimits(dict.fromkeys(roles, rule), ProcessBuckets(clock=lambda: still))
    hub = LiveHub(writable_pool)
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    token = mint_furnisher_token(tmp_path, EASTBRIDGE_BANK.code, "batch job", env=NO_ENV)
    reporter = {"authorization": f"Bearer {token}"}
    async with (
        served(writable_pool, tmp_path, hub, limits) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        for _ in range(2):
            async with client.stream("GET", "/live", headers=subject) as stream:
                assert stream.status_code == 200
        over = await client.get("/live", headers=subject)
        furnishing = await client.get("/live", headers=reporter)
        anonymous = await client.get("/live")
    assert over.status_code == 429
    assert over.headers["retry-after"] == "1"
    assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert furnishing.status_code == 403
    assert furnishing.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous.status_code == 401
    rows = await writable_pool.fetch(
        "select role, requester, decision, subjects, detail from gateway.audit_log"
        " where operation = 'GET /live' order by seq"
    )
    assert [
        (row["role"], row["requester"], row["decision"], row["subjects"], json.loads(row["detail"]))
        for row in rows
    ] == [
        ("SUBJECT", HUSBAND, "ALLOWED", [HUSBAND], {"follows": HUSBAND}),
        ("SUBJECT", HUSBAND, "ALLOWED", [HUSBAND], {"follows": HUSBAND}),
        ("SUBJECT", HUSBAND, "DENIED", [], {"errors": ["RATE_LIMITED"]}),
        ("FURNISHER", EASTBRIDGE_BANK.code, "DENIED", [], {"errors": ["FORBIDDEN"]}),
        (None, None, "DENIED", [], {"errors": ["UNAUTHENTICATED"]}),
    ]


async def test_a_token_naming_someone_else_as_a_firms_representative_follows_nothing(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """A signed token that names a person for an organisation is followed only when that
    person is its legal representative: the demo's Wang Deming is Mingde Textiles', Chen
    Jianguo is no one's. /graphql refuses the husband's claim; /live refused it too."""
    mingde = PERSONA["circle_a"].identifier
    hub = LiveHub(writable_pool)
    async with (
        served(writable_pool, tmp_path, hub) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        claimed = bearer(tmp_path, "SUBJECT", mingde, representative=HUSBAND)
        async with client.stream("GET", "/live", headers=claimed) as refused:
            assert refused.status_code == 401
            body = json.loads(await refused.aread())
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert hub.streams == 0
        asked = await client.post("/graphql", json={"query": "{ me { name } }"}, headers=claimed)
        assert asked.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # the firm's own representative follows its notices
        rightful = bearer(
            tmp_path, "SUBJECT", mingde, representative=PERSONA["guarantor"].identifier
        )
        async with client.stream("GET", "/live", headers=rightful) as stream:
            assert stream.status_code == 200
            assert hub.streams == 1


async def test_a_bank_hears_of_the_notice_due_when_an_entry_comes_into_force(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    # an entry on Yuanhang, whose notice period ends today: it comes into force tomorrow,
    # by the calendar alone, and Eastbridge (which lends to it and subscribes) is told then
    day = await today(writable_pool)
    await list_entry(writable_pool, FIRM, day - timedelta(9), day)
    calendar = [day]

    async def calendar_day() -> date:
        return calendar[0]

    relay = MeasureNotices(writable_pool, today=calendar_day, interval=0.05)
    assert await relay.tick() == []  # its first look notes the day
    hub = LiveHub(writable_pool, relays=(relay,))
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "post-loan desk")
    async with (
        served(writable_pool, tmp_path, hub) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream("GET", "/live", headers=bank) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        calendar[0] = day + timedelta(days=1)
        notice = await asyncio.wait_for(next_notice(lines), 30)
        assert notice == {"kind": "measureNotice", "subject": FIRM.identifier}
        # what it is told to ask about: the entry the API says takes effect that day
        looked = await client.post(
            "/graphql",
            json={"query": ENTRIES, "variables": {"id": FIRM.identifier}},
            headers=bank,
        )
    entries = looked.json()["data"]["subject"]["listEntries"]
    assert (day + timedelta(days=1)).isoformat() in [item["inForceFrom"] for item in entries]


ENTRIES = """query($id: String!) { subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
  listEntries { id inForceFrom } } }"""


async def test_a_bank_hears_of_an_approved_repair_and_another_bank_does_not(
    writable_pool: asyncpg.Pool, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    day = await today(writable_pool)
    entry = await list_entry(writable_pool, FIRM, day - timedelta(20), day - timedelta(10))
    application: int = await writable_pool.fetchval(
        "insert into public_records.repair_applications (entry_id, evidence)"
        " values ($1, 'all taxes paid') returning id",
        entry,
    )
    hub = LiveHub(writable_pool, relays=(MeasureNotices(writable_pool, interval=3600),))
    eastbridge = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "post-loan desk")
    westlake = bearer(tmp_path, "BANK", WESTLAKE_BANK.code, "post-loan desk")
    async with (
        served(writable_pool, tmp_path, hub) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream("GET", "/live", headers=westlake) as other,
        client.stream("GET", "/live", headers=eastbridge) as stream,
    ):
        assert (stream.status_code, other.status_code) == (200, 200)
        lines = stream.aiter_lines()
        # the listing body approves it, as `creditgraph repairs decide` does
        conn = await asyncpg.connect(writable_seeded_database_url)
        try:
            async with conn.transaction():
                await decisions.decide_repair(conn, application, "APPROVED", "all paid")
        finally:
            await conn.close()
        notice = await asyncio.wait_for(next_notice(lines), 30)
        assert notice == {"kind": "measureNotice", "subject": FIRM.identifier}
        # Westlake lends nothing to Yuanhang: nothing was queued for it when Eastbridge's
        # notice was (one relay run delivers them all at once), so the first it hears is this
        await writable_pool.execute(
            "select pg_notify('creditgraph_live', $1)",
            json.dumps({"topic": f"institution:{WESTLAKE_BANK.code}", "kind": "marker"}),
        )
        assert await asyncio.wait_for(next_notice(other.aiter_lines()), 30) == {"kind": "marker"}


async def test_streams_are_bounded_per_subject(writable_pool: asyncpg.Pool, tmp_path: Path) -> None:
    hub = LiveHub(writable_pool, per_topic=2)
    headers = bearer(tmp_path, "SUBJECT", HUSBAND)
    async with (
        served(writable_pool, tmp_path, hub) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream("GET", "/live", headers=headers) as first,
        client.stream("GET", "/live", headers=headers) as second,
    ):
        assert (first.status_code, second.status_code) == (200, 200)
        third = await client.get("/live", headers=headers)
        assert third.status_code == 429
        assert third.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # another subject still has room
        async with client.stream(
            "GET", "/live", headers=bearer(tmp_path, "SUBJECT", WIFE)
        ) as other:
            assert other.status_code == 200
