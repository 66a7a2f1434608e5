"""The grant state, requesters and comparison shared by the no-leak and traversal tests.

`set_up_world` writes a known grant state over the seeded personas: live BANK
and SOCIAL grants, an expired one and revoked ones, for several banks and
purposes, so that every way an edition is decided (own report, grant, open
lending, mandate, nothing) is met at the root and at reached records; and a
former marriage beside a current one. `Harness.check` sends one operation
through the policy gateway and the plain gateway, and holds the policy
gateway's answer against both oracles: the one reading the policy, and the one
built on ownership that does not.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import asyncpg
from graphql import parse, print_ast

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import (
    BANKS,
    EASTBRIDGE_BANK,
    HARBOUR_FINANCE,
    PERSONA,
    TAX_BUREAU,
    WESTLAKE_BANK,
    XIHU_COURT,
)
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests import ownership_oracle
from tests.edition_oracle import (
    Oracle,
    World,
    augment,
    canonical_references,
    extra_paths,
    load_world,
    other_errors,
    policy_errors,
)
from tests.http_app import UNLIMITED

HUSBAND: Final = PERSONA["husband"].identifier
WIFE: Final = PERSONA["wife"].identifier
GUARANTOR: Final = PERSONA["guarantor"].identifier
CIRCLE_A: Final = PERSONA["circle_a"].identifier
CIRCLE_B: Final = PERSONA["circle_b"].identifier
CIRCLE_C: Final = PERSONA["circle_c"].identifier
DEBTOR: Final = PERSONA["debtor"].identifier

SUBJECT_HUSBAND: Final = Requester("SUBJECT", HUSBAND, None)
SUBJECT_WIFE: Final = Requester("SUBJECT", WIFE, None)
SUBJECT_DEBTOR: Final = Requester("SUBJECT", DEBTOR, None)
EASTBRIDGE: Final = Requester("BANK", EASTBRIDGE_BANK.code, "operator-7")
WESTLAKE: Final = Requester("BANK", WESTLAKE_BANK.code, "operator-9")
HARBOUR: Final = Requester("BANK", HARBOUR_FINANCE.code, "operator-3")
AGENCY: Final = Requester("GOVERNMENT", TAX_BUREAU.code, "inspector")
COURT: Final = Requester("GOVERNMENT", XIHU_COURT.code, "bailiff")
REQUESTERS: Final = (
    SUBJECT_HUSBAND,
    SUBJECT_WIFE,
    SUBJECT_DEBTOR,
    EASTBRIDGE,
    WESTLAKE,
    HARBOUR,
    AGENCY,
    COURT,
)

# (subject, bank, purpose, edition, state, data period in months)
GRANTS: Final = (
    (HUSBAND, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK", "live", 60),
    (CIRCLE_A, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK", "live", 60),
    # shorter data periods, in the edition that sees derived values but no repayment history
    # (the oracle does not cap history arguments): what looks back further is withheld
    (CIRCLE_B, WESTLAKE_BANK.code, "LOAN_APPROVAL", "SOCIAL", "live", 12),
    (WIFE, WESTLAKE_BANK.code, "LOAN_APPROVAL", "SOCIAL", "live", 6),
    (GUARANTOR, WESTLAKE_BANK.code, "GUARANTEE_CHECK", "BANK", "live", 60),
    (CIRCLE_A, WESTLAKE_BANK.code, "GUARANTEE_CHECK", "BANK", "live", 60),
    (HUSBAND, HARBOUR_FINANCE.code, "CREDIT_CARD_APPROVAL", "SOCIAL", "live", 24),
    (CIRCLE_A, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK", "live", 60),
    (CIRCLE_B, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK", "expired", 60),
    (CIRCLE_C, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK", "revoked", 60),
    (DEBTOR, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK", "revoked", 60),
    (WIFE, EASTBRIDGE_BANK.code, "GUARANTEE_CHECK", "BANK", "live", 60),
)

_INSERT_GRANT = """
insert into gateway.consent_grants
    (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
     valid_from, valid_until, recorded_via, status, revoked_at, revocation_channel,
     data_period_months)
