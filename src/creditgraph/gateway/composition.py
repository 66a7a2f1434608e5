"""`creditgraph compose`: our subgraphs' SDL composed into a supergraph by standard tooling.

Composition is done by The Guild's federation composition library (npm,
pinned in `interop/`), not by code of ours: the supergraph we serve is then,
by construction, one any Federation v2 gateway accepts, and a mistake in our
SDL shows up as a composition error rather than as a gateway that silently
agrees with itself. It needs Node.js and a source checkout (where `interop/`
is); the composed file is committed, so serving never needs either.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from creditgraph.errors import ConfigurationError, CreditgraphError
from creditgraph.resources import interop_root
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from creditgraph.subgraphs.sdl import subgraph_sdl

# where `creditgraph subgraph NAME --port P` listens when given these ports; `serve`
# can point a subgraph elsewhere with --subgraph NAME=URL
DEFAULT_URLS = {
    "bureau": "http://127.0.0.1:4001/graphql",
    "public": "http://127.0.0.1:4002/graphql",
    "scores": "http://127.0.0.1:4003/graphql",
    "consent": "http://127.0.0.1:4004/graphql",
}


class CompositionError(CreditgraphError):
    """The subgraphs do not compose, or the composition tooling cannot run."""


def ensure_installed(root: Path) -> Path:
    """`root` (an npm project) with its packages installed from its lock file."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise ConfigurationError("composing needs Node.js 20 or later and npm on the PATH")
    installed = root / "node_modules" / ".package-lock.json"
    lock = root / "package-lock.json"
    # `npm ci` starts by removing node_modules: two processes installing at once (two
    # compositions, two test workers) would each delete what the other is using, so the
    # install and the check before it hold an exclusive lock on the lock file, which
    # `npm ci` only reads.
    with lock.open("rb") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode != 0:
                raise ConfigurationError(f"npm ci in {root} failed: {result.stderr.strip()[-500:]}")
    return root


def compose(sdl: Mapping[str, str], urls: Mapping[str, str]) -> str:
    """The supergraph SDL of the given subgraphs (name → SDL), each at its URL."""
    root = interop_root()
    if root is None:
        raise ConfigurationError("creditgraph compose runs from a source checkout (interop/)")
    ensure_installed(root)
    with tempfile.TemporaryDirectory(prefix="creditgraph-compose-") as scratch:
        arguments = []
        for name, text in sdl.items():
            path = Path(scratch) / f"{name}.graphql"
            path.write_text(text, encoding="utf-8")
            arguments.append(f"{name}={path}={urls.get(name, '')}")
        result = subprocess.run(
            ["node", "compose.mjs", *arguments],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        raise CompositionError(f"the composition tool failed: {result.stderr.strip()[-500:]}")
    composed = json.loads(result.stdout)
    if composed["errors"]:
        raise CompositionError("the subgraphs do not compose: " + "; ".join(composed["errors"]))
    supergraph: str = composed["supergraphSdl"]
    return supergraph.rstrip("\n") + "\n"


def compose_ours() -> str:
    """The creditgraph supergraph, from the subgraphs' code (not the committed SDL files)."""
    return compose({name: subgraph_sdl(name) for name in SUBGRAPH_NAMES}, DEFAULT_URLS)
