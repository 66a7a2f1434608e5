"""bench/peers.py's output: the table, the Markdown page and its charts, and the machine.

The charts are SVG drawn here (bench/svg_chart.py), so every run draws them with nothing more
installed; bench/gateway_bound.py draws its own table's the same way.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from peers_db import Seeding
from svg_chart import Series, bar_chart


@dataclass(frozen=True, slots=True)
class Result:
    key: str
    label: str
    like_for_like: bool
    measured: dict[str, Any]

    @property
    def throughput(self) -> float:
        return float(self.measured["throughput"])

    def latency(self, which: str) -> float:
        return float(self.measured["latencyMs"][which] or 0.0)

    @property
    def errors(self) -> int:
        return int(self.measured["errors"])


@dataclass(frozen=True, slots=True)
class Machine:
    cpu: str
    cores: int
    threads: int
    memory_gib: float
    os: str
    python: str
    node: str
    load_average: tuple[float, float, float]
    date: str

    @classmethod
    def here(cls) -> Machine:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
        return cls(
            cpu=_cpu_model(),
            cores=psutil.cpu_count(logical=False) or 0,
            threads=psutil.cpu_count() or 0,
            memory_gib=psutil.virtual_memory().total / 2**30,
            os=f"{platform.system()} {platform.release()} ({_distribution()})",
            python=platform.python_version(),
            node=node.stdout.strip(),
            load_average=os.getloadavg(),
            date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _distribution() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "unknown")
    except OSError:
        return "unknown"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "n/a"


def rows(results: list[Result]) -> list[list[str]]:
    """One row per target: figures and their ratios to the first."""
    base = results[0]
    table = []
    for result in results:
        table.append(
            [
                f"({result.key}) {result.label}",
                f"{result.throughput:,.1f}",
                _ratio(result.throughput, base.throughput),
                f"{result.latency('p50'):.1f}",
                _ratio(result.latency("p50"), base.latency("p50")),
                f"{result.latency('p99'):.1f}",
                _ratio(result.latency("p99"), base.latency("p99")),
                f"{result.errors:,} / {int(result.measured['requests']):,}",
            ]
        )
    return table


def headers(base: Result) -> list[str]:
    """The table's header row; the ratios are to `base`, the first target."""
    ratio = f"× ({base.key})"
    return ["target", "req/s", ratio, "p50 ms", ratio, "p99 ms", ratio, "errors / requests"]