select gen_random_uuid(), $1, $1, r.id, $3, $4,
       now() - interval '30 days',
       case when $5 = 'expired' then now() - interval '1 day' else now() + interval '30 days' end,
       'SUBJECT',
       case when $5 = 'revoked' then 'REVOKED' else 'ACTIVE' end,
       case when $5 = 'revoked' then now() - interval '1 day' end,
       case when $5 = 'revoked' then 'SUBJECT' end,
       $6
from gateway.requesters r where r.role = 'BANK' and r.identifier = $2
"""


# a marriage that ended: the husband's former wife is the debtor, another subject to him now
FORMER_MARRIAGE = """
with m as (
    insert into bureau.marriages (started_on, ended_on, end_reason)
    values ('2005-05-01', '2010-06-01', 'DIVORCE') returning id, during
)
insert into bureau.marriage_partners (marriage_id, subject_id, during)
select m.id, s.id, m.during from m, bureau.subjects s where s.identifier in ($1, $2)
"""


# enforcement cases concluded some months before the bureau's day: the wife's before her
# 6-month grant to Westlake began, circle B's within its 12-month one (and before 6 months)
ENDED_CASES: Final = (
    (WIFE, "(2024)浙0106执5001号", 24),
    (CIRCLE_B, "(2025)浙0106执5002号", 8),
)
ENDED_CASE = """
insert into public_records.enforcement_cases
    (case_number, court_code, court_name, subject_identifier, subject_name, filed_on, amount,
     status, closed_on)
select $1, $2, $3, s.identifier, s.name, common.today() - ($5::int + 6) * interval '1 month',
       2000.00, 'CONCLUDED', common.today() - $5::int * interval '1 month'
from bureau.subjects s where s.identifier = $4
"""


# a yes/no answer the husband shared with Westlake, and Westlake's answer: an ELIGIBILITY
# look on his list naming it, which no other bank may see the id of
ELIGIBILITY_ANSWERED = """
with r as (select id from gateway.requesters where role = 'BANK' and identifier = $2),
share as (
    insert into gateway.eligibility_shares
        (id, subject_identifier, grantor_identifier, requester_id, predicate, purpose,
         valid_from, valid_until)
    select gen_random_uuid(), $1, $1, r.id, 'NOTHING_OVERDUE', 'CREDIT_APPLICATION',
           now() - interval '2 days', now() + interval '30 days'
    from r
    returning id, requester_id
),
answer as (
    insert into gateway.eligibility_answers
        (id, share_id, subject_identifier, requester_id, operator, predicate, purpose, holds)
    select gen_random_uuid(), share.id, $1, share.requester_id, 'operator-9',
           'NOTHING_OVERDUE', 'CREDIT_APPLICATION', true
    from share
    returning id, requester_id
)
insert into gateway.inquiries (subject_identifier, requester_id, operator, purpose, answer_id)
select $1, answer.requester_id, 'operator-9', 'ELIGIBILITY', answer.id from answer
"""


async def set_up_world(conn: asyncpg.Connection | asyncpg.Pool) -> None:
    """The test's grant state, a former marriage and an eligibility answer over the seeded
    personas; the seed's own grants (behind its inquiries) stay as they are."""
    for grant in GRANTS:
        await conn.execute(_INSERT_GRANT, *grant)
    await conn.execute(FORMER_MARRIAGE, HUSBAND, DEBTOR)
    await conn.execute(ELIGIBILITY_ANSWERED, HUSBAND, WESTLAKE_BANK.code)
    for subject, number, months_ago in ENDED_CASES:
        await conn.execute(
            ENDED_CASE, number, XIHU_COURT.code, XIHU_COURT.name, subject, months_ago
        )


