"""What `creditgraph up` shows a newcomer: a requester of each kind, ready to paste.

The demo's married couple is seen four ways, one per edition: by the husband
himself (SUBJECT), by Eastbridge Commercial Bank managing his open loans
(BANK: post-loan management needs no new grant, the authorisations he signed
when he applied for them cover it), by Harbour Consumer Finance under
a SOCIAL-edition grant `up` has him give (SOCIAL), and by
the tax bureau under its mandate (GOVERNMENT). GraphiQL's example tabs are the
trusted operations, each preset as the requester it is written for — with a
working token only when the page cannot be reached from another machine
(`hands_out_tokens`): a page that gives anyone who reaches it a bank's token
would be a way around every consent.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rich.console import Console

from creditgraph.access.tokens import mint_demo_token
from creditgraph.errors import CreditgraphError
from creditgraph.gateway.persisted_queries import PersistedQueries
from creditgraph.gateway.stages.pipeline import PolicyStage
from creditgraph.graphiql import ExampleTab, OperationPreset, tabs_from_operations
from creditgraph.requester import Requester
from creditgraph.resources import operations_root
from creditgraph.seed.personas import (
    EASTBRIDGE_BANK,
    HARBOUR_FINANCE,
    PERSONA,
    PERSONAS,
    TAX_BUREAU,
)

HUSBAND: Final = PERSONA["husband"].identifier
SOCIAL_PURPOSE: Final = "CREDIT_CARD_APPROVAL"

_QUERY = (
    'query { subject(identifier: "%s", purpose: %s) { name identifier '
    "creditSummary { seriousDelinquency fourNots { passed } } "
    "accounts { nodes { role account { kind status lender { name } } } } "
    "dishonestListings { caseNumber active } } }"
)


def demo_query(purpose: str) -> str:
    """The husband's report as the demo requesters ask for it, for one purpose."""
    return _QUERY % (HUSBAND, purpose)


@dataclass(frozen=True, slots=True)
class DemoRequesters:
    """Fresh demo tokens, one per edition the husband's report comes in."""

    subject: str
    bank: str
    social: str
    government: str

    @classmethod
    def mint(cls, home: Path) -> DemoRequesters:
        operator = "demo-operator"
        return cls(
            subject=mint_demo_token(home, "SUBJECT", HUSBAND, None),
            bank=mint_demo_token(home, "BANK", EASTBRIDGE_BANK.code, operator),
            social=mint_demo_token(home, "BANK", HARBOUR_FINANCE.code, operator),
            government=mint_demo_token(home, "GOVERNMENT", TAX_BUREAU.code, operator),
        )

    def each(self) -> list[tuple[str, str, str]]:
        """(who, token, purpose) per requester, in the order they are shown."""
        return [
            ("the subject, self view (SUBJECT edition)", self.subject, "SELF"),
            (
                f"{EASTBRIDGE_BANK.name}, post-loan management (BANK edition)",
                self.bank,
                "POST_LOAN_MANAGEMENT",
            ),
            (
                f"{HARBOUR_FINANCE.name}, under a social-scope grant (SOCIAL edition)",
                self.social,
                SOCIAL_PURPOSE,
            ),
            (
                f"{TAX_BUREAU.name}, public-credit check (GOVERNMENT edition)",
                self.government,
                "PUBLIC_CREDIT_CHECK",
            ),
        ]


_GRANTS = "query { me { consentGrants { granteeCode purpose edition state } } }"


async def ensure_social_consent(policy: PolicyStage) -> None:
    """The husband grants Harbour Consumer Finance the SOCIAL edition, unless he has.

    Done through the gateway itself, as the husband would from GraphiQL, so the
    grant and its audit entry are the product's own. Without the demo couple
    (a database loaded with other data) there is nothing to do.
    """
    husband = Requester("SUBJECT", HUSBAND, None)
    listed = await _ask(policy, husband, _GRANTS, {})
    me = listed["data"]["me"] if listed.get("data") else None
    if me is None:
        return
    wanted = {
        "granteeCode": HARBOUR_FINANCE.code,
        "purpose": SOCIAL_PURPOSE,
        "edition": "SOCIAL",
        "state": "ACTIVE",
    }
    if wanted not in (me["consentGrants"] or []):
        variables = {
            "grantee": HARBOUR_FINANCE.code,
            "purpose": SOCIAL_PURPOSE,
            "edition": "SOCIAL",
        }
        grant = (operations_root() / "grant_consent.graphql").read_text(encoding="utf-8")
        await _ask(policy, husband, grant, variables)


