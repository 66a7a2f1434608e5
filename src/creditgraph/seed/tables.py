"""The columns the seed writes, per table, in COPY order.

One declaration serves the generator (row tuples follow it) and the loader
(COPY names these columns), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from asyncpg import Range

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "bureau.institutions": ("id", "code", "name", "kind", "created_at"),
    "bureau.subjects": (
        "id",
        "kind",
        "identifier",
        "name",
        "birth_date",
        "gender",
        "established_on",
        "industry",
        "registered_capital",
        "created_at",
    ),
    "bureau.organisation_principals": ("organisation_id", "person_id", "role", "share", "since"),
    "bureau.phones": ("id", "subject_id", "number", "reported_on", "reported_by"),
    "bureau.addresses": ("id", "subject_id", "kind", "address", "residence_status", "reported_on"),
    "bureau.employments": (
        "id",
        "subject_id",
        "employer_name",
        "employer_id",
        "occupation",
        "started_on",
        "reported_on",
    ),
    "bureau.educations": ("id", "subject_id", "level", "school", "graduated_on", "reported_on"),
    "bureau.marriages": ("id", "started_on", "ended_on", "end_reason"),
    "bureau.marriage_partners": ("marriage_id", "subject_id", "during"),
    "bureau.credit_accounts": (
        "id",
        "lender_id",
        "account_number",
        "kind",
        "purpose",
        "principal",
        "credit_limit",
        "balance",
        "term_months",
        "repayment_method",
        "collateral",
        "opened_on",
        "matures_on",
        "closed_on",
        "status",
        "classification",
        "reported_on",
    ),
    "bureau.account_parties": ("account_id", "subject_id", "role"),
    "bureau.repayments": (
        "account_id",
        "month",
        "status",
        "amount_due",
        "amount_paid",
        "overdue_amount",
        "balance",
    ),
    "bureau.guarantees": (
        "id",
        "guarantor_id",
        "account_id",
        "contract_number",
        "kind",
        "amount",
        "starts_on",
        "ends_on",
        "status",
    ),
    "bureau.statements": ("id", "subject_id", "text", "added_at"),
    "bureau.fraud_alerts": (
        "id",
        "subject_id",
        "kind",
        "contact_phone",
        "note",
        "placed_at",
        "expires_at",
    ),
    "public_records.enforcement_cases": (
        "id",
        "case_number",
        "court_code",
        "court_name",
        "subject_identifier",
        "subject_name",
        "applicant_name",
        "cause",
        "filed_on",
        "amount",
        "amount_outstanding",
        "status",
        "closed_on",
    ),
    "public_records.dishonest_listings": (
        "id",
        "subject_identifier",
        "subject_name",
        "case_number",
        "court_code",
        "court_name",
        "obligation",
        "performance",
        "reasons",
        "published_on",
        "removed_on",
        "removal_reason",
    ),
    "public_records.consumption_restrictions": (
        "id",
        "subject_identifier",
        "subject_name",
        "restricted_person_identifier",
        "restricted_person_name",
        "case_number",
        "court_code",
        "court_name",
        "restrictions",
        "issued_on",
        "lifted_on",
    ),
    "public_records.administrative_actions": (
        "id",
        "kind",
        "subject_identifier",
        "subject_name",
        "authority_code",
        "authority_name",
        "decision_number",
        "category",
        "description",
        "amount",
        "decided_on",
        "publish_until",
    ),
    "public_records.tax_arrears": (
        "id",
        "subject_identifier",
        "subject_name",
        "authority_code",
        "authority_name",
        "tax_type",
        "amount",
        "period_start",
        "period_end",
        "recorded_on",
        "settled_on",
    ),
    "public_records.list_entries": (
        "id",
        "colour",
        "list_name",
        "subject_identifier",
        "subject_name",
        "authority_code",
        "authority_name",
        "reason",
        "notice_starts_on",
        "notice_ends_on",
        "objection_filed_on",
        "objection_outcome",
        "effective_on",
        "exited_on",
        "exit_reason",
    ),
    "public_records.notice_subscriptions": ("institution_code", "subscribed_on"),
    "public_records.civil_judgments": (
        "id",
        "subject_identifier",
        "subject_name",
        "case_number",
        "court_code",
        "court_name",
        "cause",
        "filed_on",
        "judged_on",
        "outcome",
        "amount",
    ),
    "public_records.utility_arrears": (
        "id",
        "subject_identifier",
        "provider_name",
        "service",
        "amount",
        "since_month",
        "recorded_on",
    ),
    "public_records.licences": (
        "id",
        "subject_identifier",
        "licence_type",
        "licence_number",
        "authority_name",
        "issued_on",
        "expires_on",
        "status",
    ),
    "public_records.social_insurance": (
        "id",
        "subject_identifier",
        "region",
        "employer_name",
        "scheme",
        "started_on",
        "last_paid_month",
        "monthly_base",
        "status",
        "updated_on",
    ),
    "public_records.housing_fund": (
        "id",
        "subject_identifier",
        "region",
        "employer_name",
        "started_on",
        "last_paid_month",
        "monthly_contribution",
        "status",
        "updated_on",
    ),
    "scores.models": (
        "id",
        "provider_code",
        "provider_name",
        "name",
        "version",
        "scale",
        "scale_min",
        "scale_max",
        "description",
    ),
    "scores.bands": ("model_id", "name", "lower", "upper", "ordinal"),
    "scores.observations": ("id", "model_id", "subject_identifier", "value", "band", "observed_at"),
    "scores.reasons": ("observation_id", "rank", "code", "description", "impact"),
    "scores.dimensions": ("observation_id", "ordinal", "code", "name", "value", "points"),
    "scores.dimension_reasons": (
        "observation_id",
        "dimension",
        "rank",
        "code",
        "description",
        "impact",
    ),
    "gateway.requesters": ("id", "role", "identifier", "name", "created_at"),
    "gateway.mandates": ("id", "agency_id", "purpose", "edition", "legal_basis", "valid_from"),
    "gateway.consent_grants": (
        "id",
        "subject_identifier",
        "grantor_identifier",
        "grantee_id",
        "purpose",
        "edition",
        "valid_from",
        "valid_until",
        "recorded_via",
        "recorded_by",
        "evidence",
        "created_at",
        "answered_at",
    ),
    "gateway.inquiries": (
        "id",
        "subject_identifier",
        "requester_id",
        "operator",
        "purpose",
        "edition",
        "grant_id",
        "inquired_at",
    ),
}


# COPY's text format: a tab between fields, a newline after each row, \N for null, and a
# backslash before any backslash, tab, newline or carriage return inside a value.
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _text(value: str) -> str:
    if value.isprintable() and "\\" not in value:  # tab, newline and return are not printable
        return value
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], value)


def _range(value: Range[Any]) -> str:
    lower = "" if value.lower is None else _field(value.lower)
    upper = "" if value.upper is None else _field(value.upper)
    opening = "[" if value.lower_inc else "("
    closing = "]" if value.upper_inc else ")"
    return f"{opening}{lower},{upper}{closing}"


def _array(value: list[str]) -> str:
    # every element quoted, so commas, braces and spaces inside one stay in it
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value)
    return _text("{" + ",".join(quoted) + "}")


_FORMATS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "\\N",
    str: _text,
    int: str,
    Decimal: str,
    date: date.isoformat,
    datetime: datetime.isoformat,
    UUID: str,
    Range: _range,
    list: _array,
}


def _field(value: Any) -> str:
    return _FORMATS[type(value)](value)


def copy_line(row: Row) -> str:
    """One row as a line of COPY's text format (booleans and floats are not seeded)."""
    return "\t".join([_FORMATS[type(value)](value) for value in row]) + "\n"


def money_text(cents: int) -> str:
    """An amount in cents as the numeric text COPY reads: 12345 is 123.45."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


# The tables are loaded with their keys, indexes and foreign keys set aside and built after
# (load.py), so the order is only the order of the COPY statements.
LOAD_ORDER: tuple[str, ...] = tuple(COLUMNS)


class Rows:
    """Rows waiting to be copied, per table, already in COPY's text format."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {table: [] for table in COLUMNS}

    def add(self, table: str, row: Row) -> None:
        self._lines[table].append(copy_line(row))

    def lines(self, table: str) -> list[str]:
        """The table's waiting lines, for a maker that formats its rows itself (the hot
        tables: see Builder.account); the list stays the table's across drains."""
        return self._lines[table]

    def drain(self) -> Iterator[tuple[str, int, bytes]]:
        """Hand over every non-empty table in load order (rows, COPY data), leaving this empty."""
        for table in LOAD_ORDER:
            lines = self._lines[table]
            if lines:
                data = "".join(lines).encode()
                count = len(lines)
                lines.clear()
                yield table, count, data