@dataclass
class Harness:
    policy_gateway: PolicyGateway
    transport: InProcessTransport
    policy: Policy
    world: World
    owners: ownership_oracle.Owners

    @property
    def gateway(self) -> Gateway:
        return self.policy_gateway.gateway

    async def ask(
        self,
        requester: Requester,
        document: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """The policy gateway's answer, as a requester with this token would get it."""
        prepared = self.policy_gateway.prepare(document, variables or {}, operation_name)
        ran = await self.policy_gateway.run(
            prepared, dict(variables or {}), requester, "policy-test"
        )
        return await self.policy_gateway.record(ran)

    async def full(
        self,
        requester: Requester,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
    ) -> dict[str, Any]:
        """The plain gateway's answer (no policy) with the oracle's extra fields."""
        augmented = print_ast(
            augment(
                self.gateway.schema,
                extra_paths(self.policy, ownership_oracle.EXTRAS),
                parse(document),
            )
        )
        prepared = self.gateway.prepare(augmented, variables, operation_name)
        transport = self.transport.acting_for(requester)
        return await self.gateway.run(prepared, dict(variables), transport)

    async def check(
        self,
        requester: Requester,
        document: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Ask, and hold the answer against the oracle's; returns the answer."""
        variables = variables or {}
        full = await self.full(requester, document, variables, operation_name)
        assert other_errors(full.get("errors")) == [], full.get("errors")
        answer = await self.ask(requester, document, variables, operation_name)
        oracle = Oracle(self.gateway.schema, self.policy, self.world, requester)
        expected = oracle.expected(parse(document), variables, operation_name, full["data"])
        shown = f"{requester}\n{document[:600]}\n{variables}"
        assert other_errors(answer.get("errors")) == other_errors(expected.errors), (
            shown,
            answer.get("errors"),
            expected.errors,
        )
        found_data = canonical_references(answer["data"])
        wanted_data = canonical_references(expected.data)
        assert found_data == wanted_data, (shown, difference(found_data, wanted_data))
        found, wanted = policy_errors(answer.get("errors")), policy_errors(expected.errors)
        assert found == wanted, (shown, sorted(set(found) ^ set(wanted), key=repr)[:5])
        assert_no_foreign_names(requester, answer)
        judged = ownership_oracle.OwnershipOracle(
            self.gateway.schema, self.world, self.owners, requester
        ).judge(parse(document), variables, operation_name, full["data"], answer)
        assert judged == [], (shown, judged[:5])
        return answer


def difference(found: Any, wanted: Any, path: tuple[Any, ...] = ()) -> Any:
    """The first path where two answers differ, with the two values there."""
    if isinstance(found, dict) and isinstance(wanted, dict):
        for key in sorted(set(found) | set(wanted)):
            inner = difference(found.get(key), wanted.get(key), (*path, key))
            if inner is not None:
                return inner
        return None
    if isinstance(found, list) and isinstance(wanted, list) and len(found) == len(wanted):
        for index, (left, right) in enumerate(zip(found, wanted, strict=True)):
            inner = difference(left, right, (*path, index))
            if inner is not None:
                return inner
        return None
    return None if found == wanted else (path, found, wanted)


def assert_no_foreign_names(requester: Requester, answer: dict[str, Any]) -> None:
    """A bank's answer names no other bank, anywhere, error messages included."""
    if requester.role != "BANK":
        return
    text = json.dumps(answer, ensure_ascii=False)
    for bank in BANKS:
        if bank.code != requester.identifier:
            assert bank.code not in text, (requester, bank.code)
            assert bank.name not in text, (requester, bank.name)


@asynccontextmanager
async def harness(pool: asyncpg.Pool, policy: Policy | None = None) -> AsyncIterator[Harness]:
    """The policy gateway (under graphql/policy.toml, or `policy`) and the plain one over the
    same in-process subgraphs."""
    transport = InProcessTransport({name: subgraph_schema(name) for name in SUBGRAPH_NAMES}, pool)
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    policy = policy or Policy.load(policy_path())
    gateway = Gateway(supergraph, transport, limits=UNLIMITED)
    yield Harness(
        PolicyGateway(gateway, policy, pool),
        transport,
        policy,
        await load_world(pool),
        await ownership_oracle.load_owners(pool),
    )
