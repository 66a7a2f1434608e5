"""Post-loan management rests on the authorisation the subject gave when the credit was made,
over real HTTP: a bank that merely furnishes an account naming someone gains no look at
their report; one the subject authorised for the application before the account opened
does, and a guarantor's guarantee check opens the same for the guaranteed account's lender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from creditgraph.requester import Role
from creditgraph.seed.personas import EASTBRIDGE_BANK, WESTLAKE_BANK
from creditgraph.server import build_app
from tests.applications import authorised_application
from tests.http_app import (
    bearer,
    furnisher,
    furnishing_access,
    in_process_gateway,
    uvicorn_serving,
)
from tests.test_furnishing_http import answers, body

BORROWER = "110101199003070011"
GUARANTOR = "110101198805120020"
LOOK = """query($id: String!) {
  subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) { identifier accounts { totalCount } }
}"""
GRANT = """mutation($bank: String!, $purpose: InquiryPurpose!) {
  grantConsent(grantee: $bank, purpose: $purpose, edition: BANK) { id state }
}"""
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { id state } }"


def account(number: str, subject: str, name: str, opened_on: date, kind: str) -> dict[str, Any]:
    """An account line as a furnisher sends it: a loan, or a card with its limit."""
    amounts = (
        {"creditLimit": "20000.00"}
        if kind == "CREDIT_CARD"
        else {"principal": "30000.00", "termMonths": 12}
    )
    return {
        "kind": "ACCOUNT",
        "accountNumber": number,
        "accountType": kind,
        **amounts,
        "balance": "0.00" if kind == "CREDIT_CARD" else "30000.00",
        "openedOn": opened_on.isoformat(),
        "status": "NORMAL",
        "reportedOn": opened_on.isoformat(),
        "borrowerIdentifier": subject,
        "borrowerName": name,
    }


@dataclass
class Bureau:
    """The product over a socket, and the ways into it the tests use."""

    client: httpx.AsyncClient
    home: Path
    pool: asyncpg.Pool

    async def furnish(self, bank: str, line: dict[str, Any]) -> None:
        response = await self.client.post(
            "/furnish",
            content=body([line]),
            headers={**furnisher(self.home, bank), "content-type": "application/jsonl"},
        )
        rejected, summary = answers(response)
        assert (rejected, summary["accepted"]) == ([], 1), (rejected, summary)

    async def ask(self, role: Role, who: str, query: str, variables: dict[str, Any]) -> Any:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(self.home, role, who, "officer" if role == "BANK" else None),
        )
        return response.json()

    async def look(self, subject: str, bank: str = EASTBRIDGE_BANK.code) -> str | None:
        """What a bank's post-loan look at `subject` meets: None when it sees the report,
        else the refusal's code, which the audit log must record as a DENIED look."""
        answer = await self.ask("BANK", bank, LOOK, {"id": subject})
        decision = await self.pool.fetchval(
            "select decision from gateway.audit_log where requester = $1 and $2 = any(subjects) "
            "order by seq desc limit 1",
            bank,
            subject,
        )
        if answer.get("data", {}).get("subject") is not None:
            assert decision == "ALLOWED"
            assert answer["data"]["subject"]["identifier"] == subject
            return None
        assert decision == "DENIED"
        (error,) = answer["errors"]
        return str(error["extensions"]["code"])

    async def grant(self, subject: str, bank: str, purpose: str) -> str:
        answer = await self.ask("SUBJECT", subject, GRANT, {"bank": bank, "purpose": purpose})
        assert answer["data"]["grantConsent"]["state"] == "ACTIVE", answer
        return str(answer["data"]["grantConsent"]["id"])


async def application(pool: asyncpg.Pool, given: date, *, revoked: date) -> None:
    """The borrower's loan application's authorisation of Eastbridge, revoked later."""
    await authorised_application(
        pool, BORROWER, EASTBRIDGE_BANK.code, "LOAN_APPROVAL", given, revoked=revoked
    )


@asynccontextmanager
async def bureau(home: Path, pool: asyncpg.Pool) -> AsyncIterator[Bureau]:
    gateway = in_process_gateway(pool)
    access = furnishing_access(gateway, pool, home)
    app = build_app(gateway, pool=pool, access=access)
    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield Bureau(client, home, pool)


