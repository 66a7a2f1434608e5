"""The edition policy never leaks and never over-withholds, for any operation anyone sends.

Hypothesis draws operations over the served API schema (aliases, named and
inline fragments, `@skip`/`@include`, variables, traversals from a subject to
its spouse, co-borrowers, guarantors, borrowers, chain members, principals and
employers) and a requester: the subject, their spouse, an unrelated subject,
banks with BANK or SOCIAL grants, with expired and revoked ones, with open
lending for post-loan management, and government bodies under a mandate. Each
answer of the policy gateway must equal the independent oracle's
(tests/edition_oracle.py) built from the plain gateway's full answer: the same
data, and FORBIDDEN_FIELD (with the edition) or CONSENT_REQUIRED at exactly
the withheld paths. The example count is fixed and the run derandomised, so CI
sees the same operations every time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from graphql import (
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import INSTITUTIONS, PERSONA, PERSONAS
from tests.conftest import dsn_for
from tests.operation_strategies import GeneratedOperation, operations
from tests.policy_harness import (
    AGENCY,
    CIRCLE_A,
    CIRCLE_B,
    CIRCLE_C,
    COURT,
    DEBTOR,
    EASTBRIDGE,
    GUARANTOR,
    HARBOUR,
    HUSBAND,
    REQUESTERS,
    SUBJECT_DEBTOR,
    SUBJECT_HUSBAND,
    SUBJECT_WIFE,
    WESTLAKE,
    WIFE,
    Harness,
    harness,
    set_up_world,
)
from tests.schema_paths import every_field, toward_subjects

pytestmark = pytest.mark.slow

SCHEMA = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
PURPOSES = [
    "SELF",
    "LOAN_APPROVAL",
    "CREDIT_CARD_APPROVAL",
    "GUARANTEE_CHECK",
    "POST_LOAN_MANAGEMENT",
    "CORPORATE_PRINCIPAL_CHECK",
    "PUBLIC_CREDIT_CHECK",
    "JUDICIAL_ENFORCEMENT",
]
EVERYONE = [persona.identifier for persona in PERSONAS]
# who asks, and the (subject, purpose) pairs they ask about: mostly ones some rule decides
# (own report, live grant, open lending, mandate), with expired, revoked and absent grants
SCENARIOS: list[tuple[Requester, list[str], list[str]]] = [
    (SUBJECT_HUSBAND, [HUSBAND, WIFE], ["SELF", "LOAN_APPROVAL"]),
    (SUBJECT_WIFE, [WIFE, HUSBAND], ["SELF"]),
    (SUBJECT_DEBTOR, [DEBTOR, HUSBAND], ["SELF", "GUARANTEE_CHECK"]),
    (EASTBRIDGE, [HUSBAND, WIFE, DEBTOR], ["POST_LOAN_MANAGEMENT", "GUARANTEE_CHECK"]),
    (WESTLAKE, [HUSBAND, WIFE, CIRCLE_A, CIRCLE_B], ["LOAN_APPROVAL"]),
    (WESTLAKE, [GUARANTOR, CIRCLE_A, CIRCLE_C], ["GUARANTEE_CHECK"]),
    (HARBOUR, [HUSBAND], ["CREDIT_CARD_APPROVAL"]),
    (HARBOUR, [CIRCLE_A, CIRCLE_B, CIRCLE_C, DEBTOR], ["LOAN_APPROVAL"]),
    (AGENCY, EVERYONE, ["PUBLIC_CREDIT_CHECK"]),
    (COURT, EVERYONE, ["JUDICIAL_ENFORCEMENT", "PUBLIC_CREDIT_CHECK"]),
]
ANYONE = [(requester, EVERYONE, PURPOSES) for requester in REQUESTERS]


def _values(type_name: str, name: str, input_type: GraphQLInputType) -> Any:
    """Meaningful argument values: real codes, page sizes a client would send."""
    argument = name.rsplit(".", 1)[-1]
    inner = input_type.of_type if isinstance(input_type, GraphQLNonNull) else input_type
    if isinstance(inner, GraphQLList):
        return None
    chosen = {
        "first": st.integers(1, 30),
        "months": st.integers(1, 60),
        "maxDepth": st.integers(1, 6),
        "limit": st.integers(1, 10),
        "code": st.sampled_from([institution.code for institution in INSTITUTIONS]),
        "after": st.none(),
    }.get(argument)
    if chosen is None or isinstance(input_type, GraphQLNonNull) or argument == "after":
        return chosen
    return chosen | st.none()


def _asked(
    schema: GraphQLSchema, scenario: tuple[Requester, list[str], list[str]], depth: int
) -> SearchStrategy[tuple[Requester, GeneratedOperation]]:
    requester, identifiers, purposes = scenario
    drawn = operations(
        schema,
        root_fields={
            "me": {},
            "subject": {
                "identifier": st.sampled_from(identifiers),
                "purpose": st.sampled_from(purposes),
            },
        },
        argument_values=_values,
        max_depth=depth,
        max_fields=4,
    )
    return st.tuples(st.just(requester), drawn)


# everything the API holds, to a moderate depth; and the part of it that leads from one
# subject to another, deep enough to reach a co-borrower's or a chain member's fields
WIDE = [_asked(SCHEMA, scenario, 5) for scenario in SCENARIOS + ANYONE]
DEEP = [_asked(toward_subjects(SCHEMA), scenario, 8) for scenario in SCENARIOS]
ASKED = st.one_of(st.one_of(*WIDE), st.one_of(*DEEP))


class _Running:
    """The harness on its own event loop, for Hypothesis's synchronous examples."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pool: asyncpg.Pool, found: Any) -> None:
        self.loop = loop
        self.pool = pool
        self.context = found
        self.harness: Harness = loop.run_until_complete(found.__aenter__())


