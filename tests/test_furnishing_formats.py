"""The record formats: real JSON Schema, their examples valid, the docs page in step with them."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from creditgraph.furnishing import compile as checks
from creditgraph.furnishing.docs import render
from creditgraph.furnishing.kinds import kinds_for, public_book, record_kinds


@pytest.mark.parametrize("name", sorted(record_kinds()))
def test_each_format_is_json_schema_and_its_examples_fit(name: str) -> None:
    schema = dict(record_kinds()[name].schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert schema["examples"]
    for example in schema["examples"]:
        validator.validate(example)
    # a float amount is not what the format takes
    amounts = [f for f, spec in schema["properties"].items() if spec.get("format") == "decimal"]
    for field in amounts:
        assert not validator.is_valid({**schema["examples"][0], field: 12.5})


def test_each_furnisher_has_its_kinds_and_a_scorer_none() -> None:
    assert kinds_for("BANK") == ("ACCOUNT", "STATEMENT")
    assert kinds_for("CONSUMER_FINANCE") == kinds_for("BANK")
    assert set(kinds_for("COURT")) == {
        "ENFORCEMENT_CASE",
        "DISHONEST_LISTING",
        "CONSUMPTION_RESTRICTION",
    }
    assert set(kinds_for("AGENCY")) == {"ADMINISTRATIVE_ACTION", "TAX_ARREAR", "LIST_ENTRY"}
    assert kinds_for("SCORER") == ()
    assert '"table": "public_records.tax_arrears"' in public_book()


def test_the_docs_page_is_generated_from_the_formats(repo_root: Path) -> None:
    committed = (repo_root / "docs" / "furnishing.md").read_text(encoding="utf-8")
    assert committed == render(), "run: creditgraph formats --out docs/furnishing.md"


def test_the_checks_are_compiled_from_the_formats() -> None:
    committed = checks.CHECKS_PATH.read_text(encoding="utf-8")
    assert committed == checks.render(), "run: python -m creditgraph.furnishing.compile"
