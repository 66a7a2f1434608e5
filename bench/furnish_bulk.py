"""A monthly batch of repayment statements from several banks, furnished through the pipeline.

    python bench/furnish_bulk.py [--statements 1000000] [--out docs/benchmarks.md]

On a throwaway embedded PostgreSQL: the demo institutions are loaded, the three demo banks'
accounts are loaded with SQL (one borrower each: the setup, timed apart), and then each bank
furnishes its monthly batch of statements, one JSON Lines file per bank, one month per
account, a few in a thousand lines bad on purpose so the per-line report has something to say.
The timed figure is the three batches, sent at once as three banks' batch jobs would be (each
on its own connection), from reading the files to the last commit, the report written. Beside
it, the floor: the same rows, already typed, copied straight into a table shaped like the
repayments table, with no check, no merge and no audit (the ratio is what checking and merging
cost).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from peers_report import section_markers, write_section

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.furnishing.pipeline import Rejection, Summary, furnish
from creditgraph.furnishing.sources import file_chunks, records
from creditgraph.requester import Furnisher
from creditgraph.resources import migrations_root
from creditgraph.seed import seed_database
from creditgraph.seed.personas import EASTBRIDGE_BANK, HARBOUR_FINANCE, WESTLAKE_BANK

BANKS = (EASTBRIDGE_BANK.code, WESTLAKE_BANK.code, HARBOUR_FINANCE.code)
#: one line in this many is bad on purpose (a float amount, or an account no one reported)
BAD_EVERY = 500


@dataclass(frozen=True, slots=True)
class Figures:
    statements: int
    accounts_seconds: float
    batch_seconds: float
    floor_seconds: float
    summaries: list[Summary]
    report_lines: int
    load: float


def _month_start(day: date) -> date:
    return day.replace(day=1)


def write_batches(folder: Path, statements: int) -> tuple[list[Path], date]:
    """Per bank, its STATEMENT file (account numbers B<bank>-<n>); the statements' month."""
    month = _month_start(_month_start(date.today()) - timedelta(days=1))  # last month
    period = month.strftime("%Y-%m")
    batches = []
    index = 0
    for bank_number, _ in enumerate(BANKS):
        batch_file = folder / f"statements-{bank_number}.jsonl"
        with batch_file.open("w") as out:
            for n in range(_per_bank(statements, bank_number)):
                overdue = index % 50 == 7
                line: dict[str, object] = {
                    "kind": "STATEMENT",
                    "accountNumber": f"B{bank_number}-{n:08d}",
                    "period": period,
                    "status": "1" if overdue else "N",
                    "amountDue": "420.50",
                    "amountPaid": "0" if overdue else "420.50",
                    "overdueAmount": "420.50" if overdue else "0",
                    "balance": f"{1000 + index % 90_000}.00",
                }
                if overdue:
                    line["subjectNotifiedOn"] = month.isoformat()
                if index % BAD_EVERY == 3:
                    line["amountDue"] = 420.5
                elif index % BAD_EVERY == 4:
                    line["accountNumber"] = f"X{n}"
                out.write(json.dumps(line) + "\n")
                index += 1
        batches.append(batch_file)
    return batches, month


def _per_bank(statements: int, bank_number: int) -> int:
    share = statements // len(BANKS)
    return share if bank_number < len(BANKS) - 1 else statements - share * (len(BANKS) - 1)


async def _open_accounts(conn: asyncpg.Connection, statements: int, month: date) -> None:
    """The accounts the statements are for, one borrower each, loaded straight with SQL: the
    setup, not what is measured (furnishing ACCOUNT records has its tests)."""
    opened = month - timedelta(days=200)
    for bank_number, code in enumerate(BANKS):
        await conn.execute(SETUP, code, bank_number, _per_bank(statements, bank_number), opened)


SETUP = """
with bank as (select id from bureau.institutions where code = $1),
codes as (
    -- unified social credit codes 91 + the bank's number and n, with their check character
    select n, first17 || substr(alphabet, (31 - weighted % 31) % 31 + 1, 1) as code
    from generate_series(0, $3 - 1) n,
         lateral (select '91' || lpad(($2 * 10000000 + n)::text, 15, '0') as first17,
                         '0123456789ABCDEFGHJKLMNPQRTUWXY' as alphabet) f,
         lateral (select sum((position(substr(first17, i, 1) in alphabet) - 1)
                             * (array[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10,
                                      30, 28])[i])::int as weighted
                  from generate_series(1, 17) i) w
), people as (
    insert into bureau.subjects (kind, identifier, name)
    select 'ORGANISATION', code, 'Borrower ' || n from codes
    returning id, name
), accounts as (
    insert into bureau.credit_accounts
        (lender_id, account_number, kind, principal, balance, term_months, opened_on, status,
         reported_on)
    select bank.id, 'B' || $2 || '-' || lpad(split_part(p.name, ' ', 2), 8, '0'),
           'BUSINESS_LOAN', 100000, 90000, 36, $4, 'NORMAL', $4
    from people p, bank
    returning id, account_number
)
insert into bureau.account_parties (account_id, subject_id, role)
select a.id, p.id, 'PRIMARY_BORROWER'
from accounts a
join people p on 'B' || $2 || '-' || lpad(split_part(p.name, ' ', 2), 8, '0') = a.account_number
"""


