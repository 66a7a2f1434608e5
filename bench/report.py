"""docs/benchmarks.md from one command: every bench, one after another, each writing its part.

    python bench/report.py [--out docs/benchmarks.md] [--only NAME,...] [--skip NAME,...]

bench/peers.py writes the page itself (the own-graph table and its chart) and keeps every
other bench's section; each of the others then replaces only its own section, drawing its
own chart beside the page. They run one at a time, never side by side, since they would
compete for the same cores; the whole report takes about an hour on a two-core machine,
most of it seeding (the seeded databases are kept between runs, so a second run is faster).
A bench that fails stops the report with its exit status: the page keeps what the benches
before it wrote.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name, arguments: in the order they run (peers first: it writes the page's head)
BENCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("peers", ()),
    ("gateway_bound", ("--duration", "20", "--warmup", "15")),
    ("gateway_fast_path", ()),
    ("audit_scaling", ()),
    ("adversarial", ()),
    ("furnish_bulk", ()),
    ("seed", ("--subjects", "100000")),
    ("population_growth", ("--sizes", "10000,100000,1000000")),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "benchmarks.md")
    parser.add_argument("--only", default="", help="run just these benches (comma-separated)")
    parser.add_argument("--skip", default="", help="leave these benches' sections as they are")
    args = parser.parse_args()
    known = {name for name, _ in BENCHES}
    only = {name for name in args.only.split(",") if name}
    skip = {name for name in args.skip.split(",") if name}
    unknown = sorted((only | skip) - known)
    if unknown:
        parser.error(
            f"no bench named {', '.join(unknown)}; the benches: {', '.join(n for n, _ in BENCHES)}"
        )
    for name, arguments in BENCHES:
        if (only and name not in only) or name in skip:
            continue
        command = [sys.executable, str(HERE / f"{name}.py"), *arguments, "--out", str(args.out)]
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        status = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        print(f"== {name}: exit status {status} after {time.perf_counter() - started:.0f} s")
        if status != 0:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