def print_table(results: list[Result]) -> None:
    table = [headers(results[0]), *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
    for result in results:
        for sample in result.measured["errorSamples"]:
            print(f"  ({result.key}) error: {sample}")


def write_charts(results: list[Result], directory: Path, stem: str, title: str) -> str:
    """Throughput, and p50 and p99 latency, per target as bar charts (STEM.svg and
    STEM-latency.svg in `directory`); returns the Markdown that shows them."""
    labels = tuple(f"({result.key}) {result.label}" for result in results)
    throughput, latency = directory / f"{stem}.svg", directory / f"{stem}-latency.svg"
    bar_chart(
        throughput,
        title=f"{title}: throughput",
        value_label="requests per second (higher is better)",
        labels=labels,
        series=(Series("throughput", tuple(result.throughput for result in results)),),
    )
    bar_chart(
        latency,
        title=f"{title}: latency",
        value_label="ms (lower is better)",
        labels=labels,
        series=tuple(
            Series(which, tuple(result.latency(which) for result in results))
            for which in ("p50", "p99")
        ),
    )
    return f"![{title}: throughput]({throughput.name})\n![{title}: latency]({latency.name})"


def markdown_table(results: list[Result]) -> str:
    header = headers(results[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    return "\n".join(lines)


def write_markdown(
    path: Path,
    *,
    results: list[Result],
    command: str,
    machine: Machine,
    seeding: Seeding,
    args: dict[str, Any],
    charts: str,
    elapsed: float,
    load_after: tuple[float, float, float],
) -> None:
    load = ", ".join(f"{value:.2f}" for value in machine.load_average)
    load_end = ", ".join(f"{value:.2f}" for value in load_after)
    seeded = (
        f"seeded in {seeding.seconds:.0f} s by an earlier run, {seeding.seeded_at}, "
        "and reused from the cache"
        if seeding.reused
        else f"seeded in {seeding.seconds:.0f} s by this run"
    )
    text = TEMPLATE.format(
        table=markdown_table(results),
        picture=f"\n{charts}\n",
        command=command,
        subjects=seeding.subject_rows,
        rows=seeding.total_rows,
        seeded=seeded,
        concurrency=args["concurrency"],
        warmup=args["warmup"],
        duration=args["duration"],
        sample=args["sample"],
        check=args["check"],
        cpu=machine.cpu,
        cores=machine.cores,
        threads=machine.threads,
        memory=machine.memory_gib,
        os=machine.os,
        python=machine.python,
        node=machine.node,
        load=load,
        load_end=load_end,
        date=machine.date,
        elapsed=elapsed / 60,
    )
    kept = "".join("\n" + match.group() for match in _SECTION.finditer(_read(path)))
    path.write_text(text + kept, encoding="utf-8")


# Other benches (bench/gateway_bound.py) write their own section of the same page, between
# these markers; this page's rewrite keeps them, and theirs replaces only their own.
_SECTION = re.compile(r"<!-- section (\S+): written by .*?<!-- section \1: end -->\n?", re.S)


def section_markers(name: str) -> tuple[str, str]:
    """The lines that open and close the section bench/NAME.py writes."""
    return (
        f"<!-- section {name}: written by bench/{name}.py; rerun it -->",
        f"<!-- section {name}: end -->",
    )


def write_section(path: Path, name: str, text: str) -> None:
    """Put `text` (opened and closed by `section_markers(name)`) in place of that section."""
    begin, end = section_markers(name)
    text = text.rstrip("\n") + "\n"  # the next section starts on a line of its own
    existing = _read(path)
    own = re.compile(re.escape(begin) + ".*?" + re.escape(end) + "\n?", re.S)
    if own.search(existing):
        updated = own.sub(lambda _: text, existing)
    else:
        updated = existing.rstrip("\n") + "\n\n" + text if existing else text
    path.write_text(updated, encoding="utf-8")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


TEMPLATE = """\
# Benchmarks: creditgraph next to its peers

<!-- written by bench/peers.py; rerun it rather than editing the figures -->

The bank underwriting operation (`graphql/operations/bank_underwriting.graphql`: the identity
section, every account with 24 months of repayments, the derived signals, guarantees and their
chains, public records and the bureau score with its reasons) asked of the same database, one
target at a time, by {concurrency} concurrent clients, each sending its next request as soon as
the previous answer has arrived.

{table}
{picture}
Ratios are to (a). Throughput is answers per second over the timed {duration:.0f} s; p50 and
p99 are exact latency percentiles of those answers. An error is a non-200 status or a response
with `errors`.

## What is compared

- **(a) creditgraph, subgraphs in-process** — `creditgraph serve --in-process --no-policy`: the
  gateway and its four subgraphs in one process. The baseline of every ratio.
- **(b) creditgraph, HTTP subgraphs** — `creditgraph serve --no-policy --subgraph NAME=URL …`
  over the four subgraphs each served alone by `creditgraph subgraph NAME`.
- **(c) Hive Gateway** (`@graphql-hive/gateway`, `bench/package.json`) and **(d) Apollo
  Gateway** (`@apollo/gateway` + `@apollo/server`, `interop/package.json`) over the same four
  HTTP subgraph processes and a supergraph composed with their URLs; each signs the subgraphs'
  internal credential (`bench/hive_gateway.config.mjs`, `interop/apollo_gateway.mjs`).
- **(e) the floor** — `bench/floor.py`: a hand-written Starlette/asyncpg endpoint that answers
  this one operation without GraphQL, with the same JSON.
- **(p) creditgraph as shipped** — `creditgraph serve --in-process` under the edition policy,
  asked by a bank (a demo token) for subjects who authorised it for `LOAN_APPROVAL`: every
  request decides the subject's edition from the grants, masks other lenders' names and writes
  an inquiry and an audit-log entry. The peers do no authorisation at all, so (a) and (b) run
  with `--no-policy` for the like-for-like comparison, and this row shows what authorisation
  costs. Its answers differ from the others by design (the BANK edition's masks), so it is not
  part of the equality check.

Before anything is timed, (a)–(e) must return identical `data` for {check} subjects and (p)
must answer them without errors; the run stops otherwise. Each target then gets {warmup:.0f} s
of untimed warm-up and {duration:.0f} s of timed load; requests cycle through {sample:,}
subjects spread over the whole population. Every target's process stays up while the others
run, idle.

## Method, and what to keep in mind

- Data: {subjects:,} subjects, {rows:,} rows, made by `creditgraph seed`'s code with the same
  N and seed 1, {seeded}.
- One embedded PostgreSQL 18 on a Unix socket holds them, shared by every target. The grants
  and inquiries (p) writes stay in the cached database: a later run sees them, the same for
  every target.
- The load generator (`bench/load.mjs`, Node.js with undici's connection pool) runs on the
  same machine and competes with the targets, their subgraphs and PostgreSQL for the same
  CPU cores; on a two-core machine that is a real share. It keeps every latency sample and
  reports exact percentiles.
- Every Python server is one uvicorn process; every Node.js gateway is one process; each HTTP
  subgraph is one process. So (a), (e) and (p) do all their work in one process, which can use
  one core, while (b), (c) and (d) spread it over five (the gateway and four subgraphs) and can
  use both cores: that, not the gateway alone, is much of the gap between (a) and (b). And
  (b), (c) and (d) share the same four subgraph processes: where those are the bottleneck, the
  gateways in front of them can differ only by what they add. Nothing is tuned beyond turning
  off the peers' landing pages and usage reporting.
- The figures are from one run on the machine below; on a shared or busy machine (a load
  average above the number of cores means other work was running) they move between runs, and
  the ratios are steadier than the absolute numbers.
- The whole run took {elapsed:.1f} minutes end to end.

## Reproduce

```sh
{command}
```

## Machine

| | |
|---|---|
| CPU | {cpu} ({cores} cores, {threads} threads) |
| memory | {memory:.1f} GiB |
| OS | {os} |
| Python | {python} |
| Node.js | {node} |
| load average at start (1, 5, 15 min) | {load} |
| load average at the end | {load_end} |
| date | {date} |
"""
