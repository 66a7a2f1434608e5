"""fileDispute: the subject disputes (异议) a record on their own report.

The record is named by its typed id (see creditgraph.bureau.marks) and must
be on the requester's report; a record that does not exist and one on
someone else's report are refused alike, so the answer never tells whether
another subject's record exists. The data source must answer within 20
days (China's credit-reporting regulation; docs/domain.md), and until it does the
record carries a mark in every edition that sees it.
"""

from __future__ import annotations

from typing import Final

from creditgraph.bureau.marks import parse_record_reference
from creditgraph.bureau.mutations.acting import SQL, own_file
from creditgraph.bureau.types import Dispute
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.errors import BadUserInput

RESPONSE_DAYS: Final = 20


async def file_dispute(context: SubgraphContext, record_id: str, reason: str) -> Dispute:
    kind, number = parse_record_reference(record_id)
    async with own_file(context) as file:
        mine = await file.conn.fetchval(
            SQL["record_on_report"], kind, number, file.subject_id, file.identifier
        )
        if not mine:
            raise BadUserInput(f"no record {record_id} is on your report", argument="recordId")
        row = await file.conn.fetchrow(
            SQL["insert_dispute"], file.subject_id, kind, str(number), reason.strip(), RESPONSE_DAYS
        )
        if row is None:
            raise BadUserInput(
                f"you already have an open dispute on {record_id}; it is answered first",
                argument="recordId",
            )
    return Dispute.from_row(row)
