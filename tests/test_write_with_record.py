"""A mutation's write and its audit entry commit together, or neither does.

Run against the real gateway over real HTTP, twice: with the subgraphs mounted in
its process, and with each subgraph a server of its own reached over HTTP. The
audit append is made to fail the way a database can make it fail (a trigger
refusing the insert), and the database must then hold exactly what it held
before: no grant, no statement, no decision, no pending write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from creditgraph.gateway import writes
from creditgraph.seed.personas import WESTLAKE_BANK
from creditgraph.subgraphs import credential
from tests.test_requester_forwarding import (
    GRANT,
    SELF,
    Stack,
    _direct,
    codes,
    grants,
    running_stack,
)
from tests.test_requester_forwarding import db as _writable_db

db = _writable_db
"""The fixture: a connection to the test's own copy of the seeded database."""

STATEMENT = 'mutation { addStatement(text: "Paid in full in March; the bank agrees.") { id } }'
TO_NO_BANK = (
    "mutation($bank: String!) { grantConsent(grantee: $bank, purpose: LOAN_APPROVAL) { id } }"
)

# what a refusing audit log looks like from the gateway: its insert raises
_BREAK = """
create function public.refuse_audit() returns trigger language plpgsql as $$
begin raise exception 'the audit log is full'; end $$;
create trigger refuse_audit before insert on gateway.audit_log
for each row execute function public.refuse_audit();
"""
_MEND = "drop trigger refuse_audit on gateway.audit_log; drop function public.refuse_audit();"


@pytest.fixture(params=["in-process", "http"])
def either(
    request: pytest.FixtureRequest, writable_seeded_database_url: str, tmp_path: Path
) -> Iterator[Stack]:
    """The gateway over real HTTP, its subgraphs mounted in it or each served over HTTP."""
    yield from running_stack(
        writable_seeded_database_url, tmp_path / "home", in_process=request.param == "in-process"
    )


async def _state(db: asyncpg.Connection) -> dict[str, Any]:
    """Everything a mutation here could change, as the database holds it."""
    return {
        "grants": [dict(row) for row in await grants(db)],
        "statements": [dict(row) for row in await db.fetch("select * from bureau.statements")],
        "audit": await db.fetchval("select count(*) from gateway.audit_log"),
        "decisions": [
            tuple(row) for row in await db.fetch("select gid, outcome from gateway.write_decisions")
        ],
        "pending": await db.fetchval("select count(*) from pg_prepared_xacts"),
    }


async def _newest_entry(db: asyncpg.Connection) -> asyncpg.Record:
    entry = await db.fetchrow("select * from gateway.audit_log order by seq desc limit 1")
    assert entry is not None
    return entry


@pytest.mark.parametrize(
    ("document", "variables"),
    [(GRANT, {"bank": WESTLAKE_BANK.code}), (STATEMENT, {})],
    ids=["consent-subgraph", "bureau-subgraph"],
)
async def test_a_write_whose_record_fails_changes_nothing_and_a_retry_writes_once(
    either: Stack, db: asyncpg.Connection, document: str, variables: dict[str, Any]
) -> None:
    before = await _state(db)
    await db.execute(_BREAK)

    refused = await either.ask(SELF, document, variables)
    assert refused["data"] is None
    assert codes(refused) == ["INTERNAL_SERVER_ERROR"]
    assert "could not be recorded" in refused["errors"][0]["message"]
    assert await _state(db) == before

    await db.execute(_MEND)
    retried = await either.ask(SELF, document, variables)
    assert "errors" not in retried, retried
    after = await _state(db)
    written = {name: len(after[name]) - len(before[name]) for name in ("grants", "statements")}
    assert sum(written.values()) == 1
    assert after["audit"] == before["audit"] + 1
    assert after["pending"] == 0
    # over HTTP the write was pending, and the gateway decided it with the audit entry
    assert {outcome for _, outcome in after["decisions"]} <= {"COMMIT"}
    entry = await _newest_entry(db)
    assert entry["decision"] == "ALLOWED"
    assert list(entry["subjects"]) == [SELF.identifier]


