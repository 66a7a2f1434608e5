"""The portal's files, all shipped inside the package: `vendored/` (Cytoscape.js as npm
publishes it, with SHA256SUMS) and `static/` (our modules, style and string catalogues).

They are served under one version, a hash over every file: the portal's modules import
one another by relative URLs, which cannot carry a per-file hash, so a change to any file
moves them all to a new URL and a year's caching stays safe.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from creditgraph.graphiql.assets import Asset, load_assets

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "vendored"
STATIC = HERE / "static"


def portal_assets() -> dict[str, Asset]:
    """Every file the portal may load, by name."""
    return load_assets(VENDORED, STATIC)


def bundle_version(assets: dict[str, Asset]) -> str:
    """A short hash over every file's name and digest: the path segment they are served under."""
    digest = hashlib.sha256()
    for name in sorted(assets):
        digest.update(f"{name}\0{assets[name].sha256}\n".encode())
    return digest.hexdigest()[:12]
