"""The subject's rights over their own report: disputes, statements, fraud alerts.

One module per kind of write; `Mutation` is the bureau subgraph's mutation
root. Each mutation acts only on the requester's own file (acting.py) and
returns the record it made or changed.
"""

from __future__ import annotations

import strawberry

from creditgraph.bureau.mutations import disputes, fraud_alerts, statements
from creditgraph.bureau.types import Dispute, FraudAlert, Statement
from creditgraph.subgraphs.context import Info


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The subject disputes a record on their own report, named by its type and "
        "id (CreditAccount:42, EnforcementCase:7). The data source must answer within 20 "
        "days; until then the record carries a dispute mark."
    )
    async def file_dispute(self, info: Info, record_id: strawberry.ID, reason: str) -> Dispute:
        return await disputes.file_dispute(info.context, str(record_id), reason)

    @strawberry.mutation(
        description="The subject adds a personal statement (本人声明), 1-2000 characters."
    )
    async def add_statement(self, info: Info, text: str) -> Statement:
        return await statements.add_statement(info.context, text)

    @strawberry.mutation(
        description="The subject places an anti-fraud alert for a year: lenders must call "
        "contactPhone before lending. One alert is active at a time."
    )
    async def place_fraud_alert(
        self, info: Info, contact_phone: str, note: str | None = None
    ) -> FraudAlert:
        return await fraud_alerts.place_fraud_alert(info.context, contact_phone, note)

    @strawberry.mutation(description="The subject lifts their active fraud alert.")
    async def lift_fraud_alert(self, info: Info, id: strawberry.ID) -> FraudAlert:
        return await fraud_alerts.lift_fraud_alert(info.context, str(id))
