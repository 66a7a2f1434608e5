"""`POST /furnish` over real HTTP (uvicorn on a socket), and the report that reads it next."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from creditgraph.seed.personas import EASTBRIDGE_BANK, XIHU_COURT
from creditgraph.server import build_app
from tests.applications import authorised_application
from tests.http_app import (
    bearer,
    furnisher,
    furnishing_access,
    in_process_gateway,
    uvicorn_serving,
)

NEW_PERSON = "110101199003070011"
ACCOUNT = {
    "kind": "ACCOUNT",
    "accountNumber": "CL-2026-4411",
    "accountType": "CONSUMER_LOAN",
    "principal": "30000.00",
    "termMonths": 12,
    "balance": "30000.00",
    "openedOn": "2026-09-01",
    "status": "NORMAL",
    "reportedOn": "2026-10-31",
    "borrowerIdentifier": NEW_PERSON,
    "borrowerName": "Zhao Lei",
}


def month(period: str, status: str = "N", overdue: str = "0", **more: str) -> dict[str, str]:
    return {
        "kind": "STATEMENT",
        "accountNumber": "CL-2026-4411",
        "period": period,
        "status": status,
        "amountDue": "2600.00",
        "amountPaid": "2600.00" if status == "N" else "0",
        "overdueAmount": overdue,
        "balance": "27400.00",
        **more,
    }


async def body(lines: list[Any]) -> AsyncIterator[bytes]:
    """The upload sent a line at a time, as a streaming client sends a file."""
    for line in lines:
        yield (line if isinstance(line, str) else json.dumps(line)).encode() + b"\n"


def answers(response: httpx.Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    assert response.headers["content-type"].startswith("application/x-ndjson")
    found = [json.loads(line) for line in response.text.splitlines()]
    return found[:-1], found[-1]["summary"]


async def test_a_bank_uploads_and_the_next_report_shows_it(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    gateway = in_process_gateway(writable_pool)
    access = furnishing_access(gateway, writable_pool, tmp_path)
    app = build_app(gateway, pool=writable_pool, access=access)
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        lines = [ACCOUNT, month("2026-09"), month("2026-10"), month("2026-10"), "{"]
        response = await client.post(
            "/furnish",
            content=body(lines),
            headers={**bank, "content-type": "application/jsonl"},
        )
        assert response.status_code == 200
        rejected, summary = answers(response)
        assert [(r["line"], r["field"]) for r in rejected] == [(4, "period"), (5, None)]
        assert (summary["accepted"], summary["rejected"]) == (3, 2)

        # the subject's next request shows the account and its months
        query = (
            "{ me { accounts { nodes { account { repaymentGrid { latestMonth statuses } } } } } }"
        )
        report = await client.post(
            "/graphql",
            json={"query": query},
            headers=bearer(tmp_path, "SUBJECT", NEW_PERSON),
        )
        (node,) = report.json()["data"]["me"]["accounts"]["nodes"]
        assert node["account"]["repaymentGrid"]["latestMonth"] == "2026-10-01"
        assert node["account"]["repaymentGrid"]["statuses"].startswith("NN")

        # CSV, the same way in
        csv = [
            "kind,accountNumber,period,status,amountDue,amountPaid,overdueAmount,balance,subjectNotifiedOn",
            "STATEMENT,CL-2026-4411,2026-11,1,2600.00,0,2600.00,27400.00,2026-11-25",
        ]
        response = await client.post(
            "/furnish", content=body(csv), headers={**bank, "content-type": "text/csv"}
        )
        assert answers(response) == (
            [],
            {
                **summary,
                "submission": summary["submission"] + 1,
                "lines": 1,
                "accepted": 1,
                "rejected": 0,
            },
        )

        # a reading token, or none, furnishes nothing; a body of another type neither
        reader = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "officer")
        for headers in (reader, {}):
            refused = await client.post(
                "/furnish", content=b"{}\n", headers={**headers, "content-type": "text/csv"}
            )
            assert refused.status_code == 401
            assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        refused = await client.post(
            "/furnish", content=b"{}\n", headers={**bank, "content-type": "application/json"}
        )
        assert refused.status_code == 415

        # a court's upload, all or nothing: one bad line and nothing is written
        court = furnisher(tmp_path, XIHU_COURT.code)
        case = {
            "kind": "ENFORCEMENT_CASE",
            "key": "K-1",
            "caseNumber": "(2026)浙0106执77号",
            "subjectIdentifier": NEW_PERSON,
            "subjectName": "Zhao Lei",
            "filedOn": "2026-11-02",
            "amount": "9000.00",
            "status": "IN_PROGRESS",
            "subjectNotifiedOn": "2026-11-03",
        }
        response = await client.post(
            "/furnish?allOrNothing=true",
            content=body([case, {**case, "key": "K-2", "amount": "-1"}]),
            headers={**court, "content-type": "application/jsonl"},
        )
        rejected, summary = answers(response)
        assert [(r["line"], r["field"]) for r in rejected] == [(2, "amount")]
        assert (summary["committed"], summary["accepted"]) == (False, 0)

    async with writable_pool.acquire() as conn:
        cases = await conn.fetchval(
            "select count(*) from public_records.enforcement_cases where subject_identifier = $1",
            NEW_PERSON,
        )
        assert cases == 0
        entries = await conn.fetch(
            "select role, requester, decision, detail->>'accepted' as accepted "
            "from gateway.audit_log where operation like 'furnish%' order by seq"
        )
    assert [tuple(e) for e in entries] == [
        ("FURNISHER", EASTBRIDGE_BANK.code, "PARTIAL", "3"),
        ("FURNISHER", EASTBRIDGE_BANK.code, "ALLOWED", "1"),
        # a reading token is known for whom it is, and furnishes nothing; no token at all
        ("BANK", EASTBRIDGE_BANK.code, "DENIED", None),
        (None, None, "DENIED", None),
        ("FURNISHER", EASTBRIDGE_BANK.code, "DENIED", None),
        ("FURNISHER", XIHU_COURT.code, "DENIED", "0"),
    ]


SCORE_AND_SIGNALS = """
query($id: String!) {
  subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
    scores(scale: BUREAU) { value reasons { code impact } }
    creditSummary { overdueMonths24m currentOverdueAccounts }
    accounts { nodes { account { repaymentGrid { latestMonth statuses } } } }
  }
}
"""


async def test_what_is_accepted_shows_at_once_in_the_report_the_signals_and_the_score(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    """No job runs between the upload and the next look: the month, the summary counting it
    and the bureau score the scorecard gives the file with it are all there."""
    gateway = in_process_gateway(writable_pool)
    access = furnishing_access(gateway, writable_pool, tmp_path)
    app = build_app(gateway, pool=writable_pool, access=access)
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    officer = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "officer")

    async def look() -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": SCORE_AND_SIGNALS, "variables": {"id": NEW_PERSON}},
            headers=officer,
        )
        assert "errors" not in response.json(), response.json()
        found: dict[str, Any] = response.json()["data"]["subject"]
        return found

    async def upload(lines: list[Any]) -> dict[str, Any]:
        response = await client.post(
            "/furnish", content=body(lines), headers={**bank, "content-type": "application/jsonl"}
        )
        rejected, summary = answers(response)
        assert rejected == []
        return summary

    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        await upload([ACCOUNT, month("2026-09")])
        # the loan's application authorised the bank: what lets it manage the loan
        await authorised_application(
            writable_pool, NEW_PERSON, EASTBRIDGE_BANK.code, "LOAN_APPROVAL", date(2026, 9, 1)
        )
        before = await look()
        ((score_before),) = before["scores"]
        assert before["creditSummary"] == {"overdueMonths24m": 0, "currentOverdueAccounts": 0}
        assert "RECENT_DELINQUENCY" not in [r["code"] for r in score_before["reasons"]]

        overdue = month("2026-10", "1", "2600.00", subjectNotifiedOn="2026-10-20")
        batch = [{**ACCOUNT, "status": "OVERDUE", "subjectNotifiedOn": "2026-10-20"}, overdue]
        await upload(batch)
        after = await look()
        # the same records again change nothing, the score included: no new observation
        assert (await upload(batch))["unchanged"] == 2
        assert await look() == after
        # a month back in order ends the run: the score is made again, to be shown until the
        # overdue month it counts ages out, five years after the run ended
        await upload([month("2026-11")])

    (node,) = after["accounts"]["nodes"]
    assert node["account"]["repaymentGrid"]["statuses"].startswith("1N")
    assert after["creditSummary"] == {"overdueMonths24m": 1, "currentOverdueAccounts": 1}
    (score_after,) = after["scores"]
    assert score_after["value"] < score_before["value"]
    codes = [r["code"] for r in score_after["reasons"]]
    assert "CURRENT_OVERDUE" in codes
    assert "RECENT_DELINQUENCY" in codes
    async with writable_pool.acquire() as conn:
        observations = await conn.fetch(
            "select shown_until from scores.observations where subject_identifier = $1 "
            "order by observed_at",
            NEW_PERSON,
        )
    assert [o["shown_until"] for o in observations] == [None, None, date(2031, 11, 30)]


async def test_an_unreadable_batch_is_refused_and_recorded(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    """A CSV upload without a header the pipeline can read is refused before any line is
    taken in, and the refusal has its audit entry like every other request."""
    gateway = in_process_gateway(writable_pool)
    access = furnishing_access(gateway, writable_pool, tmp_path)
    app = build_app(gateway, pool=writable_pool, access=access)
    bank = furnisher(tmp_path, EASTBRIDGE_BANK.code)
    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        refused = await client.post(
            "/furnish",
            content=b"\xff\xfe\x00\x01",
            headers={**bank, "content-type": "text/csv"},
        )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    async with writable_pool.acquire() as conn:
        entries = await conn.fetch(
            "select role, requester, operation, decision, detail->'errors' as errors "
            "from gateway.audit_log where operation like 'furnish%' order by seq"
        )
    assert [tuple(e) for e in entries] == [
        ("FURNISHER", EASTBRIDGE_BANK.code, "furnish:UPLOAD", "DENIED", '["BAD_USER_INPUT"]')
    ]
