"""docs/benchmarks.md from one command: every bench, one after another, each writing its part.

    python bench/report.py [--out docs/benchmarks.md] [--only NAME,...] [--skip NAME,...]
                           [--with 'NAME=ARGS' ...] [--smallest]

bench/seed.py runs first: it times seeding 100,000 and 1,000,000 subjects, each on a fresh
database that it keeps for the benches after it (bench/peers.py's 100,000, and
population_growth.py's, which seeds 10,000 and 30,000 itself; all kept between runs, keyed by
what decides the rows). bench/peers.py writes the page itself (the own-graph table and its
chart) and keeps every other bench's section; each of the others then replaces only its own
section, drawing its own chart beside the page. They run one at a time, never side by side,
since they would compete for the same cores; the whole report takes about two hours on a busy
two-core machine, most of it seeding.
A bench that fails stops the report with its exit status: the page keeps what
the benches before it wrote.

Each bench runs with the arguments below; `--with 'NAME=ARGS'` adds ARGS after them (a
later option wins, so `--with 'seed=--subjects 100000'` replaces the sizes), and
`--smallest` gives every bench the smallest work it takes (seconds instead of minutes, a few
thousand subjects instead of a million): a check that the report runs end to end, whose
figures mean little.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name, arguments: in the order they run (the seed first: it leaves the seeded databases)
BENCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("seed", ("--subjects", "100000,1000000", "--keep")),
    ("peers", ()),
    ("gateway_bound", ("--duration", "20", "--warmup", "15")),
    ("gateway_fast_path", ()),
    ("subgraph_report", ("--rounds", "60")),
    ("floor_in_process", ("--profile", "20")),
    ("http_layer", ()),
    ("audit_scaling", ()),
    ("adversarial", ()),
    ("furnish_bulk", ()),
    ("population_growth", ("--sizes", "10000,30000,100000,1000000")),
)

# the least work each bench accepts: `--smallest`
SMALLEST: dict[str, tuple[str, ...]] = {
    "seed": ("--subjects", "1000,2000", "--keep"),
    "peers": ("--subjects", "2000", "--duration", "3", "--warmup", "1", "--sample", "100"),
    "gateway_bound": ("--duration", "3", "--warmup", "1"),
    "gateway_fast_path": ("--rounds", "20"),
    "subgraph_report": ("--subjects", "100", "--rounds", "3"),
    "floor_in_process": (
        "--subjects",
        "100",
        "--sample",
        "10",
        "--requests",
        "16",
        "--rounds",
        "1",
    ),
    "http_layer": ("--rounds", "20"),
    "audit_scaling": ("--subjects", "200", "--seconds", "1", "--rounds", "1"),
    "adversarial": ("--runs", "1"),
    "furnish_bulk": ("--statements", "10000"),
    "population_growth": ("--sizes", "1000,2000", "--rounds", "1", "--sample", "20"),
}


def _extra(values: list[str], parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """`--with NAME=ARGS` options as each bench's added arguments."""
    extra: dict[str, list[str]] = {}
    for value in values:
        name, separator, arguments = value.partition("=")
        if not separator:
            parser.error(f"--with takes NAME=ARGS, got {value!r}")
        extra.setdefault(name, []).extend(shlex.split(arguments))
    return extra


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "benchmarks.md")
    parser.add_argument("--only", default="", help="run just these benches (comma-separated)")
    parser.add_argument("--skip", default="", help="leave these benches' sections as they are")
    parser.add_argument(
        "--with",
        dest="extra",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help="more arguments for one bench (repeatable)",
    )
    parser.add_argument(
        "--smallest", action="store_true", help="every bench's least work: a check of the report"
    )
    args = parser.parse_args()
    known = {name for name, _ in BENCHES}
    only = {name for name in args.only.split(",") if name}
    skip = {name for name in args.skip.split(",") if name}
    extra = _extra(args.extra, parser)
    unknown = sorted((only | skip | set(extra)) - known)
    if unknown:
        parser.error(
            f"no bench named {', '.join(unknown)}; the benches: {', '.join(n for n, _ in BENCHES)}"
        )
    out = args.out.resolve()
    started = time.perf_counter()
    for name, arguments in BENCHES:
        if (only and name not in only) or name in skip:
            continue
        chosen = SMALLEST[name] if args.smallest else arguments
        command = [
            sys.executable,
            str(HERE / f"{name}.py"),
            *chosen,
            *extra.get(name, ()),
            "--out",
            str(out),
        ]
        print(f"== {name}: {shlex.join(command[1:])}", flush=True)
        began = time.perf_counter()
        status = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        print(f"== {name}: exit status {status} after {time.perf_counter() - began:.0f} s")
        if status != 0:
            return status
    print(f"== the report: {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
