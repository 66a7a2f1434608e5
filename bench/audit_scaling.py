"""Whether audited throughput grows with concurrency, and what the edition policy costs.

    python bench/audit_scaling.py [--subjects 2000] [--seconds 8] [--out docs/benchmarks.md]

Every request the policy gateway answers is recorded (its inquiries and an entry of the
hash-chained audit log) before its answer leaves, and the chain's appends take turns.
This seeds a throwaway embedded PostgreSQL, gives the demo bank a LOAN_APPROVAL grant
from 200 sampled subjects, and drives the policy gateway in process (every subgraph
mounted, as `creditgraph up` serves) with 1, 8 and 64 concurrent clients, each sending
its next request when the previous one is answered:

- audited requests/s of a light bank look (`subject(...) { name }`), each recorded,
  once with the records committed in groups (access/recording.py, as shipped) and once
  with each request's record in a transaction of its own, the design group commit
  replaced (`_OneByOne` below), in the same run, cell by cell alternating;
- the bank underwriting report (graphql/operations/bank_underwriting.graphql) asked by
  8 clients under the edition policy, against the same report from the gateway without
  it, alternating rounds, as a ratio (the target is 0.9 or more). Both sides send the
  same document for the same granted subjects in the same order, prepare each request
  with its own variables, and have each answer checked to be the report of the subject
  asked for.

Every figure is from one process driving the gateway in that same process: the load
generator's own cost is in every figure alike, and ratios are what to read. At the end
the audit log's chain is verified whole.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from peers_report import section_markers, write_section
from svg_chart import Series, line_chart

from creditgraph.access import audit, recording
from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.commands import in_process_gateway
from creditgraph.db.connect import create_pool
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.gateway import Supergraph
from creditgraph.requester import Requester
from creditgraph.resources import migrations_root, operations_root, policy_path, supergraph_path
from creditgraph.seed import seed_database
from creditgraph.seed.personas import WESTLAKE_BANK

BANK = Requester("BANK", WESTLAKE_BANK.code, "loan officer 7")
LOOK = (
    "query Look($identifier: String!) "
    "{ subject(identifier: $identifier, purpose: LOAN_APPROVAL) { name } }"
)
CONCURRENCY = (1, 8, 64)
START, END = section_markers("audit_scaling")

# a LOAN_APPROVAL grant to the bank from each sampled subject, as a confirmed one is stored
_GRANTS = """
insert into gateway.consent_grants
    (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
     valid_from, valid_until, recorded_via)
select gen_random_uuid(), s.identifier, s.identifier, bank.id, 'LOAN_APPROVAL', 'BANK',
       now() - interval '1 day', now() + interval '30 days', 'SUBJECT'
from (select identifier from bureau.subjects where kind = 'PERSON'
      order by md5('audit-scaling' || identifier) limit $2) s,
     (select id from gateway.requesters where identifier = $1 and role = 'BANK') bank
returning subject_identifier
"""


class _OneByOne(recording.GroupCommit):
    """The design group commit replaced: each request's record in a transaction of its own,
    taking its turn at the chain's lock while it holds a pooled connection."""

    async def record(self, record: recording.Record) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            (seq,) = await recording.write(conn, [record])
            return seq


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: float
    p50_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


#: The report under the edition policy, as a share of the same report's throughput without it.
POLICY_TARGET = 0.9