async def test_a_refused_write_is_recorded_and_writes_nothing(
    either: Stack, db: asyncpg.Connection
) -> None:
    """A write the subgraph refuses rolls back alone; the request is still recorded."""
    before = await _state(db)
    answer = await either.ask(SELF, TO_NO_BANK, {"bank": "91000000000000000X"})
    assert codes(answer) == ["BAD_USER_INPUT"]
    after = await _state(db)
    assert after == {**before, "audit": before["audit"] + 1}
    entry = await _newest_entry(db)
    assert entry["decision"] != "ALLOWED"
    assert orjson.loads(entry["detail"])["errors"] == ["BAD_USER_INPUT"]


async def _pending_grant(stack: Stack, db: asyncpg.Connection) -> tuple[str, str]:
    """A grant written over HTTP under a hold and left pending, as a gateway that crashed
    before its audit entry would leave it: the hold and the pending write's id."""
    hold = uuid.uuid4().hex
    token = credential.issue(stack.secret, "consent", requester=SELF, hold=hold)
    response = await _direct(stack, token, GRANT, {"bank": WESTLAKE_BANK.code})
    assert response.json()["data"]["grantConsent"]["id"]
    [gid] = await writes.pending(db, writes.WriteUnit(db, hold))
    return hold, gid


async def test_settling_commits_a_decided_pending_write_and_rolls_back_the_rest(
    either: Stack, db: asyncpg.Connection
) -> None:
    before = await grants(db)
    _, decided = await _pending_grant(either, db)
    _, undecided = await _pending_grant(either, db)
    async with db.transaction():
        await writes.decide(db, [decided])

    await writes.settle(db)  # both are younger than any request could still be running
    assert await db.fetchval("select count(*) from pg_prepared_xacts") == 2

    await writes.settle(db, older_than=0)
    assert await db.fetchval("select count(*) from pg_prepared_xacts") == 0
    decisions = await db.fetch("select gid, outcome from gateway.write_decisions")
    assert {row["gid"]: row["outcome"] for row in decisions} == {
        decided: "COMMIT",
        undecided: "ROLLBACK",
    }
    assert len(await grants(db)) == len(before) + 1


async def test_a_write_settled_first_cannot_then_be_recorded_as_committed(
    either: Stack, db: asyncpg.Connection
) -> None:
    """A gateway coming back late to a write already settled (rolled back) fails its own
    transaction, so its audit entry never claims a write that did not happen."""
    _, gid = await _pending_grant(either, db)
    await writes.settle(db, older_than=0)
    with pytest.raises(asyncpg.UniqueViolationError):
        async with db.transaction():
            await writes.decide(db, [gid])


VALUES_NOT_STORABLE = [
    pytest.param(
        "mutation($v: DateTime) { grantConsent(grantee: $bank, purpose: LOAN_APPROVAL, "
        "validUntil: $v) { id } }",
        {"v": "99999-12-31T23:59:59Z"},
        "validUntil",
        id="date-out-of-range",
    ),
    pytest.param(
        "mutation($t: String!) { addStatement(text: $t) { id } }",
        {"t": "x" * 2001},
        "text",
        id="text-over-its-length",
    ),
    pytest.param(
        'mutation($n: String) { placeFraudAlert(contactPhone: "13812345678", note: $n) { id } }',
        {"n": "n" * 501},
        "note",
        id="note-over-its-length",
    ),
    pytest.param(
        "mutation($id: ID!) { liftFraudAlert(id: $id) { id } }",
        {"id": "9" * 19},
        "id",
        id="id-out-of-range",
    ),
]


