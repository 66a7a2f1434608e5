"""The documentation's own links lead somewhere: every image and every relative link in the
README and in docs/ names a file of the repository (a chart a bench draws must be committed
with the page that shows it)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target), outside code: the target up to a space, `#` or `)`
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s#]+)(?:#[^)]*)?\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _relative_targets(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: …
    ]


def test_every_relative_link_and_image_names_a_file_of_the_repository() -> None:
    missing = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in PAGES
        for target in _relative_targets(page)
        if not (page.parent / target).exists()
    ]
    assert missing == []


def test_the_benchmark_page_shows_its_charts() -> None:
    # the check above would pass on a page with no links at all
    charts = [t for t in _relative_targets(ROOT / "docs" / "benchmarks.md") if t.endswith(".svg")]
    assert len(charts) >= 4
