"""The scores subgraph against seeded PostgreSQL: what a lender or subject reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from creditgraph.identifiers import make_resident_id
from creditgraph.scores.schema import schema
from creditgraph.seed.personas import PERSONA
from creditgraph.subgraphs.pagination import encode_cursor
from tests.graphql_helpers import StatementLog, codes, counting_pool, data_of, execute

ENTITY = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Subject { %s } } }
"""
LATEST = """scores(scale: $scale) { id value band observedAt
    model { id name scale min max bands { name lower upper ordinal } }
    reasons { rank code description impact } }"""
BY_SCALE = """query($reps: [_Any!]!, $scale: ScoreScale) {
  _entities(representations: $reps) { ... on Subject { %s } } }"""
HISTORY = """query($reps: [_Any!]!, $scale: ScoreScale, $first: Int, $after: String) {
  _entities(representations: $reps) { ... on Subject {
    scoreHistory(scale: $scale, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id value observedAt model { scale } } } } } } }"""


def rep(identifier: str) -> dict[str, str]:
    return {"__typename": "Subject", "identifier": identifier}


async def latest(pool: asyncpg.Pool, key: str, scale: str | None = None) -> list[dict[str, Any]]:
    data = await data_of(
        schema,
        pool,
        BY_SCALE % LATEST,
        {"reps": [rep(PERSONA[key].identifier)], "scale": scale},
    )
    found: list[dict[str, Any]] = data["_entities"][0]["scores"]
    return found


async def history(
    pool: asyncpg.Pool, identifier: str, **arguments: Any
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    data, errors = await execute(schema, pool, HISTORY, {"reps": [rep(identifier)], **arguments})
    if data is None or data["_entities"][0] is None:
        return None, errors
    found: dict[str, Any] = data["_entities"][0]["scoreHistory"]
    return found, errors


def ordinal(observation: dict[str, Any]) -> int:
    bands: dict[str, int] = {b["name"]: b["ordinal"] for b in observation["model"]["bands"]}
    return bands[observation["band"]]


# -- what a lender reads --------------------------------------------------------


async def test_the_model_borrower_scores_a_better_bureau_band_than_the_debtor(
    seeded_pool: asyncpg.Pool,
) -> None:
    (model,) = await latest(seeded_pool, "model_borrower", "BUREAU")
    (debtor,) = await latest(seeded_pool, "debtor", "BUREAU")
    assert model["model"]["scale"] == debtor["model"]["scale"] == "BUREAU"
    assert (model["model"]["min"], model["model"]["max"]) == (300, 900)
    assert ordinal(model) > ordinal(debtor)
    assert model["value"] > debtor["value"]
    assert model["band"] == "EXCELLENT"
    assert model["reasons"] == []  # nothing to explain in a spotless file


async def test_reasons_explain_the_debtor_s_low_score_costliest_first(
    seeded_pool: asyncpg.Pool,
) -> None:
    (debtor,) = await latest(seeded_pool, "debtor", "BUREAU")
    reasons = debtor["reasons"]
    assert reasons[0]["code"] == "BAD_DEBT"
    assert "bad debt" in reasons[0]["description"]
    assert [r["rank"] for r in reasons] == list(range(1, len(reasons) + 1))
    assert 1 <= len(reasons) <= 4
    impacts = [r["impact"] for r in reasons]
    assert impacts == sorted(impacts, reverse=True)
    assert all(impact > 0 for impact in impacts)
    assert "CURRENT_OVERDUE" in {r["code"] for r in reasons}
    # the reasons account for the points the debtor lost
    assert sum(impacts) <= 900 - debtor["value"]


async def test_the_city_score_has_the_city_bands(seeded_pool: asyncpg.Pool) -> None:
    data = await data_of(
        schema,
        seeded_pool,
        "{ scoreModels { id name scale min max providerName bands { name lower upper ordinal } } }",
    )
    models = {m["scale"]: m for m in data["scoreModels"]}
    assert set(models) == {"BUREAU", "CITY", "COMMERCIAL"}
    city = models["CITY"]
    assert (city["min"], city["max"]) == (0, 1000)
    assert [(b["name"], b["lower"], b["upper"], b["ordinal"]) for b in city["bands"]] == [
        ("NEEDS_IMPROVEMENT", 0, 550, 1),
        ("FAIR", 550, 600, 2),
        ("GOOD", 600, 700, 3),
        ("EXCELLENT", 700, 750, 4),
        ("OUTSTANDING", 750, 1000, 5),
    ]
    assert (models["COMMERCIAL"]["min"], models["COMMERCIAL"]["max"]) == (350, 950)

    (score,) = await latest(seeded_pool, "model_borrower", "CITY")
    band = next(b for b in score["model"]["bands"] if b["name"] == score["band"])
    assert band["lower"] <= score["value"] < band["upper"]


async def test_scores_are_the_latest_of_each_model(seeded_pool: asyncpg.Pool) -> None:
    scores = await latest(seeded_pool, "late_payer")
    assert sorted(s["model"]["scale"] for s in scores) == ["BUREAU", "CITY", "COMMERCIAL"]
    found, errors = await history(seeded_pool, PERSONA["late_payer"].identifier, first=100)
    assert not errors
    assert found is not None
    for score in scores:
        of_model = [
            e["node"]
            for e in found["edges"]
            if e["node"]["model"]["scale"] == score["model"]["scale"]
        ]
        assert len(of_model) > 1
        assert score["id"] == of_model[0]["id"]
        assert score["observedAt"] == max(o["observedAt"] for o in of_model)


async def test_organisations_have_no_city_score(seeded_pool: asyncpg.Pool) -> None:
    scores = await latest(seeded_pool, "red_listed")
    assert sorted(s["model"]["scale"] for s in scores) == ["BUREAU", "COMMERCIAL"]
    assert await latest(seeded_pool, "red_listed", "CITY") == []


async def test_a_valid_identifier_nobody_scored_resolves_with_empty_lists(
    seeded_pool: asyncpg.Pool,
) -> None:
    stranger = make_resident_id("110105", date(1999, 1, 1), 7)
    data = await data_of(
        schema,
        seeded_pool,
        ENTITY % "identifier scores { id } scoreHistory { totalCount edges { cursor } }",
        {"reps": [rep(stranger)]},
    )
    assert data["_entities"] == [
        {"identifier": stranger, "scores": [], "scoreHistory": {"totalCount": 0, "edges": []}}
    ]


async def test_a_score_model_resolves_as_an_entity(seeded_pool: asyncpg.Pool) -> None:
    (score,) = await latest(seeded_pool, "debtor", "BUREAU")
    query = """query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on ScoreModel { name scale } } }"""
    data = await data_of(
        schema,
        seeded_pool,
        query,
        {"reps": [{"__typename": "ScoreModel", "id": score["model"]["id"]}]},
    )
    assert data["_entities"] == [{"name": score["model"]["name"], "scale": "BUREAU"}]
    _, errors = await execute(
        schema, seeded_pool, query, {"reps": [{"__typename": "ScoreModel", "id": "x1"}]}
    )
    assert codes(errors) == ["BAD_USER_INPUT"]


# -- history and its pages ------------------------------------------------------


async def test_score_history_pages_newest_first(seeded_pool: asyncpg.Pool) -> None:
    identifier = PERSONA["debtor"].identifier
    whole, _ = await history(seeded_pool, identifier, first=100)
    assert whole is not None
    assert whole["totalCount"] == 9  # three models, three observations each
    nodes = [e["node"] for e in whole["edges"]]
    assert [n["observedAt"] for n in nodes] == sorted(
        (n["observedAt"] for n in nodes), reverse=True
    )

    paged: list[dict[str, Any]] = []
    after = None
    for _ in range(5):
        page, errors = await history(seeded_pool, identifier, first=4, after=after)
        assert not errors
        assert page is not None
        assert page["totalCount"] == 9
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        paged += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == nodes

    bureau, _ = await history(seeded_pool, identifier, scale="BUREAU", first=100)
    assert bureau is not None
    assert bureau["totalCount"] == 3
    assert {e["node"]["model"]["scale"] for e in bureau["edges"]} == {"BUREAU"}


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor", encode_cursor("account", "1"), encode_cursor("score observation", "0")],
)
async def test_a_bad_cursor_is_bad_user_input(seeded_pool: asyncpg.Pool, cursor: str) -> None:
    found, errors = await history(seeded_pool, PERSONA["debtor"].identifier, first=2, after=cursor)
    assert found is None
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["extensions"]["argument"] == "after"


