"""Furnishing by GraphQL mutation: one record as it happens, through the batch's own pipeline.

A furnisher (its furnishing token, the policy's `[mutations]` table) reports a single event
with `furnish<Kind>(record: <Kind>Record!)`: `furnishAccount`, `furnishStatement`,
`furnishEnforcementCase`... one mutation per record kind. The input types are made from the
published record formats (`graphql/furnishing/*.schema.json`), field for field, with their
descriptions: the formats stay the one statement of what a record is, for a batch line and a
mutation alike. A field the format requires is non-null; every other rule (amounts, dates,
check characters, months in sequence, the furnisher owning the account) is the pipeline's,
the very checks a batch line passes (`pipeline.furnish`), so there is no second copy of them.

The record goes through `pipeline.furnish` as a batch of one line, on the write connection the
gateway lends (subgraphs/writing.py): the record, its submission (naming the request) and its
correction history commit with the gateway's audit entry for the request, or none of them
does; the pipeline adds no entry of its own, as it does for a batch no gateway records. A
record the pipeline rejects is answered as one `BAD_USER_INPUT` naming each field and why
(`extensions.problems`), and the write is rolled back whole: nothing of it is
kept but the gateway's record of the refused request. Sent again, the same record is
`UNCHANGED`; a different one under the same key is `CORRECTED`, kept with what changed.

It works whichever way the gateway reaches the bureau subgraph: in its process, the write is
a savepoint of the gateway's transaction; served over HTTP (`creditgraph subgraph bureau`),
a transaction of the subgraph's own that ends in PREPARE TRANSACTION and commits only with
the gateway's audit entry. The pipeline stages the record in tables of the transaction's own,
never temporary ones, which PostgreSQL would refuse to prepare.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Final

import orjson
import strawberry
from graphql import GraphQLError

from creditgraph.db.queries import load_queries
from creditgraph.furnishing.kinds import RecordKind, record_kinds
from creditgraph.furnishing.pipeline import FurnishingRefused, Rejection, furnish
from creditgraph.request_id import current_request_id
from creditgraph.requester import Furnisher
from creditgraph.subgraphs import writing
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import BAD_USER_INPUT

SQL = load_queries(Path(__file__).with_name("mutations.sql"))

#: The argument every furnishing mutation takes: the record.
ARGUMENT: Final = "record"


@strawberry.enum(description="What became of a furnished record.")
class FurnishingOutcome(Enum):
    ACCEPTED = "ACCEPTED"
    """New: the bureau did not hold it."""
    CORRECTED = "CORRECTED"
    """A different record under a key already reported: kept, with what changed."""
    UNCHANGED = "UNCHANGED"
    """The same record again: nothing changed."""


@strawberry.type(description="One field a correction changed, before and after.")
class FieldChange:
    field: str = strawberry.field(description="The field, by the record format's name.")
    before: str | None = strawberry.field(description="Its value before (null: absent).")
    after: str | None = strawberry.field(description="Its value after (null: absent).")


@strawberry.type(description="A furnished record as the bureau took it.")
class FurnishedRecord:
    kind: str = strawberry.field(description="The record kind (ACCOUNT, STATEMENT, ...).")
    key: str = strawberry.field(
        description="The furnisher's own key of the record: its key, or the account's number."
    )
    period: str | None = strawberry.field(description="A statement's month (YYYY-MM).")
    outcome: FurnishingOutcome
    submission: strawberry.ID = strawberry.field(
        description="The submission it came in, as the furnishing records name it."
    )
    changes: list[FieldChange] = strawberry.field(
        description="For a correction, each field it changed; empty otherwise."
    )


def field_changes(changes: str) -> list[FieldChange]:
    """A correction's changes, as its JSON holds them (`{"balance": {"from": ..., "to":
    ...}}`), as fields, by name. Numbers are read as decimals, never floats: an amount a
    public record's table keeps as a number reads back with its cents (`120000.00`)."""
    parsed: Mapping[str, Mapping[str, Any]] = json.loads(changes, parse_float=Decimal)
    return [
        FieldChange(field=name, before=_text(change.get("from")), after=_text(change.get("to")))
        for name, change in sorted(parsed.items())
    ]


def _text(value: object) -> str | None:
    """A changed value as text: a string as it is, a number as written, a list as its JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    return orjson.dumps(value).decode()


async def furnish_record(info: Info, kind: RecordKind, record: object) -> FurnishedRecord:
    """Take one record of `kind` from the furnisher the gateway attests, through the pipeline."""
    requester = info.context.acting_as("FURNISHER")
    document = _document(kind, record)
    rejections: list[Rejection] = []

    async def heard(rejection: Rejection) -> None:
        rejections.append(rejection)

    try:
        async with writing.write(info.context) as conn:
            summary = await furnish(
                conn,
                Furnisher(requester.identifier, requester.operator),
                _one(document),
                channel="MUTATION",
                request_id=current_request_id() or f"mutation-{uuid.uuid4()}",
                on_rejection=heard,
            )
            if rejections:
                raise _rejected(rejections)  # rolls the write back, submission and all
            rows = await conn.fetch(SQL["submission_changes"], summary.submission)
    except FurnishingRefused as exc:
        raise GraphQLError(str(exc), extensions={"code": "FORBIDDEN_FIELD"}) from None
    outcome = (
        FurnishingOutcome.CORRECTED
        if summary.corrected
        else FurnishingOutcome.UNCHANGED
        if summary.unchanged
        else FurnishingOutcome.ACCEPTED
    )
    return FurnishedRecord(
        kind=kind.name,
        key=str(document.get("key", document.get("accountNumber"))),
        period=document.get("period"),
        outcome=outcome,
        submission=strawberry.ID(str(summary.submission)),
        changes=[change for row in rows for change in field_changes(row[0])],
    )


def _document(kind: RecordKind, record: object) -> dict[str, Any]:
    """The record as a line of a batch would carry it: the format's names, absent for null."""
    document: dict[str, Any] = {"kind": kind.name}
    for name in kind.schema["properties"]:
        if name == "kind":
            continue
        value = getattr(record, _attribute(name))
        if value is not None:
            document[name] = value
    return document


async def _one(document: Mapping[str, Any]) -> AsyncIterator[tuple[int, str]]:
    yield 1, orjson.dumps(document).decode()


def _rejected(rejections: list[Rejection]) -> GraphQLError:
    """One BAD_USER_INPUT for the record, naming each field and what is wrong with it."""
    problems = [
        {"field": rejection.field or ARGUMENT, "reason": rejection.reason}
        for rejection in rejections
    ]
    message = "; ".join(
        f"{ARGUMENT}.{item['field']}: {item['reason']}"
        if item["field"] != ARGUMENT
        else f"{ARGUMENT}: {item['reason']}"
        for item in problems
    )
    return GraphQLError(
        message,
        extensions={
            "code": BAD_USER_INPUT,
            "argument": ARGUMENT,
            "field": problems[0]["field"],
            "problems": problems,
        },
    )


# -- the GraphQL types, made from the record formats -------------------------------------------


def _attribute(name: str) -> str:
    """A format's field name as a Python attribute (strawberry turns it back to camelCase)."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def _pascal(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def _scalar(spec: Mapping[str, Any]) -> type:
    if spec.get("type") == "integer":
        return int
    if spec.get("type") == "array":
        return list[str]
    return str


def _input_type(kind: RecordKind) -> type:
    """`<Kind>Record`: the input type of one record kind, from its format."""
    schema = kind.schema
    required = set(schema["required"])
    annotations: dict[str, object] = {}
    fields: dict[str, object] = {}
    for name, spec in schema["properties"].items():
        if name == "kind":
            continue
        attribute = _attribute(name)
        scalar = _scalar(spec)
        description = spec.get("description")
        if name in required:
            annotations[attribute] = scalar
            fields[attribute] = strawberry.field(name=name, description=description)
        else:
            annotations[attribute] = scalar | None
            fields[attribute] = strawberry.field(name=name, description=description, default=None)
    name = f"{_pascal(kind.name)}Record"
    shape = type(name, (), {"__annotations__": annotations, **fields})
    described: type = strawberry.input(shape, name=name, description=schema.get("description"))
    return described


Resolver = Callable[[Info, Any], Coroutine[Any, Any, FurnishedRecord]]


def _resolver(kind: RecordKind, record_type: type) -> Resolver:
    async def resolve(info: Info, record: Any) -> FurnishedRecord:
        return await furnish_record(info, kind, record)

    resolve.__annotations__ = {"info": Info, "record": record_type, "return": FurnishedRecord}
    return resolve


_FURNISHERS: Final[Mapping[str, str]] = {
    "BANK": "A bank",
    "COURT": "A court",
    "AGENCY": "An agency",
}


def _mutations() -> type:
    """The furnishing mutations, one per record kind, as a strawberry type to merge."""
    fields: dict[str, object] = {}
    for kind in record_kinds().values():
        fields[f"furnish_{kind.name.lower()}"] = strawberry.mutation(
            resolver=_resolver(kind, _input_type(kind)),
            description=f"{_FURNISHERS[kind.furnisher]} reports one record: "
            f"{kind.schema['title'][0].lower()}{kind.schema['title'][1:]} "
            f"({kind.name}). Checked, keyed and corrected exactly as a batch line is; "
            "answered with the record's outcome, or BAD_USER_INPUT naming each field.",
        )
    mutation: type = strawberry.type(type("FurnishingMutation", (), fields))
    return mutation


FurnishingMutation: Final = _mutations()