@pytest.fixture(scope="module")
def running(pg_server: EmbeddedPostgres, seeded_template: str) -> Iterator[_Running]:
    name = f"leak_{uuid.uuid4().hex[:12]}"
    loop = asyncio.new_event_loop()

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(dsn_for(pg_server.dsn, "postgres"))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def start() -> asyncpg.Pool:
        await admin(f"create database {name} template {seeded_template}")
        pool = await asyncpg.create_pool(dsn_for(pg_server.dsn, name), min_size=1, max_size=4)
        assert pool is not None
        await set_up_world(pool)
        return pool

    pool = loop.run_until_complete(start())
    try:
        yield _Running(loop, pool, harness(pool))
    finally:
        loop.run_until_complete(pool.close())
        loop.run_until_complete(admin(f"drop database if exists {name} with (force)"))
        loop.close()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(asked=ASKED)
def test_every_answer_is_the_oracles(
    running: _Running, asked: tuple[Requester, GeneratedOperation]
) -> None:
    requester, operation = asked
    answer = running.loop.run_until_complete(
        running.harness.check(
            requester, operation.document, operation.variables, operation.operation_name
        )
    )
    shown = any(value is not None for value in (answer.get("data") or {}).values())
    event(f"{requester.role}: report {'shown' if shown else 'withheld'}")
    for item in answer.get("errors", []):
        deep = len(item.get("path") or ()) > 3
        event(f"error {item['extensions'].get('code')}{' deep' if deep else ''}")


# one pair for each way an edition is decided, at the root and at the subjects reached from it
ASKED_PAIRS = [
    (SUBJECT_HUSBAND, HUSBAND, "SELF"),
    (SUBJECT_WIFE, WIFE, "SELF"),
    (EASTBRIDGE, HUSBAND, "POST_LOAN_MANAGEMENT"),
    (EASTBRIDGE, WIFE, "GUARANTEE_CHECK"),
    (WESTLAKE, HUSBAND, "LOAN_APPROVAL"),
    (WESTLAKE, CIRCLE_A, "LOAN_APPROVAL"),
    (WESTLAKE, GUARANTOR, "GUARANTEE_CHECK"),
    (HARBOUR, HUSBAND, "CREDIT_CARD_APPROVAL"),
    (HARBOUR, CIRCLE_A, "LOAN_APPROVAL"),
    (AGENCY, DEBTOR, "PUBLIC_CREDIT_CHECK"),
    (COURT, PERSONA["tax_arrears"].identifier, "JUDICIAL_ENFORCEMENT"),
]


def _every_field_document(schema: GraphQLSchema, depth: int, reached: int | None) -> str:
    subject = schema.type_map["Subject"]
    assert isinstance(subject, GraphQLObjectType)
    selection = every_field(subject, depth, reached)
    return (
        "query Every($id: String!, $purpose: InquiryPurpose!) {\n"
        f"  subject(identifier: $id, purpose: $purpose) {{ {selection} }}\n"
        f"  me {{ {every_field(subject, 2)} }}\n"
        "}"
    )


EVERY_FIELD = _every_field_document(SCHEMA, 6, 2)
EVERY_CROSSING = _every_field_document(toward_subjects(SCHEMA), 6, None)


def _ids(pairs: list[tuple[Requester, str, str]]) -> list[str]:
    return [f"{r.role}-{r.identifier[-4:]}-{i[-4:]}-{p}" for r, i, p in pairs]


@pytest.mark.parametrize(("requester", "identifier", "purpose"), ASKED_PAIRS, ids=_ids(ASKED_PAIRS))
def test_every_field_is_the_oracles(
    running: _Running, requester: Requester, identifier: str, purpose: str
) -> None:
    running.loop.run_until_complete(
        running.harness.check(requester, EVERY_FIELD, {"id": identifier, "purpose": purpose})
    )


# the requesters whose reports reach subjects decided every way: own grant, SOCIAL grant,
# open lending, none
CROSSING_PAIRS = [
    (SUBJECT_HUSBAND, HUSBAND, "SELF"),
    (EASTBRIDGE, HUSBAND, "POST_LOAN_MANAGEMENT"),
    (WESTLAKE, HUSBAND, "LOAN_APPROVAL"),
    (WESTLAKE, CIRCLE_A, "LOAN_APPROVAL"),
    (WESTLAKE, GUARANTOR, "GUARANTEE_CHECK"),
]


@pytest.mark.parametrize(
    ("requester", "identifier", "purpose"), CROSSING_PAIRS, ids=_ids(CROSSING_PAIRS)
)
def test_every_crossing_is_the_oracles(
    running: _Running, requester: Requester, identifier: str, purpose: str
) -> None:
    running.loop.run_until_complete(
        running.harness.check(requester, EVERY_CROSSING, {"id": identifier, "purpose": purpose})
    )
