"""The seed's generator as a process of its own, writing COPY data to its standard output.

    python -m creditgraph.seed.stream SUBJECTS SEED

Making the rows is Python work on one random stream, in order (that order is what makes a
seed repeatable), and loading them is PostgreSQL's work: run in one process they take turns,
run here they overlap, each on a core of its own, and the loader (load.py) only forwards what
arrives. The output is a sequence of frames, each a header line and, for a table, its data:

    T <schema.table> <rows> <bytes>\\n<bytes of COPY text>
    P <subjects generated so far>\\n      (after every batch, for the progress bar)
    E\\n                                  (the end: everything was written)

A failure writes nothing more and exits non-zero with the reason on standard error.
"""

from __future__ import annotations

import random
import sys
from typing import BinaryIO

from creditgraph.seed import scoring
from creditgraph.seed.builder import Builder
from creditgraph.seed.cast import cast, reference_data
from creditgraph.seed.population import Population
from creditgraph.seed.tables import Rows

# population chunks (population.CHUNK subjects each) per batch: big enough that a COPY per
# table per batch costs little, small enough that memory stays flat
BATCH_CHUNKS = 8


def _flush(rows: Rows, out: BinaryIO, done: int) -> None:
    for table, count, data in rows.drain():
        out.write(f"T {table} {count} {len(data)}\n".encode())
        out.write(data)
    out.write(f"P {done}\n".encode())
    out.flush()


def generate(subjects: int, seed: int, out: BinaryIO) -> None:
    """Write the personas, then `subjects` generated subjects, as frames to `out`."""
    rows = Rows()
    builder = Builder(random.Random(seed), rows)
    model_ids = reference_data(builder)
    for subject in cast(builder):
        scoring.observe(builder, model_ids, subject)
    _flush(rows, out, 0)
    population = Population(builder)
    scored = len(builder.subjects)
    for chunk, done in enumerate(population.generate(subjects), start=1):
        for subject in builder.subjects[scored:]:
            scoring.observe(builder, model_ids, subject)
        scored = len(builder.subjects)
        if chunk % BATCH_CHUNKS == 0 or done == subjects:
            _flush(rows, out, done)
    out.write(b"E\n")
    out.flush()


def main(argv: list[str]) -> int:
    subjects, seed = (int(value) for value in argv)
    generate(subjects, seed, sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