async def _furnish_files(dsn: str, files: list[Path], report: Path) -> list[Summary]:
    """The banks' batches at once, each bank's on its own connection, as the batch jobs of
    several banks arrive; every rejected line written to one report."""
    with report.open("w") as out:

        async def write(rejection: Rejection) -> None:
            out.write(json.dumps(rejection.document()) + "\n")

        async def send(bank: str, path: Path) -> Summary:
            conn = await asyncpg.connect(dsn)
            try:
                return await furnish(
                    conn,
                    Furnisher(bank, "bench"),
                    records(file_chunks(path), "jsonl"),
                    channel="FILE",
                    request_id=f"bench-{path.name}",
                    on_rejection=write,
                )
            finally:
                await conn.close()

        return list(
            await asyncio.gather(
                *(send(bank, path) for bank, path in zip(BANKS, files, strict=True))
            )
        )


async def _floor(conn: asyncpg.Connection, statements: int, month: date) -> float:
    """COPY of the same number of typed rows into a table shaped like bureau.repayments."""
    await conn.execute("create table bench_floor (like bureau.repayments including all)")
    rows = [
        (index + 1, month, "N", Decimal("420.50"), Decimal("420.50"), Decimal(0), Decimal(1000))
        for index in range(statements)
    ]
    started = time.perf_counter()
    await conn.copy_records_to_table("bench_floor", records=rows)
    return time.perf_counter() - started


async def _run(dsn: str, statements: int, folder: Path) -> Figures:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        await seed_database(conn, subjects=0, seed=1)
        batches, month = write_batches(folder, statements)
        started = time.perf_counter()
        await _open_accounts(conn, statements, month)
        await conn.execute("analyze")
        accounts_seconds = time.perf_counter() - started
        report = folder / "report.jsonl"
        started = time.perf_counter()
        summaries = await _furnish_files(dsn, batches, report)
        batch_seconds = time.perf_counter() - started
        floor_seconds = await _floor(conn, statements, month)
    finally:
        await conn.close()
    report_lines = sum(1 for _ in report.open())
    return Figures(
        statements,
        accounts_seconds,
        batch_seconds,
        floor_seconds,
        summaries,
        report_lines,
        os.getloadavg()[1],
    )


def section(figures: Figures) -> str:
    begin, end = section_markers("furnish_bulk")
    accepted = sum(s.accepted for s in figures.summaries)
    rejected = sum(s.rejected for s in figures.summaries)
    rate = figures.statements / figures.batch_seconds
    floor_rate = figures.statements / figures.floor_seconds
    return f"""{begin}
## Furnishing in bulk: a monthly batch of {figures.statements:,} statements

`python bench/furnish_bulk.py --statements {figures.statements}` on a throwaway embedded
PostgreSQL ({datetime.now(UTC):%Y-%m-%d}). Three banks each furnish their monthly batch of
repayment statements (JSON Lines, one month per account, one account per borrower), the three
at once (each bank's batch job on its own connection), through the same pipeline as
`creditgraph furnish` and `POST /furnish`:
read as it arrives, copied into staging a part at a time, checked and merged in SQL, each
part committed with its audit entry. One line in {BAD_EVERY // 2} is bad on purpose (a float
amount, an account no one reported), so the per-line report is written too.

| | seconds | statements a second |
|---|---:|---:|
| the three batches, accepted with their report | {figures.batch_seconds:.1f} | {rate:,.0f} |
| the floor: the same rows, typed, copied into a table (no check, no merge) \
| {figures.floor_seconds:.1f} | {floor_rate:,.0f} |

{accepted:,} statements accepted, {rejected:,} lines rejected ({figures.report_lines:,} report
lines: line, field and reason each); the whole batch took
{figures.batch_seconds / figures.floor_seconds:.1f} times the floor. The target is 60 s for
1,000,000 statements. The {figures.statements:,} accounts (one borrower each) were loaded
beforehand with SQL, in {figures.accounts_seconds:.1f} s, not counted above. Load average
while measuring: {figures.load:.1f} on this machine's {os.cpu_count()} cores (other work
running), so figures move between runs.
{end}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="write the section into this page")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        figures = asyncio.run(_run(server.dsn, args.statements, Path(scratch)))
    text = section(figures)
    print(text)
    if args.out is not None:
        write_section(args.out, "furnish_bulk", text)


if __name__ == "__main__":
    main()
