"""`creditgraph mandates`: granting and ending a government body's mandate, as an operator would.

The gateway must follow the change on the very next request, and a refused change must leave
the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from creditgraph.access import mandates
from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_demo_token
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.identifiers import make_uscc
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.cli_helpers import assert_one_line_error, cli_env, run_cli

HUSBAND = PERSONA["husband"].identifier
NEW_AGENCY = make_uscc("1", "1", "330100", "MA0000001")
NEW_AGENCY_NAME = "杭州市公共信用信息中心 Public Credit Centre"
REPORT = """
query($id: String!, $purpose: InquiryPurpose!) {
  subject(identifier: $id, purpose: $purpose) { name dishonestListings { caseNumber } }
}
"""


@pytest.fixture
def guarded(writable_pool: asyncpg.Pool) -> PolicyGateway:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = Gateway(supergraph, InProcessTransport(schemas, writable_pool))
    return PolicyGateway(gateway, Policy.load(policy_path()), writable_pool)


def requester_from_token(home: Path, code: str) -> Requester:
    """The requester a demo GOVERNMENT token for `code` authenticates as."""
    token = mint_demo_token(home, "GOVERNMENT", code, "inspector Zhou", env={})
    requester = TokenVerifier.from_settings(home, {}).verify(f"Bearer {token}")
    assert requester is not None
    return requester


async def report(guarded: PolicyGateway, requester: Requester, purpose: str) -> dict[str, Any]:
    variables = {"id": HUSBAND, "purpose": purpose}
    prepared = guarded.prepare(REPORT, variables, None)
    return await guarded.record(await guarded.run(prepared, dict(variables), requester, "test"))


def edition_or_refusal(response: dict[str, Any]) -> str:
    """GOVERNMENT when the report was served in that edition, else the refusal's code."""
    if response["data"]["subject"] is not None:
        assert response["data"]["subject"]["name"] == PERSONA["husband"].name
        return "GOVERNMENT"
    (error,) = response["errors"]
    return str(error["extensions"]["code"])


