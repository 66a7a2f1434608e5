"""The files the GraphiQL page loads, all shipped inside the package.

Two kinds: `vendored/` holds third-party builds (GraphiQL and React, exactly
as npm publishes them, with their licences), each listed with its SHA-256 in
`vendored/SHA256SUMS` (the `sha256sum` format, so `sha256sum -c SHA256SUMS`
audits them; `python -m creditgraph.graphiql.vendor` re-fetches and compares);
`static/` holds our own start-up script and page style. The page needs no
other origin: nothing here is fetched from a CDN.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "vendored"
STATIC = HERE / "static"
SUMS = "SHA256SUMS"

# Only what a browser loads is served; licences and the sums ship but are not routes.
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    """One servable file, read once: its bytes, type and content digest."""

    name: str
    body: bytes
    media_type: str
    sha256: str

    @property
    def version(self) -> str:
        """A short content hash: the page adds it to the URL, so a changed file is a new URL."""
        return self.sha256[:12]

    @cached_property
    def gzipped(self) -> bytes:
        """The body compressed once, when first asked for: GraphiQL's build is a megabyte.

        mtime=0 keeps the bytes the same on every start, like the body they stand for.
        """
        return gzip.compress(self.body, compresslevel=9, mtime=0)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_sums(text: str) -> dict[str, str]:
    """`sha256sum` output (`<hex>  <name>` per line) as name → hex digest."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, separator, name = line.partition("  ")
        if not separator or len(digest) != 64 or not name:
            raise ValueError(f"{SUMS} line {number} is not '<sha256>  <file>': {line!r}")
        sums[name.lstrip("*")] = digest
    return sums


def format_sums(sums: Mapping[str, str]) -> str:
    return "".join(f"{sums[name]}  {name}\n" for name in sorted(sums))


def recorded_sums(vendored: Path = VENDORED) -> dict[str, str]:
    """The files vendored in `vendored` (GraphiQL's by default) and their recorded digests."""
    return parse_sums((vendored / SUMS).read_text(encoding="utf-8"))


def _servable(path: Path) -> Asset | None:
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None:
        return None
    body = path.read_bytes()
    return Asset(path.name, body, media_type, sha256_hex(body))


def load_assets(vendored: Path = VENDORED, static: Path = STATIC) -> dict[str, Asset]:
    """Every file a page may load, by the name it is served under: the vendored builds
    listed in `vendored`'s sums and our own files in `static` (GraphiQL's by default;
    the portal has its own pair)."""
    paths = [vendored / name for name in recorded_sums(vendored)] + sorted(static.iterdir())
    found = (_servable(path) for path in paths)
    return {asset.name: asset for asset in found if asset is not None}
