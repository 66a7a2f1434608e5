"""An installed (not editable) creditgraph finds the files it ships beside its code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from creditgraph.db.migrations import discover
from creditgraph.resources import migrations_root

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_every_migration_and_query_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("creditgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for migration in discover(migrations_root()):
        assert f"creditgraph/_migrations/{migration.component}/{migration.path.name}" in names
    for sql in (ROOT / "src" / "creditgraph").rglob("*.sql"):
        assert f"creditgraph/{sql.relative_to(ROOT / 'src' / 'creditgraph')}" in names