def listed(env: dict[str, str]) -> list[dict[str, Any]]:
    result = run_cli("mandates", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    documents: list[dict[str, Any]] = orjson.loads(result.stdout)
    return documents


async def test_a_granted_mandate_opens_its_purpose_only_and_ending_it_closes_it(
    guarded: PolicyGateway, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    agency = requester_from_token(tmp_path, NEW_AGENCY)
    # an unknown body gets nothing
    assert edition_or_refusal(await report(guarded, agency, "PUBLIC_CREDIT_CHECK")) == (
        "CONSENT_REQUIRED"
    )

    granted = run_cli(
        "mandates", "grant", "--agency", NEW_AGENCY, "--purpose", "PUBLIC_CREDIT_CHECK",
        "--legal-basis", "社会信用体系建设 regulations, art. 12", "--name", NEW_AGENCY_NAME,
        env=env,
    )  # fmt: skip
    assert granted.returncode == 0, granted.stderr
    assert f"registered {NEW_AGENCY}" in granted.stdout
    assert edition_or_refusal(await report(guarded, agency, "PUBLIC_CREDIT_CHECK")) == "GOVERNMENT"
    assert edition_or_refusal(await report(guarded, agency, "JUDICIAL_ENFORCEMENT")) == (
        "CONSENT_REQUIRED"
    )
    (mine,) = [item for item in listed(env) if item["agency_code"] == NEW_AGENCY]
    assert mine["agency_name"] == NEW_AGENCY_NAME
    assert (mine["purpose"], mine["edition"], mine["live"]) == (
        "PUBLIC_CREDIT_CHECK",
        "GOVERNMENT",
        True,
    )
    assert mine["valid_until"] is None
    text = run_cli("mandates", "list", env=env).stdout
    assert f"{NEW_AGENCY}  {NEW_AGENCY_NAME}\n  PUBLIC_CREDIT_CHECK: GOVERNMENT edition" in text

    ended = run_cli(
        "mandates", "end", "--agency", NEW_AGENCY, "--purpose", "PUBLIC_CREDIT_CHECK", env=env
    )
    assert ended.returncode == 0, ended.stderr
    assert edition_or_refusal(await report(guarded, agency, "PUBLIC_CREDIT_CHECK")) == (
        "CONSENT_REQUIRED"
    )
    (mine,) = [item for item in listed(env) if item["agency_code"] == NEW_AGENCY]
    assert mine["live"] is False
    assert mine["valid_until"] == mine["valid_from"]  # ended the day it began: never in force


async def snapshot(url: str) -> tuple[list[asyncpg.Record], ...]:
    conn = await asyncpg.connect(url)
    try:
        return (
            await conn.fetch("select * from gateway.requesters order by id"),
            await conn.fetch("select * from gateway.mandates order by id"),
        )
    finally:
        await conn.close()


BASIS = ["--legal-basis", "Civil Procedure Law, art. 255"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["grant", "--agency", "91330100MA0000000X", "--purpose", "PUBLIC_CREDIT_CHECK", *BASIS],
            "unified social credit code",
        ),
        (
            ["grant", "--agency", EASTBRIDGE_BANK.code, "--purpose", "PUBLIC_CREDIT_CHECK", *BASIS],
            "registered as a bank",
        ),
        (
            ["grant", "--agency", NEW_AGENCY, "--purpose", "PUBLIC_CREDIT_CHECK", *BASIS],
            "give --name",
        ),
        (
            [
                "grant", "--agency", NEW_AGENCY, "--purpose", "PUBLIC_CREDIT_CHECK",
                "--legal-basis", "   ", "--name", NEW_AGENCY_NAME,
            ],
            "legal basis must not be empty",
        ),
        (
            [
                "grant", "--agency", NEW_AGENCY, "--purpose", "PUBLIC_CREDIT_CHECK",
                "--legal-basis", "x" * 501, "--name", NEW_AGENCY_NAME,
            ],
            "at most 500",
        ),
        (
            [
                "grant", "--agency", NEW_AGENCY, "--purpose", "PUBLIC_CREDIT_CHECK", *BASIS,
                "--name", NEW_AGENCY_NAME, "--from", "2031-01-01", "--until", "2030-01-01",
            ],
            "must be after --from",
        ),
        (
            # the seed gives the tax bureau a PUBLIC_CREDIT_CHECK mandate from 2020 with no end
            ["grant", "--agency", TAX_BUREAU.code, "--purpose", "PUBLIC_CREDIT_CHECK", *BASIS],
            "already holds a PUBLIC_CREDIT_CHECK mandate from 2020-01-01 with no end",
        ),
        (
            ["end", "--agency", TAX_BUREAU.code, "--purpose", "JUDICIAL_ENFORCEMENT"],
            "holds no live or coming JUDICIAL_ENFORCEMENT mandate",
        ),
        (
            [
                "end", "--agency", TAX_BUREAU.code, "--purpose", "PUBLIC_CREDIT_CHECK",
                "--on", "2021-01-01",
            ],
            "is in the past",
        ),
    ],
)  # fmt: skip
async def test_a_refused_change_says_why_in_one_line_and_writes_nothing(
    writable_seeded_database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    before = await snapshot(writable_seeded_database_url)
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    result = run_cli("mandates", *args, env=env)
    assert_one_line_error(result, message)
    assert await snapshot(writable_seeded_database_url) == before


async def test_a_mandate_ended_on_its_first_day_may_be_granted_again_that_day(
    writable_pool: asyncpg.Pool,
) -> None:
    async with writable_pool.acquire() as conn:
        first = await mandates.grant(
            conn,
            agency=NEW_AGENCY,
            purpose="JUDICIAL_ENFORCEMENT",
            legal_basis="court order 2026-17",
            name=NEW_AGENCY_NAME,
        )
        assert first.registered
        await mandates.end(conn, agency=NEW_AGENCY, purpose="JUDICIAL_ENFORCEMENT")
        again = await mandates.grant(
            conn, agency=NEW_AGENCY, purpose="JUDICIAL_ENFORCEMENT", legal_basis="court order 18"
        )
        assert not again.registered  # the same requester, found by its code
        mine = [m for m in await mandates.list_mandates(conn) if m.agency_code == NEW_AGENCY]
    assert [(m.legal_basis, m.live) for m in mine] == [
        ("court order 2026-17", False),
        ("court order 18", True),
    ]


async def test_a_later_end_keeps_the_mandate_live_until_that_day(
    writable_pool: asyncpg.Pool,
) -> None:
    async with writable_pool.acquire() as conn:
        ended = await mandates.end(
            conn,
            agency=f" {TAX_BUREAU.code} ",
            purpose="PUBLIC_CREDIT_CHECK",
            on=await conn.fetchval("select current_date + 30"),
        )
        assert ended.live
        assert ended.valid_until is not None
        # ending cannot lengthen it again
        with pytest.raises(mandates.MandateRefused, match="already ends on"):
            await mandates.end(
                conn,
                agency=TAX_BUREAU.code,
                purpose="PUBLIC_CREDIT_CHECK",
                on=await conn.fetchval("select current_date + 60"),
            )


async def test_the_database_refuses_overlapping_mandates_from_any_writer(
    writable_pool: asyncpg.Pool,
) -> None:
    async with writable_pool.acquire() as conn:
        agency_id = await conn.fetchval(
            "select id from gateway.requesters where role = 'GOVERNMENT' and identifier = $1",
            TAX_BUREAU.code,
        )
        with pytest.raises(asyncpg.ExclusionViolationError):
            await conn.execute(
                "insert into gateway.mandates (agency_id, purpose, edition, legal_basis,"
                " valid_from) values ($1, 'PUBLIC_CREDIT_CHECK', 'GOVERNMENT', 'again',"
                " date '2025-01-01')",
                agency_id,
            )


async def test_ending_a_mandate_before_it_begins_cancels_it(writable_pool: asyncpg.Pool) -> None:
    async with writable_pool.acquire() as conn:
        starts = await conn.fetchval("select current_date + 10")
        await mandates.grant(
            conn,
            agency=NEW_AGENCY,
            purpose="PUBLIC_CREDIT_CHECK",
            legal_basis="decision 2026-40",
            name=NEW_AGENCY_NAME,
            valid_from=starts,
        )
        cancelled = await mandates.end(conn, agency=NEW_AGENCY, purpose="PUBLIC_CREDIT_CHECK")
        assert (cancelled.valid_from, cancelled.valid_until, cancelled.live) == (
            starts,
            starts,
            False,
        )
        # nothing is left to end, and the day is free for a new mandate
        with pytest.raises(mandates.MandateRefused, match="no live or coming"):
            await mandates.end(conn, agency=NEW_AGENCY, purpose="PUBLIC_CREDIT_CHECK")
        await mandates.grant(
            conn,
            agency=NEW_AGENCY,
            purpose="PUBLIC_CREDIT_CHECK",
            legal_basis="decision 2026-41",
            valid_from=starts,
        )
