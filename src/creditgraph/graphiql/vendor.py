"""Re-fetch the vendored GraphiQL build with npm and hold it to its recorded sums.

    python -m creditgraph.graphiql.vendor            # fetch the pins, compare: exit 1 on drift
    python -m creditgraph.graphiql.vendor --update   # fetch the pins, write files and SHA256SUMS

The pins below are the whole recipe: each npm package at an exact version,
and which of its files ship under which name. `npm pack` fetches the
published tarball (npm checks it against the registry's integrity hash);
the check then compares every extracted file with both `vendored/SHA256SUMS`
and the copy in the package, so anyone can confirm that the shipped bytes
are the published ones. To move to another version, change the pin, run
with `--update`, and review the diff of SHA256SUMS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from creditgraph.graphiql.assets import SUMS, VENDORED, format_sums, recorded_sums, sha256_hex


@dataclass(frozen=True)
class Pin:
    """An npm package at an exact version, and its files: path in the tarball → shipped name."""

    spec: str
    files: dict[str, str]


# GraphiQL 3.9 is the last 3.x: a minified UMD bundle (the 3.8 "min" files are not
# minified) on React 18's UMD builds; GraphiQL 4+ drops them for ESM and Monaco.
PINS = (
    Pin(
        "graphiql@3.9.0",
        {
            "package/graphiql.min.js": "graphiql.min.js",
            "package/graphiql.min.css": "graphiql.min.css",
            "package/LICENSE": "LICENSE.graphiql",
        },
    ),
    Pin(
        "react@18.3.1",
        {
            "package/umd/react.production.min.js": "react.production.min.js",
            "package/LICENSE": "LICENSE.react",
        },
    ),
    Pin(
        "react-dom@18.3.1",
        {
            "package/umd/react-dom.production.min.js": "react-dom.production.min.js",
            "package/LICENSE": "LICENSE.react-dom",
        },
    ),
)


def _npm_pack(spec: str, into: Path) -> Path:
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed:\n{result.stderr.strip()}")
    (packed,) = json.loads(result.stdout)
    return into / str(packed["filename"])


def fetch(workdir: Path, pins: Sequence[Pin] = PINS) -> dict[str, bytes]:
    """Every pinned file as published: shipped name → bytes."""
    fetched: dict[str, bytes] = {}
    for pin in pins:
        with tarfile.open(_npm_pack(pin.spec, workdir)) as tarball:
            for member, name in pin.files.items():
                extracted = tarball.extractfile(member)
                if extracted is None:
                    raise SystemExit(f"{pin.spec} has no file {member}")
                fetched[name] = extracted.read()
    return fetched


def drift(fetched: dict[str, bytes], vendored: Path = VENDORED) -> list[str]:
    """What differs between the published files, the recorded sums and the shipped copies."""
    recorded = recorded_sums(vendored)
    problems = [f"{name}: shipped but not pinned" for name in sorted(set(recorded) - set(fetched))]
    for name, data in sorted(fetched.items()):
        published = sha256_hex(data)
        if recorded.get(name) != published:
            problems.append(f"{name}: published sha256 {published}, recorded {recorded.get(name)}")
        shipped = vendored / name
        if not shipped.is_file() or sha256_hex(shipped.read_bytes()) != published:
            problems.append(f"{name}: the shipped copy is not the published file")
    return problems


def update(fetched: dict[str, bytes], vendored: Path = VENDORED) -> None:
    for stale in set(recorded_sums(vendored)) - set(fetched):
        (vendored / stale).unlink(missing_ok=True)
    for name, data in fetched.items():
        (vendored / name).write_bytes(data)
    (vendored / SUMS).write_text(
        format_sums({name: sha256_hex(data) for name, data in fetched.items()}), encoding="utf-8"
    )


def main(
    argv: list[str] | None = None,
    *,
    pins: Sequence[Pin] = PINS,
    vendored: Path = VENDORED,
    prog: str = "python -m creditgraph.graphiql.vendor",
) -> int:
    """Fetch `pins` and compare them with (or, `--update`, write them to) `vendored`:
    GraphiQL's by default; the portal's vendor module passes its own."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Re-fetch the vendored build with npm and check its sums."
    )
    parser.add_argument("--update", action="store_true", help="write the fetched files and sums")
    args = parser.parse_args(argv)
    if shutil.which("npm") is None:
        raise SystemExit("npm is needed to fetch the pinned packages")
    with tempfile.TemporaryDirectory() as workdir:
        fetched = fetch(Path(workdir), pins)
    if args.update:
        update(fetched, vendored)
        print(f"wrote {len(fetched)} files and {SUMS}")
        return 0
    problems = drift(fetched, vendored)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(fetched)} vendored files match the published packages and {SUMS}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