async def test_a_furnished_account_opens_post_loan_only_under_the_application_s_authorisation(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    today: date = await writable_pool.fetchval("select current_date")
    async with bureau(tmp_path, writable_pool) as product:
        # a bank names someone who never authorised it as its borrower: no look
        await product.furnish(
            EASTBRIDGE_BANK.code,
            account("CL-2026-0901", BORROWER, "Zhao Lei", date(2026, 9, 1), "CONSUMER_LOAN"),
        )
        assert await product.look(BORROWER) == "CONSENT_REQUIRED"

        # an authorisation given after the account opened does not reach back to it
        await product.grant(BORROWER, EASTBRIDGE_BANK.code, "LOAN_APPROVAL")
        assert await product.look(BORROWER) == "CONSENT_REQUIRED"

        # nor does one for another purpose: a card made on the loan's authorisation
        await product.furnish(
            EASTBRIDGE_BANK.code,
            account("CC-2026-0001", BORROWER, "Zhao Lei", today, "CREDIT_CARD"),
        )
        assert await product.look(BORROWER) == "CONSENT_REQUIRED"

        # an authorisation the subject revoked before the account opened counts for nothing;
        # one revoked after it opened still does: post-loan management needs no new consent
        await application(writable_pool, date(2026, 8, 20), revoked=date(2026, 8, 25))
        assert await product.look(BORROWER) == "CONSENT_REQUIRED"
        await application(writable_pool, date(2026, 8, 20), revoked=date(2026, 10, 1))
        assert await product.look(BORROWER) is None
        inquiry = await writable_pool.fetchrow(
            "select i.purpose, i.grant_id from gateway.inquiries i "
            "join gateway.requesters r on r.id = i.requester_id "
            "where i.subject_identifier = $1 and r.identifier = $2 order by i.id desc limit 1",
            BORROWER,
            EASTBRIDGE_BANK.code,
        )
        assert inquiry is not None
        assert tuple(inquiry) == ("POST_LOAN_MANAGEMENT", None)

        # another bank: a card opened on the day the subject authorised it, after it, is open
        # to it; revoked on that same day, the authorisation leaves it unknown which came
        # first, and counts for nothing
        card_grant = await product.grant(BORROWER, WESTLAKE_BANK.code, "CREDIT_CARD_APPROVAL")
        await product.furnish(
            WESTLAKE_BANK.code, account("CC-2026-7777", BORROWER, "Zhao Lei", today, "CREDIT_CARD")
        )
        assert await product.look(BORROWER, WESTLAKE_BANK.code) is None
        await product.ask("SUBJECT", BORROWER, REVOKE, {"id": card_grant})
        assert await product.look(BORROWER, WESTLAKE_BANK.code) == "CONSENT_REQUIRED"


async def test_a_guarantor_is_open_to_the_lender_only_under_their_guarantee_check(
    tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    today: date = await writable_pool.fetchval("select current_date")
    async with bureau(tmp_path, writable_pool) as product:
        await product.furnish(
            WESTLAKE_BANK.code,
            account("CL-2026-5501", GUARANTOR, "Qian Hua", date(2026, 5, 1), "CONSUMER_LOAN"),
        )
        await product.grant(BORROWER, EASTBRIDGE_BANK.code, "LOAN_APPROVAL")
        await product.furnish(
            EASTBRIDGE_BANK.code, account("CL-2026-1204", BORROWER, "Zhao Lei", today, "MORTGAGE")
        )
        # the guarantee itself is not furnished by this product: the bureau's record of it
        await writable_pool.execute(
            """
            insert into bureau.guarantees
                (guarantor_id, account_id, contract_number, kind, amount, starts_on, status)
            select s.id, a.id, 'GC-2026-1204', 'JOINT_AND_SEVERAL', 30000, $3, 'ACTIVE'
            from bureau.subjects s, bureau.credit_accounts a
            where s.identifier = $1 and a.account_number = $2
            """,
            GUARANTOR,
            "CL-2026-1204",
            today,
        )
        assert await product.look(BORROWER) is None
        # standing behind the loan without having authorised the lender opens nothing
        assert await product.look(GUARANTOR) == "CONSENT_REQUIRED"
        # a loan-approval grant is not the guarantor's authorisation; a guarantee check is
        await product.grant(GUARANTOR, EASTBRIDGE_BANK.code, "LOAN_APPROVAL")
        assert await product.look(GUARANTOR) == "CONSENT_REQUIRED"
        await product.grant(GUARANTOR, EASTBRIDGE_BANK.code, "GUARANTEE_CHECK")
        assert await product.look(GUARANTOR) is None