async def test_a_page_size_out_of_range_is_bad_user_input(seeded_pool: asyncpg.Pool) -> None:
    _, errors = await history(seeded_pool, PERSONA["debtor"].identifier, first=1000)
    assert codes(errors) == ["BAD_USER_INPUT"]


_VALID = PERSONA["debtor"].identifier
_WRONG_CHECK = _VALID[:-1] + ("1" if _VALID[-1] != "1" else "2")


@pytest.mark.parametrize("identifier", ["123", _WRONG_CHECK, ""])
async def test_a_bad_identifier_is_bad_user_input(
    seeded_pool: asyncpg.Pool, identifier: str
) -> None:
    data, errors = await execute(
        schema, seeded_pool, ENTITY % "scores { id }", {"reps": [rep(identifier)]}
    )
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert data is None or data["_entities"] == [None]


# -- no N+1 -------------------------------------------------------------------

DEEP = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Subject {
    identifier
    scores { value band model { name bands { name } } reasons { code impact } }
    scoreHistory(first: 5) { totalCount nodes { value model { scale } reasons { code } } }
} } }"""


async def _count(
    pool: asyncpg.Pool, log: StatementLog, identifiers: list[str]
) -> tuple[list[str], dict[str, Any]]:
    variables = {"reps": [rep(i) for i in identifiers]}
    await data_of(schema, pool, DEEP, variables)  # warm: codecs, prepared statements
    log.clear()
    data = await data_of(schema, pool, DEEP, variables)
    return list(log.statements), data


async def test_entities_cost_the_same_for_1_and_100_subjects(seeded_database_url: str) -> None:
    async with counting_pool(seeded_database_url) as (pool, log):
        identifiers = [
            row[0]
            for row in await pool.fetch(
                "select identifier from bureau.subjects order by id limit 100"
            )
        ]
        one, _ = await _count(pool, log, identifiers[:1])
        hundred, data = await _count(pool, log, identifiers)
    assert len(identifiers) == 100
    assert [e["identifier"] for e in data["_entities"]] == identifiers
    assert all(e["scores"] for e in data["_entities"]), "every seeded subject has scores"
    assert len(hundred) == len(one)
    assert len(set(hundred)) == len(hundred), "a loader ran more than once"
    # observations (latest and history alike), models, bands, reasons: one statement each
    assert len(hundred) == 4
