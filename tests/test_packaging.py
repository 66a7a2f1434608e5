"""An installed (not editable) creditgraph finds the files it ships beside its code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from creditgraph.db.migrations import discover
from creditgraph.graphiql.assets import STATIC, VENDORED
from creditgraph.portal import assets as portal
from creditgraph.resources import migrations_root, operations_root

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files in a wheel built from this checkout (built once: it takes seconds)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("creditgraph-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_wheel_carries_every_migration_and_query_file(wheel_names: set[str]) -> None:
    for migration in discover(migrations_root()):
        assert f"creditgraph/_migrations/{migration.component}/{migration.path.name}" in wheel_names
    for sql in (ROOT / "src" / "creditgraph").rglob("*.sql"):
        assert f"creditgraph/{sql.relative_to(ROOT / 'src' / 'creditgraph')}" in wheel_names


def test_wheel_carries_the_trusted_operations(wheel_names: set[str]) -> None:
    for operation in operations_root().glob("*.graphql"):
        assert f"creditgraph/_graphql/operations/{operation.name}" in wheel_names


def test_wheel_carries_the_graphiql_page_files(wheel_names: set[str]) -> None:
    for directory in (VENDORED, STATIC):
        for path in directory.iterdir():
            assert f"creditgraph/graphiql/{directory.name}/{path.name}" in wheel_names


def test_wheel_carries_the_portal_files(wheel_names: set[str]) -> None:
    for directory in (portal.VENDORED, portal.STATIC):
        for path in directory.iterdir():
            assert f"creditgraph/portal/{directory.name}/{path.name}" in wheel_names