async def _ask(
    policy: PolicyStage, requester: Requester, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    prepared = policy.prepare(query, variables, None)
    answer = await policy.record(await policy.run(prepared, variables, requester, "demo"))
    if answer.get("errors"):
        raise CreditgraphError(f"setting up the demo's SOCIAL grant failed: {answer['errors']}")
    return answer


def print_demo_tokens(console: Console, demo: DemoRequesters, url: str) -> None:
    """A ready token and query per requester."""
    console.print("\nDemo requesters (tokens valid one hour; `creditgraph token` mints more):")
    for label, token, purpose in demo.each():
        console.print(f"\n[bold]{label}[/bold]", soft_wrap=True)
        console.print(f"  Authorization: Bearer {token}", soft_wrap=True, highlight=False)
        console.print(f"  {demo_query(purpose)}", soft_wrap=True, highlight=False)
    console.print(f"\nPOST them to {url}\n")


def hands_out_tokens(host: str, *, demo_tokens: bool = False) -> bool:
    """Whether GraphiQL's tabs may carry working demo tokens for a server listening on `host`.

    Only on a loopback address (`127.0.0.1`, `::1`, `localhost`), where nobody but this
    machine's users reaches the page, unless the operator says so in so many words
    (`creditgraph up --demo-tokens`). Any other address, a wildcard such as `0.0.0.0`
    included, gets tabs without tokens.
    """
    if demo_tokens or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def demo_tabs(home: Path, *, tokens: bool = True) -> list[ExampleTab]:
    """GraphiQL's tabs: the trusted operations, each as the demo requester it is written for.

    Called on every page load, so the page never offers an expired token. Without
    `tokens`, the tabs carry no Authorization header: a visitor brings their own.
    """
    subject = bank = social = government = None
    if tokens:
        demo = DemoRequesters.mint(home)
        subject, bank, social, government = demo.subject, demo.bank, demo.social, demo.government
    husband = {"identifier": HUSBAND}
    return tabs_from_operations(
        operations_root(),
        {
            "subject_self.graphql": OperationPreset(subject),
            "grant_consent.graphql": OperationPreset(
                subject, {"grantee": EASTBRIDGE_BANK.code, "purpose": "LOAN_APPROVAL"}
            ),
            "revoke_consent.graphql": OperationPreset(subject),
            # the bank's authorisation is pending until the husband confirms (or refuses) it
            "record_authorisation.graphql": OperationPreset(
                bank,
                {"subject": HUSBAND, "purpose": "LOAN_APPROVAL", "evidence": "signed form #1"},
            ),
            "confirm_authorisation.graphql": OperationPreset(subject),
            "refuse_authorisation.graphql": OperationPreset(subject),
            "bank_underwriting.graphql": OperationPreset(bank, husband),
            "subject_card.graphql": OperationPreset(social, {**husband, "purpose": SOCIAL_PURPOSE}),
            "government_public_credit.graphql": OperationPreset(government, husband),
            # the subject's rights: the record to dispute is one the subject's own view lists
            "file_dispute.graphql": OperationPreset(subject, {"reason": "This is not my record."}),
            "add_statement.graphql": OperationPreset(
                subject, {"text": "The 2023 overdue months were a bank transfer error."}
            ),
            "place_fraud_alert.graphql": OperationPreset(
                subject, {"contactPhone": "13800138000", "note": "Call me before lending."}
            ),
            "lift_fraud_alert.graphql": OperationPreset(subject),
        },
    )


def portal_personas(home: Path, env: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """The demo people the portal's visitor may sign in as, each with a fresh subject token.

    Called on every sign-in page load, like GraphiQL's tabs, so a token is never stale.
    Organisations are left out: their tokens name a legal representative, and the portal's
    visitor signs in as a person.
    """
    return [
        {
            "key": persona.key,
            "name": persona.name,
            "identifier": persona.identifier,
            "story": persona.story,
            "token": mint_demo_token(home, "SUBJECT", persona.identifier, None, env=env),
        }
        for persona in PERSONAS
        if persona.kind == "PERSON"
    ]


def print_trusted_only(console: Console, queries: PersistedQueries) -> None:
    """Under --trusted-only the demo queries above are refused: how to send a trusted one."""
    card = next(op for op in queries.trusted.values() if op.name == "SubjectCard")
    body = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": card.sha256}},
        "variables": {"identifier": HUSBAND, "purpose": "SELF"},
    }
    console.print(
        f"trusted-only: only the {len(queries.trusted)} operations in graphql/operations run, "
        f"by hash or exact text; e.g. the subject's {card.path.name}:",
        soft_wrap=True,
    )
    console.print(f"  {json.dumps(body)}\n", soft_wrap=True, highlight=False)