def _of(variables: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """`answer`, once it is checked to be the report of the subject `variables` name."""
    subject = (answer.get("data") or {}).get("subject") or {}
    if "errors" not in answer and subject.get("identifier") != variables["identifier"]:
        raise RuntimeError(f"asked for {variables['identifier']}, answered {subject}")
    return answer


async def _drive(
    clients: int, seconds: float, one: Callable[[int], Awaitable[dict[str, Any]]]
) -> Rate:
    """`clients` loops calling `one` back to back for `seconds`; every answer must be clean."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def client(number: int) -> None:
        n = number
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            answer = await one(n)
            latencies.append(time.perf_counter() - started)
            if "errors" in answer:
                raise RuntimeError(f"the bench's request failed: {answer['errors']}")
            n += clients

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(clients)))
    elapsed = time.perf_counter() - started
    return Rate(len(latencies), elapsed, statistics.median(latencies) * 1000)


async def _run(dsn: str, args: argparse.Namespace) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        await seed_database(conn, subjects=args.subjects, seed=1)
        granted = [
            row["subject_identifier"] for row in await conn.fetch(_GRANTS, WESTLAKE_BANK.code, 200)
        ]
        await conn.execute("analyze")
    finally:
        await conn.close()
    pool = await create_pool(dsn, max_size=10)
    try:
        gateway = in_process_gateway(Supergraph(supergraph_path().read_text("utf-8")), pool)
        policy = PolicyGateway(gateway, Policy.load(policy_path()), pool)
        grouped = policy.recorder
        one_by_one = _OneByOne(pool)

        # A policy's prepared operation carries the variables it was prepared with, and the
        # policy decides and fetches the subject they name: each request is prepared with its
        # own variables (cached after the first), as the HTTP layer prepares each request.
        async def audited(n: int) -> dict[str, Any]:
            variables = {"identifier": granted[n % len(granted)]}
            look = policy.prepare(LOOK, variables, "Look")
            return await policy.record(await policy.run(look, variables, BANK, f"bench-{n}"))

        underwriting = (operations_root() / "bank_underwriting.graphql").read_text("utf-8")

        # both sides prepare each request with its own variables and must answer the subject
        # asked for: the same report of the same subjects, with and without the policy
        async def plain(n: int) -> dict[str, Any]:
            variables = {"identifier": granted[n % len(granted)]}
            prepared = gateway.prepare(underwriting, variables, "BankUnderwriting")
            return _of(variables, await gateway.run(prepared, variables))

        async def enforced(n: int) -> dict[str, Any]:
            variables = {"identifier": granted[n % len(granted)]}
            client = policy.prepare(underwriting, variables, "BankUnderwriting")
            ran = await policy.run(client, variables, BANK, f"bench-u-{n}")
            return _of(variables, await policy.record(ran))

        # warm every path and every pooled connection
        await _drive(8, 3.0, audited)
        await _drive(8, 3.0, plain)
        await _drive(8, 3.0, enforced)

        scaling: dict[tuple[str, int], Rate] = {}
        for clients in CONCURRENCY:
            for name, recorder in (("group", grouped), ("one", one_by_one)):
                policy.recorder = recorder
                scaling[(name, clients)] = await _drive(clients, args.seconds, audited)
                print(name, clients, scaling[(name, clients)], flush=True)
        policy.recorder = grouped

        # each round's sides in turn, the first of one round last in the next: a run drifts
        # (the looks it records pile up on the subjects' lists, the machine's load moves), and
        # one side always second would take alone whatever a round's order does to it
        rounds: dict[str, list[Rate]] = {"plain": [], "policy": []}
        sides = {"plain": plain, "policy": enforced}
        for number in range(args.rounds):
            for name in ("plain", "policy") if number % 2 == 0 else ("policy", "plain"):
                rounds[name].append(await _drive(8, args.seconds, sides[name]))
            print(rounds["plain"][-1], rounds["policy"][-1], flush=True)
        verification = await audit.verify(pool)
        if not verification.ok:
            raise RuntimeError(f"the audit chain is broken: {verification}")
        await gateway.aclose()
    finally:
        await pool.close()
    return _section(args, scaling, rounds, verification.checked)


def _section(
    args: argparse.Namespace,
    scaling: dict[tuple[str, int], Rate],
    rounds: dict[str, list[Rate]],
    checked: int,
) -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines = [
        START,
        "",
        "## Audited throughput and the edition policy's cost",
        "",
        "Every request the policy gateway answers is recorded, its inquiries and its entry of",
        "the hash-chained audit log, before the answer leaves. The records of concurrent",
        "requests are committed in groups (`src/creditgraph/access/recording.py`): one",
        "transaction, one turn at the chain's lock and one commit for every record that",
        "queued while the previous group was written. Below, a bank's light look",
        "(`subject(identifier:, purpose: LOAN_APPROVAL) { name }`), each one recorded, by",
        f"1, 8 and 64 clients in one process with the gateway ({args.subjects:,} subjects,",
        f"{args.seconds:g} s per cell; the clients take turns over the 200 subjects that",
        "granted the bank a look, each request prepared with its own variables), with group",
        "commit and with each record in a transaction of its own (the design it replaced),",
        "alternating, in one run:",
        "",
        "| clients | group commit req/s | p50 ms | one transaction each req/s | p50 ms | × |",
        "|---|---|---|---|---|---|",
    ]
    for clients in CONCURRENCY:
        group, one = scaling[("group", clients)], scaling[("one", clients)]
        lines.append(
            f"| {clients} | {group.per_second:.0f} | {group.p50_ms:.1f} | "
            f"{one.per_second:.0f} | {one.p50_ms:.1f} | "
            f"{group.per_second / one.per_second:.2f}× |"
        )
    if args.out is not None:
        chart = args.out.parent / "audit-scaling.svg"
        line_chart(
            chart,
            title="Audited requests per second against concurrent clients",
            x_label="concurrent clients",
            y_label="requests per second",
            xs=CONCURRENCY,
            series=(
                Series(
                    "group commit", tuple(scaling[("group", c)].per_second for c in CONCURRENCY)
                ),
                Series(
                    "one transaction each",
                    tuple(scaling[("one", c)].per_second for c in CONCURRENCY),
                ),
            ),
        )
        lines += ["", f"![audited requests per second against clients]({chart.name})"]
    plain = statistics.median(rate.per_second for rate in rounds["plain"])
    enforced = statistics.median(rate.per_second for rate in rounds["policy"])
    spread = [
        b.per_second / a.per_second for a, b in zip(rounds["plain"], rounds["policy"], strict=True)
    ]
    verdict = "met" if enforced / plain >= POLICY_TARGET else "not met"
    lines += [
        "",
        "The bank underwriting report (`graphql/operations/bank_underwriting.graphql`, every",
        "field of it) by 8 clients, under the edition policy (a bank with the subjects'",
        "LOAN_APPROVAL grants: editions decided, other lenders masked, every look recorded)",
        "and from the same gateway without a policy (the same fields unmasked, nothing",
        "decided or recorded), in alternating rounds (each round's first side last in the",
        "next, so that the run's drift falls on both alike). Both sides ask for the same 200",
        "granted subjects in the same order, each request prepared with its own variables, and",
        "every answer is checked to be the report of the subject asked for, without errors (8",
        "clients, never two asking for the same subject at once):",
        "",
        "| | req/s (median of rounds) | ratio to no policy |",
        "|---|---|---|",
        f"| no policy | {plain:.1f} | 1.00× |",
        f"| edition policy | {enforced:.1f} | {enforced / plain:.2f}× |",
        "",
        f"Rounds: {args.rounds} of {args.seconds:g} s each; the ratio per round ranged "
        f"{min(spread):.2f}–{max(spread):.2f}×. The audit chain verified whole afterwards "
        f"({checked:,} entries). Load average at the end: {load} (2 cores, shared: the",
        "absolute figures move between runs; the ratios, taken side by side, less).",
        "",
        f"Target: the report under the policy at least {POLICY_TARGET:.1f}× the report without"
        f" it: {enforced / plain:.2f}×, {verdict}.",
        "Where the policy's cost goes, one report at a time: the report sends 3 or 4",
        "statements more under the policy than without it (who asks, read with their",
        "grants from the subject asked for; the grants of reached records that are others'",
        "when there are any; the subject read again for the fields that need another",
        "subgraph's first; the record). The record is one statement (access/audit.py",
        "`record`): the inquiries, with their tallies and counted looks, and the chained",
        "entry are written by one database function, in a transaction of its own, so the",
        "answer waits for one round trip and the commit that makes the record durable",
        "before it leaves (five round trips before: BEGIN, the inquiries, the chain's turn,",
        "the entries, COMMIT). Under 8 clients the records share transactions, but the",
        "database's writes run on the same two cores as the gateway. The records a report",
        "reaches (the subject's accounts, a spouse, a co-borrower) are fetched with the",
        "subject, each in the view it is guessed to get, never one showing more than the",
        "requester may see (access/views.py), and again only when the view their owners",
        "decide fetches otherwise: the report takes 4 fetches, as without the policy (6 when",
        "each reached record waited for its view in a wave of its own), but two of them are",
        "the bureau's: the policy reads the subject from the bureau first (an unknown subject",
        "is then no record, not an error), so the fields that need the public records'",
        "answer first take a second, small bureau fetch, where the report without the policy",
        "starts from the consent subgraph and asks the bureau once.",
        "",
        "Measured one report at a time on 2026-12-03 (process CPU by stage, PostgreSQL's CPU",
        "from its processes' counters), the policy adds about 3-5 ms of the gateway's CPU to",
        "a report of about 17 ms (the second bureau fetch about 2, deciding who asks 0.5,",
        "walking the fetched records 0.9, the record's building and writing 0.7) and about",
        "5 ms of the database's to its 9-10 (the record about 3 when committed alone, 1.3",
        "in groups of 8; who asks with their grants 0.8; the entitlements of others' records",
        "reached 0.6; the second bureau fetch the rest). The record's lists written as JSON",
        "in one call and a redundant index on the inquiries dropped (migrations gateway/0019",
        "and 0020) took a little of the database's share; the ratio across runs on this",
        "machine has ranged from 0.66 to 0.85.",
        "",
        "```sh",
        f".venv/bin/python bench/audit_scaling.py --subjects {args.subjects} "
        f"--seconds {args.seconds:g} --rounds {args.rounds} --out docs/benchmarks.md",
        "```",
        "",
        END,
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        text = asyncio.run(_run(server.dsn, args))
    print(text)
    if args.out is not None:
        write_section(args.out, "audit_scaling", text)


if __name__ == "__main__":
    main()
