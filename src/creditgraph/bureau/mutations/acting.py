"""Who a subject's write acts for, and the transaction every such write runs in.

The gateway lets only subjects call these mutations (the policy file's
`[mutations]` table); the subgraph checks again from the requester the
gateway attests, so a write always lands on the requester's own file and a
subgraph reached some other way fails closed. A write is one transaction
(the gateway's, so it commits with the request's audit entry:
subgraphs/writing.py) that first locks the subject: nothing is written unless all of it is, and a
subject's concurrent writes take turns, so each one's checks still hold when
it writes. A row the database refuses (its CHECK constraints are the one
statement of each limit) comes back as BAD_USER_INPUT naming the argument.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.subgraphs import writing
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.errors import BadUserInput

SQL = load_queries(Path(__file__).with_name("writes.sql"))

# constraint -> (argument, what it accepts)
_LIMITS: Final[Mapping[str, tuple[str, str]]] = {
    "disputes_reason_check": ("reason", "reason must be 1 to 2000 characters"),
    "statements_text_check": ("text", "text must be 1 to 2000 characters"),
    "fraud_alerts_contact_phone_check": (
        "contactPhone",
        "contactPhone must be a mainland mobile number (13812345678) or a fixed line with "
        "its area code (0571-87654321)",
    ),
    "fraud_alerts_note_check": ("note", "note must be at most 500 characters"),
}


@dataclass(frozen=True, slots=True)
class OwnFile:
    """The open transaction of one write, on the requesting subject's file."""

    conn: DatabaseConnection
    subject_id: int
    identifier: str


@asynccontextmanager
async def own_file(context: SubgraphContext) -> AsyncIterator[OwnFile]:
    """One transaction on the requester's file, rolled back whole on any refusal."""
    identifier = context.acting_as("SUBJECT").identifier
    try:
        async with writing.write(context) as conn:
            subject_id = await conn.fetchval(SQL["lock_subject"], identifier)
            if subject_id is None:
                raise BadUserInput("the bureau holds no report on you to change")
            yield OwnFile(conn, int(subject_id), identifier)
    except asyncpg.CheckViolationError as exc:
        limit = _LIMITS.get(exc.constraint_name or "")
        if limit is None:
            raise
        argument, message = limit
        raise BadUserInput(message, argument=argument) from None
