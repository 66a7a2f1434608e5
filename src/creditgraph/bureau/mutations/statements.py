"""addStatement: the subject's personal statement (本人声明), shown with their report."""

from __future__ import annotations

from creditgraph.bureau.mutations.acting import SQL, own_file
from creditgraph.bureau.types import Statement
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.records import build_record


async def add_statement(context: SubgraphContext, text: str) -> Statement:
    async with own_file(context) as file:
        row = await file.conn.fetchrow(SQL["insert_statement"], file.subject_id, text.strip())
    assert row is not None, "an insert returns its row"
    return build_record(Statement, row)
