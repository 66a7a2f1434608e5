"""placeFraudAlert and liftFraudAlert: the subject's anti-fraud alert (反欺诈警示).

An alert gives lenders a number to call before they lend. A subject has one
active alert at a time: placing a second is refused rather than extending
the first, so the number lenders call never changes behind the subject's
back; they lift the alert and place a new one to change it. An alert placed
here is an initial one and lasts a year (FCRA practice).
"""

from __future__ import annotations

from creditgraph.bureau.mutations.acting import SQL, own_file
from creditgraph.bureau.types import FraudAlert
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.errors import BadUserInput, check_id
from creditgraph.subgraphs.records import build_record


async def place_fraud_alert(
    context: SubgraphContext, contact_phone: str, note: str | None
) -> FraudAlert:
    note = None if note is None else note.strip() or None
    async with own_file(context) as file:
        active = await file.conn.fetchrow(SQL["active_fraud_alert"], file.subject_id)
        if active is not None:
            raise BadUserInput(
                f"your fraud alert {active['id']} is active until "
                f"{active['expires_at']:%Y-%m-%d}; lift it first to place a new one"
            )
        row = await file.conn.fetchrow(
            SQL["insert_fraud_alert"], file.subject_id, contact_phone.strip(), note
        )
    assert row is not None, "an insert returns its row"
    return build_record(FraudAlert, row)


async def lift_fraud_alert(context: SubgraphContext, alert_id: str) -> FraudAlert:
    number = check_id(alert_id)
    async with own_file(context) as file:
        row = await file.conn.fetchrow(SQL["lift_fraud_alert"], number, file.subject_id)
        if row is None:
            raise BadUserInput(f"you have no active fraud alert with id {alert_id}", argument="id")
    return build_record(FraudAlert, row)
