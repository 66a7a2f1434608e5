"""The bureau's batch functions: one statement per kind of thing per request.

Each function answers a dataloader batch (see `SubgraphContext.loader`); the
statements are in queries.sql beside this file.
"""

from __future__ import annotations

from pathlib import Path

from creditgraph.db.queries import load_queries
from creditgraph.subgraphs.batching import row_per_key, rows_per_key
from creditgraph.subgraphs.context import Statements
from creditgraph.subgraphs.records import Row

SQL = load_queries(Path(__file__).with_name("queries.sql"))


async def subject_by_id(db: Statements, ids: list[int]) -> list[Row | None]:
    return await row_per_key(db, SQL["subjects_by_id"], ids, "id")


async def subject_by_identifier(db: Statements, identifiers: list[str]) -> list[Row | None]:
    return await row_per_key(db, SQL["subjects_by_identifier"], identifiers, "identifier")


async def institution_by_id(db: Statements, ids: list[int]) -> list[Row | None]:
    return await row_per_key(db, SQL["institutions_by_id"], ids, "id")


async def institution_by_code(db: Statements, codes: list[str]) -> list[Row | None]:
    return await row_per_key(db, SQL["institutions_by_code"], codes, "code")


async def phones(db: Statements, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["phones_by_subject"], subject_ids, "subject_id")


async def addresses(db: Statements, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["addresses_by_subject"], subject_ids, "subject_id")


async def employments(db: Statements, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["employments_by_subject"], subject_ids, "subject_id")


async def educations(db: Statements, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["educations_by_subject"], subject_ids, "subject_id")


async def marriages(db: Statements, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["marriages_by_subject"], subject_ids, "subject_id")


async def principals(db: Statements, organisation_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(
        db, SQL["principals_by_organisation"], organisation_ids, "organisation_id"
    )


async def principal_roles(db: Statements, person_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["principal_roles_by_person"], person_ids, "person_id")


async def account_by_id(db: Statements, months: int | None, ids: list[int]) -> list[Row | None]:
    return await row_per_key(db, SQL["accounts_by_id"], ids, "id", months)


async def accounts_of(
    db: Statements, months: int | None, subject_ids: list[int]
) -> list[list[Row]]:
    """Each subject's accounts, whole, with the subject's role on each (`role`)."""
    return await rows_per_key(db, SQL["accounts_by_subject"], subject_ids, "subject_id", months)


async def parties(db: Statements, account_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["parties_by_account"], account_ids, "account_id")


async def repayments(db: Statements, account_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["repayments_by_account"], account_ids, "account_id")


async def guarantee_by_id(db: Statements, months: int | None, ids: list[int]) -> list[Row | None]:
    return await row_per_key(db, SQL["guarantees_by_id"], ids, "id", months)


async def guarantees_given(
    db: Statements, months: int | None, subject_ids: list[int]
) -> list[list[Row]]:
    """The guarantees each subject gave, whole, newest first."""
    return await rows_per_key(
        db, SQL["guarantees_by_guarantor"], subject_ids, "guarantor_id", months
    )


async def guarantees_of_account(
    db: Statements, months: int | None, account_ids: list[int]
) -> list[list[Row]]:
    """The guarantees standing behind each account, whole, newest first."""
    return await rows_per_key(db, SQL["guarantees_by_account"], account_ids, "account_id", months)


async def credit_summaries(
    db: Statements, months: int | None, subject_ids: list[int]
) -> list[Row | None]:
    """What each subject's credit summary is derived from (`credit_summaries`), under the
    request's data period."""
    return await row_per_key(db, SQL["credit_summaries"], subject_ids, "subject_id", months)


InquiryPageKey = tuple[str, int, int | None]
"""(subject identifier, page size, the id of the look the page starts after, or None)."""


async def inquiry_pages(
    db: Statements, months: int | None, keys: list[InquiryPageKey]
) -> list[list[Row]]:
    """Each key's page rows (see `inquiry_pages` in queries.sql), at least one per key."""
    identifiers, sizes, afters = zip(*keys, strict=True)
    found: list[list[Row]] = [[] for _ in keys]
    for row in await db.fetch(SQL["inquiry_pages"], identifiers, sizes, afters, months):
        found[row["ord"] - 1].append(row)
    return found


async def disputes(db: Statements, months: int | None, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["disputes_by_subject"], subject_ids, "subject_id", months)


async def statements(db: Statements, months: int | None, subject_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["statements_by_subject"], subject_ids, "subject_id", months)


async def corrections(db: Statements, identifiers: list[str]) -> list[list[Row]]:
    """Furnishers' corrections of each subject's records (by identifier, as they keep them)."""
    return await rows_per_key(db, SQL["corrections_by_subject"], identifiers, "subject")


async def correction_by_id(db: Statements, ids: list[int]) -> list[Row | None]:
    """The corrections that answered disputes (a dispute names its answer's by id)."""
    return await row_per_key(db, SQL["corrections_by_id"], ids, "id")


async def negative_notices(db: Statements, identifiers: list[str]) -> list[list[Row]]:
    """When furnishers told each subject of negative information (by identifier, as kept)."""
    return await rows_per_key(db, SQL["negative_notices_by_subject"], identifiers, "subject")


async def fraud_alerts(
    db: Statements, months: int | None, subject_ids: list[int]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["fraud_alerts_by_subject"], subject_ids, "subject_id", months)


async def dispute_marks(db: Statements, records: list[tuple[str, str]]) -> list[Row | None]:
    """The open dispute's mark per (record kind, record id), None for an undisputed record."""
    kinds, ids = zip(*records, strict=True)
    found = {
        (row["record_type"], row["record_id"]): row
        for row in await db.fetch(SQL["dispute_marks"], list(kinds), list(ids))
    }
    return [found.get(record) for record in records]


async def guarantee_chains(db: Statements, keys: list[tuple[int, int]]) -> list[list[Row]]:
    """Chains per (subject id, max depth): one statement per distinct depth asked for."""
    found: dict[tuple[int, int], list[Row]] = {}
    for depth in sorted({depth for _, depth in keys}):
        roots = [subject for subject, d in keys if d == depth]
        for row in await db.fetch(SQL["guarantee_chains"], roots, depth):
            found.setdefault((row["root_id"], depth), []).append(row)
    return [found.get(key, []) for key in keys]