@pytest.mark.parametrize(("document", "variables", "argument"), VALUES_NOT_STORABLE)
async def test_a_value_the_database_cannot_store_is_bad_user_input_naming_the_argument(
    either: Stack, db: asyncpg.Connection, document: str, variables: dict[str, Any], argument: str
) -> None:
    document = document.replace("$bank", f'"{WESTLAKE_BANK.code}"')
    before = await _state(db)
    answer = await either.ask(SELF, document, variables)
    assert answer["data"] is None
    [problem] = answer["errors"]
    assert problem["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert await _state(db) == {**before, "audit": before["audit"] + 1}


FAILING_AFTER_A_WRITE = [
    pytest.param(
        'mutation { kept: addStatement(text: "Paid in full.") { id } '
        'refused: addStatement(text: "") { id } }',
        id="one-subgraph",
    ),
    pytest.param(
        f'mutation {{ kept: grantConsent(grantee: "{WESTLAKE_BANK.code}", '
        'purpose: LOAN_APPROVAL) { id } refused: addStatement(text: "") { id } }',
        id="two-subgraphs",
    ),
]


@pytest.mark.parametrize("document", FAILING_AFTER_A_WRITE)
async def test_a_mutation_a_field_of_which_is_refused_keeps_none_of_its_writes(
    either: Stack, db: asyncpg.Connection, document: str
) -> None:
    """The refused field's null spreads over the whole answer (every root field is non-null),
    so the client is told nothing was done: the write of the field before it is undone too,
    and the entry records the request as refused, with nothing returned."""
    before = await _state(db)
    answer = await either.ask(SELF, document)
    assert answer["data"] is None
    # the refused field's error alone, coded: the field beside it is not answered, and gets
    # no error of its own (an uncoded "Cannot return null" a client could not branch on)
    assert [(item["path"], item["extensions"]["code"]) for item in answer["errors"]] == [
        (["refused"], "BAD_USER_INPUT")
    ]
    assert await _state(db) == {**before, "audit": before["audit"] + 1}
    entry = await _newest_entry(db)
    assert entry["decision"] == "DENIED"
    assert list(entry["fields"]) == []


SEVERAL_WRITES = [
    pytest.param(
        'mutation { first: addStatement(text: "Paid in full.") { id } '
        'second: addStatement(text: "The bank agrees.") { id } }',
        {"grants": 0, "statements": 2},
        id="one-subgraph",
    ),
    pytest.param(
        f'mutation {{ first: grantConsent(grantee: "{WESTLAKE_BANK.code}", '
        'purpose: LOAN_APPROVAL) { id } second: addStatement(text: "Paid in full.") { id } }',
        {"grants": 1, "statements": 1},
        id="two-subgraphs",
    ),
]


@pytest.mark.parametrize(("document", "written"), SEVERAL_WRITES)
async def test_a_mutation_of_several_writes_keeps_them_all_with_one_entry(
    either: Stack, db: asyncpg.Connection, document: str, written: dict[str, int]
) -> None:
    """Two writes on one subject's file in one request (the second takes the lock the first
    holds until the request is decided), or in two subgraphs under the request's one hold."""
    before = await _state(db)
    answer = await either.ask(SELF, document)
    assert "errors" not in answer, answer
    assert set(answer["data"]) == {"first", "second"}
    after = await _state(db)
    assert {name: len(after[name]) - len(before[name]) for name in written} == written
    assert after["audit"] == before["audit"] + 1
    assert after["pending"] == 0
    entry = await _newest_entry(db)
    assert entry["decision"] == "ALLOWED"


async def test_a_mutation_writing_through_one_subgraph_around_another_is_refused_unwritten(
    either: Stack, db: asyncpg.Connection
) -> None:
    """Statements either side of a grant: the bureau's second request would wait for the
    lock on the subject's file its first keeps until the request is decided. Refused before
    anything is written, in both deployments, naming the field to move."""
    before = await _state(db)
    answer = await either.ask(
        SELF,
        'mutation { first: addStatement(text: "Paid in full.") { id } '
        f'grant: grantConsent(grantee: "{WESTLAKE_BANK.code}", purpose: LOAN_APPROVAL) {{ id }} '
        'again: addStatement(text: "The bank agrees.") { id } }',
    )
    assert answer["data"] is None
    [problem] = answer["errors"]
    assert problem["extensions"] == {"code": "BAD_USER_INPUT"}
    assert problem["path"] == ["again"]
    assert "first" in problem["message"]
    assert await _state(db) == {**before, "audit": before["audit"] + 1}
    entry = await _newest_entry(db)
    assert entry["decision"] == "DENIED"
