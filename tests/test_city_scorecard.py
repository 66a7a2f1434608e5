"""The city score's five dimensions: the points table, its document, and what each edition sees."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from creditgraph.scores import city_scorecard
from creditgraph.scores.city_scorecard import CityFacts, assess
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA
from tests.test_subject_rights import Graph, error_codes
from tests.test_subject_rights import graph as graph  # the fixture, shared

SEASONED = CityFacts(history_months=city_scorecard.MATURE_HISTORY_MONTHS)
WORST = CityFacts(
    history_months=0,
    bad_debt_accounts=1,
    current_overdue_accounts=2,
    serious_accounts=1,
    overdue_months=12,
    utilisation=Decimal("0.95"),
    adverse_legal_records=4,
    unpaid_public_dues=3,
)
CITY = """{ me { scores(scale: CITY) { value band model { name }
  dimensions { code name value points reasons { rank code impact } }
  reasons { code impact } } } }"""


def test_the_document_is_the_table_the_code_runs(repo_root: Path) -> None:
    path = repo_root / "docs" / "city-scorecard.md"
    assert path.read_text(encoding="utf-8") == city_scorecard.render_markdown(), (
        f"{path} has drifted: run "
        "`python -m creditgraph.scores.city_scorecard > docs/city-scorecard.md`"
    )
    result = subprocess.run(
        [sys.executable, "-m", "creditgraph.scores.city_scorecard"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == path.read_text(encoding="utf-8")
    for dimension in city_scorecard.DIMENSIONS:
        assert f"### `{dimension.code}`" in result.stdout
        for factor in dimension.factors:
            assert f"| `{factor.code}` | {factor.description} | {factor.points} |" in result.stdout


def test_five_dimensions_whose_points_make_the_scale() -> None:
    codes = [d.code for d in city_scorecard.DIMENSIONS]
    assert codes == ["IDENTITY", "LAW_ABIDING", "SOCIAL_CREDIT", "COMMERCIAL_CREDIT", "PRO_SOCIAL"]
    assert sum(d.points for d in city_scorecard.DIMENSIONS) == city_scorecard.HIGH
    for d in city_scorecard.DIMENSIONS:
        assert sum(f.points for f in d.factors) <= d.points, d.code


def test_a_clean_seasoned_person_is_excellent_and_a_pro_social_record_makes_it_outstanding() -> (
    None
):
    clean = assess(SEASONED)
    assert (clean.value, clean.band) == (740, "EXCELLENT")
    assert [(c.code, c.impact) for c in clean.reasons] == [("NO_PRO_SOCIAL_RECORD", 260)]
    assert {d.code: d.value for d in clean.dimensions}["PRO_SOCIAL"] == 40
    red = assess(CityFacts(history_months=60, pro_social_records=1))
    assert (red.value, red.band, red.reasons) == (1000, "OUTSTANDING", ())


def test_the_worst_file_loses_every_dimension_and_says_why_in_each() -> None:
    worst = assess(WORST)
    assert {d.code: d.value for d in worst.dimensions} == {
        "IDENTITY": 0,
        "LAW_ABIDING": 0,
        "SOCIAL_CREDIT": 0,
        "COMMERCIAL_CREDIT": 0,
        "PRO_SOCIAL": 40,
    }
    assert (worst.value, worst.band) == (40, "NEEDS_IMPROVEMENT")
    assert worst.value == sum(d.value for d in worst.dimensions)
    for d in worst.dimensions:
        assert sum(c.impact for c in d.reasons) == d.points - d.value
    # the score's reasons are the costliest factors of all, ties in table order
    assert [c.code for c in worst.reasons] == [
        "NO_PRO_SOCIAL_RECORD",
        "LEGAL_RECORDS",
        "UNPAID_PUBLIC_DUES",
        "SHORT_RECORD",
    ]


def test_the_bands_are_the_city_scores() -> None:
    cases = {0: "NEEDS_IMPROVEMENT", 549: "NEEDS_IMPROVEMENT", 550: "FAIR", 599: "FAIR"}
    cases |= {600: "GOOD", 700: "EXCELLENT", 749: "EXCELLENT", 750: "OUTSTANDING"}
    cases |= {1000: "OUTSTANDING"}
    assert {value: city_scorecard.band(value) for value in cases} == cases


async def test_the_subject_sees_their_city_score_in_five_dimensions(graph: Graph) -> None:
    model = await graph.ask(graph.subject(PERSONA["model_borrower"].identifier), CITY)
    assert "errors" not in model, model
    (score,) = model["data"]["me"]["scores"]
    dimensions = {d["code"]: d for d in score["dimensions"]}
    assert list(dimensions) == [d.code for d in city_scorecard.DIMENSIONS]
    assert score["value"] == sum(d["value"] for d in dimensions.values())
    # fifteen spotless years: everything but a pro-social record
    assert (score["value"], score["band"]) == (740, "EXCELLENT")
    assert dimensions["PRO_SOCIAL"]["reasons"] == [
        {"rank": 1, "code": "NO_PRO_SOCIAL_RECORD", "impact": 260}
    ]
    assert all(not d["reasons"] for code, d in dimensions.items() if code != "PRO_SOCIAL")

    debtor = await graph.ask(graph.subject(PERSONA["debtor"].identifier), CITY)
    (score,) = debtor["data"]["me"]["scores"]
    dimensions = {d["code"]: d for d in score["dimensions"]}
    assert "LEGAL_RECORDS" in {r["code"] for r in dimensions["LAW_ABIDING"]["reasons"]}
    assert "BAD_DEBT" in {r["code"] for r in dimensions["COMMERCIAL_CREDIT"]["reasons"]}
    assert score["band"] == city_scorecard.band(score["value"])


async def test_a_bank_sees_no_dimensions(graph: Graph) -> None:
    answer = await graph.ask(
        graph.bank(EASTBRIDGE_BANK.code),
        """query($id: String!) { subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
             scores { value model { scale } dimensions { code } } } }""",
        {"id": PERSONA["husband"].identifier},
    )
    (score,) = answer["data"]["subject"]["scores"]  # the bureau's own score only
    assert (score["model"]["scale"], score["dimensions"]) == ("BUREAU", None)
    assert [code for code, _ in error_codes(answer)] == ["FORBIDDEN_FIELD"]
