"""`creditgraph seed`: deterministic, realistic, all-or-nothing."""

from __future__ import annotations

import asyncpg
import pytest

from creditgraph.errors import SeedError
from creditgraph.seed import PERSONAS, seed_database
from creditgraph.seed.personas import PERSONA
from creditgraph.seed.tables import COLUMNS

# what the database derives from the seeded inquiries as they are recorded
DERIVED = {
    "gateway.counted_inquiries": ("grant_id", "inquiry_id", "subject_identifier", "inquired_at"),
    "gateway.inquiry_tallies": ("subject_identifier", "looks"),
}


async def _fingerprint(db: asyncpg.Connection) -> dict[str, str]:
    """A digest of every seeded column of every seeded table (not the load-time clocks)."""
    digests = {}
    for table, columns in {**COLUMNS, **DERIVED}.items():
        row = ", ".join(columns)
        digests[table] = await db.fetchval(
            f"select md5(coalesce(string_agg(r::text, '|' order by r::text), ''))"
            f" from (select row({row}) as r from {table}) rows"
        )
    return digests


async def _schema(db: asyncpg.Connection) -> list[str]:
    """Every key, constraint, index and trigger (with whether it is on) of the seeded schemas,
    and their tables' storage settings (the repayment records' "no parallel workers")."""
    rows = await db.fetch(
        """
        select format('%s %s %s valid=%s', conrelid::regclass, conname,
                      pg_get_constraintdef(oid), convalidated) as item
        from pg_constraint
        where connamespace::regnamespace::text in ('bureau', 'public_records', 'scores', 'gateway')
        union all
        select indexdef from pg_indexes
        where schemaname in ('bureau', 'public_records', 'scores', 'gateway')
        union all
        select format('%s %s enabled=%s', tgrelid::regclass, tgname, tgenabled)
        from pg_trigger
        where not tgisinternal
        union all
        select format('%s options=%s', oid::regclass, reloptions)
        from pg_class
        where relnamespace::regnamespace::text in ('bureau', 'public_records', 'scores', 'gateway')
          and relkind = 'r' and reloptions is not null
        order by 1
        """
    )
    return [r["item"] for r in rows]


async def _subject_id(db: asyncpg.Connection, key: str) -> int:
    return int(
        await db.fetchval(
            "select id from bureau.subjects where identifier = $1", PERSONA[key].identifier
        )
    )


async def test_same_arguments_give_the_same_data(db: asyncpg.Connection) -> None:
    await seed_database(db, subjects=300, seed=7)
    first = await _fingerprint(db)
    await seed_database(db, subjects=300, seed=7, force=True)
    assert await _fingerprint(db) == first
    await seed_database(db, subjects=300, seed=8, force=True)
    other = await _fingerprint(db)
    assert other["bureau.subjects"] != first["bureau.subjects"]
    assert other["bureau.repayments"] != first["bureau.repayments"]


async def test_the_seed_leaves_every_key_index_and_trigger_as_it_found_them(
    db: asyncpg.Connection,
) -> None:
    # the seed loads without them and builds them again: none may go missing or change
    before = await _schema(db)
    assert any("repayments_pkey" in item for item in before)
    assert "bureau.repayments options={parallel_workers=0}" in before
    await seed_database(db, subjects=200, seed=5)
    assert await _schema(db) == before
    await seed_database(db, subjects=200, seed=5, force=True)
    assert await _schema(db) == before


async def test_counted_inquiries_and_tallies_are_what_recording_each_look_makes(
    db: asyncpg.Connection,
) -> None:
    """The seed derives them in bulk; recording the same looks one by one must agree."""
    await seed_database(db, subjects=400, seed=9)
    seeded = await _fingerprint(db)
    assert await db.fetchval("select count(*) from gateway.counted_inquiries") > 100
    columns = ", ".join(COLUMNS["gateway.inquiries"])
    await db.execute(
        f"""
        create temporary table looks as select {columns} from gateway.inquiries;
        delete from gateway.counted_inquiries;
        delete from gateway.inquiry_tallies;
        delete from gateway.inquiries;
        insert into gateway.inquiries ({columns}) overriding system value
        select {columns} from looks order by id;
        """
    )
    recorded = await _fingerprint(db)
    for table in DERIVED:
        assert recorded[table] == seeded[table], table


async def test_a_non_empty_database_is_refused_without_force(db: asyncpg.Connection) -> None:
    await seed_database(db, subjects=50, seed=1)
    before = await _fingerprint(db)
    with pytest.raises(SeedError, match=r"already holds [\d,]+ subjects; pass --force"):
        await seed_database(db, subjects=80, seed=2)
    assert await _fingerprint(db) == before


async def test_a_failed_seed_changes_nothing(db: asyncpg.Connection) -> None:
    await seed_database(db, subjects=50, seed=1)
    before = await _fingerprint(db)
    await db.execute(
        """
        create function pg_temp.refuse() returns trigger language plpgsql as
        $$ begin raise exception 'disk full (simulated)'; end $$;
        create trigger refuse before insert on bureau.repayments
            for each row execute function pg_temp.refuse();
        """
    )
    with pytest.raises(asyncpg.RaiseError, match="simulated"):
        await seed_database(db, subjects=50, seed=2, force=True)
    assert await _fingerprint(db) == before


@pytest.mark.parametrize(
    ("subjects", "seed", "message"),
    [(-1, 1, "--subjects must be between"), (10_000_001, 1, "--subjects"), (5, -3, "--seed")],
)
async def test_bad_arguments_are_refused(
    db: asyncpg.Connection, subjects: int, seed: int, message: str
) -> None:
    with pytest.raises(SeedError, match=message):
        await seed_database(db, subjects=subjects, seed=seed)
    assert await db.fetchval("select count(*) from bureau.subjects") == 0


@pytest.fixture
async def seeded(db: asyncpg.Connection) -> asyncpg.Connection:
    await seed_database(db, subjects=2000, seed=3)
    return db


async def test_personas_are_all_there(seeded: asyncpg.Connection) -> None:
    found = await seeded.fetch(
        "select identifier, kind from bureau.subjects where identifier = any($1::text[])",
        [p.identifier for p in PERSONAS],
    )
    assert {(r["identifier"], r["kind"]) for r in found} == {
        (p.identifier, p.kind) for p in PERSONAS
    }


async def test_the_couples_joint_mortgage_shows_on_both(seeded: asyncpg.Connection) -> None:
    husband = await _subject_id(seeded, "husband")
    wife = await _subject_id(seeded, "wife")
    joint = await seeded.fetch(
        """
        select a.id, array_agg(p.role order by p.role) as roles
        from bureau.credit_accounts a join bureau.account_parties p on p.account_id = a.id
        where a.kind = 'MORTGAGE' and p.subject_id in ($1, $2)
        group by a.id
        """,
        husband,
        wife,
    )
    assert [r["roles"] for r in joint] == [["CO_BORROWER", "PRIMARY_BORROWER"]]
    spouses = await seeded.fetchval(
        "select count(*) from bureau.marriage_partners a join bureau.marriage_partners b"
        " using (marriage_id) where a.subject_id = $1 and b.subject_id = $2",
        husband,
        wife,
    )
    assert spouses == 1


CIRCLE = """
with recursive walk(start_id, firm_id, path) as (
    select p.subject_id, p.subject_id, array[p.subject_id]
    from bureau.account_parties p where p.subject_id = $1
  union all
    -- from a firm to the borrower of the account it guarantees
    select w.start_id, p.subject_id, w.path || p.subject_id
    from walk w
    join bureau.guarantees g on g.guarantor_id = w.firm_id
    join bureau.account_parties p on p.account_id = g.account_id and p.role = 'PRIMARY_BORROWER'
    where not p.subject_id = any(w.path[2:]) and cardinality(w.path) < 10
)
select path from walk where firm_id = start_id and cardinality(path) > 1 limit 1
"""


async def test_the_guarantee_circle_is_a_real_cycle(seeded: asyncpg.Connection) -> None:
    start = await _subject_id(seeded, "circle_a")
    path = await seeded.fetchval(CIRCLE, start)
    members = {await _subject_id(seeded, k) for k in ("circle_a", "circle_b", "circle_c")}
    assert path is not None
    assert set(path) == members
    guarantor = await _subject_id(seeded, "guarantor")
    assert await seeded.fetchval(
        "select count(*) from bureau.organisation_principals where person_id = $1"
        " and role = 'LEGAL_REPRESENTATIVE'",
        guarantor,
    )
    assert await seeded.fetchval(
        "select count(*) from bureau.guarantees where guarantor_id = $1", guarantor
    )


async def test_the_dishonest_debtor_story(seeded: asyncpg.Connection) -> None:
    identifier = PERSONA["debtor"].identifier
    for table in (
        "enforcement_cases",
        "dishonest_listings",
        "consumption_restrictions",
    ):
        count = await seeded.fetchval(
            f"select count(*) from public_records.{table} where subject_identifier = $1",
            identifier,
        )
        assert count == 1, table
    assert await seeded.fetchval(
        "select count(*) from bureau.credit_accounts a join bureau.account_parties p"
        " on p.account_id = a.id where p.subject_id = $1 and a.status = 'BAD_DEBT'",
        await _subject_id(seeded, "debtor"),
    )


async def test_thin_file_fraud_alert_and_tax_arrears(seeded: asyncpg.Connection) -> None:
    thin = await _subject_id(seeded, "thin_file")
    assert (
        await seeded.fetchval(
            "select count(*) from bureau.account_parties where subject_id = $1", thin
        )
        <= 1
    )
    alerted = await _subject_id(seeded, "fraud_alert")
    assert await seeded.fetchval(
        "select count(*) from bureau.fraud_alerts where subject_id = $1 and lifted_at is null"
        " and expires_at > '2026-10-31'",
        alerted,
    )
    hard = await seeded.fetchval(
        "select count(*) from gateway.inquiries where subject_identifier = $1 and hard"
        " and inquired_at > '2026-10-31'::date - interval '6 months'",
        PERSONA["fraud_alert"].identifier,
    )
    assert hard >= 3


async def test_self_reads_are_recorded_and_never_hard(seeded: asyncpg.Connection) -> None:
    rows = await seeded.fetch(
        "select i.hard, i.edition, r.role, r.identifier = i.subject_identifier as own"
        " from gateway.inquiries i join gateway.requesters r on r.id = i.requester_id"
        " where i.purpose = 'SELF'"
    )
    assert len(rows) > 50
    assert {(r["hard"], r["edition"], r["role"], r["own"]) for r in rows} == {
        (False, "SUBJECT", "SUBJECT", True)
    }
    assert (
        await seeded.fetchval(
            "select count(*) from public_records.tax_arrears where subject_identifier = $1"
            " and settled_on is null",
            PERSONA["tax_arrears"].identifier,
        )
        >= 1
    )


async def test_the_population_looks_like_a_bureau(seeded: asyncpg.Connection) -> None:
    stats = await seeded.fetchrow(
        """
        with per_subject as (
            select s.id, s.kind,
                   bool_or(a.status = 'BAD_DEBT') as bad_debt,
                   bool_or(a.status = 'OVERDUE') as overdue,
                   count(a.id) as accounts
            from bureau.subjects s
            left join bureau.account_parties p on p.subject_id = s.id
            left join bureau.credit_accounts a on a.id = p.account_id
            group by s.id, s.kind
        )
        select count(*) filter (where kind = 'PERSON') as persons,
               count(*) filter (where kind = 'ORGANISATION') as organisations,
               count(*) filter (where kind = 'PERSON' and not coalesce(bad_debt or overdue, false))
                   as clean,
               count(*) filter (where bad_debt) as bad_debt,
               count(*) filter (where kind = 'PERSON' and accounts <= 1) as thin
        from per_subject
        """
    )
    assert stats is not None
    assert stats["clean"] > 0.75 * stats["persons"]
    assert 0 < stats["bad_debt"] < 0.05 * stats["persons"]
    assert 0.03 * stats["persons"] < stats["thin"] < 0.4 * stats["persons"]
    assert stats["organisations"] > 50
    couples = await seeded.fetchval("select count(*) from bureau.marriages")
    joint = await seeded.fetchval(
        "select count(*) from bureau.account_parties where role = 'CO_BORROWER'"
    )
    assert couples > 100
    assert joint > 0.5 * couples
    serious = await seeded.fetchval(
        """
        select count(distinct account_id) from (
            select account_id, status,
                   lag(status, 1) over w as prev1, lag(status, 2) over w as prev2
            from bureau.repayments where month > '2024-10-01'
            window w as (partition by account_id order by month)
        ) m
        where status ~ '[1-7]' and prev1 ~ '[1-7]' and prev2 ~ '[1-7]'
        """
    )
    assert serious > 20
    kinds = {
        r["kind"] for r in await seeded.fetch("select distinct kind from bureau.credit_accounts")
    }
    assert kinds >= {"MORTGAGE", "CREDIT_CARD", "SPECIAL_INSTALMENT", "BUSINESS_LOAN", "CAR_LOAN"}


async def test_scores_agree_with_the_data(seeded: asyncpg.Connection) -> None:
    means = await seeded.fetchrow(
        """
        with latest as (
            select distinct on (o.subject_identifier) o.subject_identifier, o.value
            from scores.observations o join scores.models m on m.id = o.model_id
            where m.scale = 'BUREAU'
            order by o.subject_identifier, o.observed_at desc
        ), flagged as (
            select s.identifier, bool_or(a.status = 'BAD_DEBT') as bad_debt
            from bureau.subjects s
            join bureau.account_parties p on p.subject_id = s.id
            join bureau.credit_accounts a on a.id = p.account_id
            group by s.identifier
        )
        select avg(value) filter (where bad_debt) as bad,
               avg(value) filter (where not bad_debt) as good
        from latest join flagged on flagged.identifier = latest.subject_identifier
        """
    )
    assert means is not None
    assert means["bad"] + 100 < means["good"]
    outside = await seeded.fetchval(
        """
        select count(*) from scores.observations o
        join scores.models m on m.id = o.model_id
        join scores.bands b on b.model_id = o.model_id and b.name = o.band
        where o.value < m.scale_min or o.value > m.scale_max
           or o.value < b.lower
           -- bands are [lower, upper), but the top one also holds the scale's maximum
           or (o.value >= b.upper and not (o.value = m.scale_max and b.upper = m.scale_max))
        """
    )
    assert outside == 0
    reasons = await seeded.fetchval(
        "select count(*) from scores.reasons r"
        " join scores.observations o on o.id = r.observation_id"
        " where o.subject_identifier = $1 and r.code = 'BAD_DEBT'",
        PERSONA["debtor"].identifier,
    )
    assert reasons > 0


async def test_only_the_subject_makes_a_grant_active(seeded: asyncpg.Connection) -> None:
    """A grant a bank recorded opens anything only once the subject confirmed it: every
    seeded one that is ACTIVE was confirmed, and the database refuses one that was not."""
    assert await seeded.fetchval(
        "select count(*) from gateway.consent_grants where recorded_via = 'GRANTEE'"
        " and status = 'ACTIVE'"
    )
    assert not await seeded.fetchval(
        "select count(*) from gateway.consent_grants where recorded_via = 'GRANTEE'"
        " and status = 'ACTIVE' and answered_at is null"
    )
    with pytest.raises(asyncpg.CheckViolationError):
        await seeded.execute(
            "insert into gateway.consent_grants (id, subject_identifier, grantor_identifier,"
            " grantee_id, purpose, edition, valid_from, valid_until, recorded_via, recorded_by,"
            " evidence, status) select gen_random_uuid(), s.identifier, s.identifier, r.id,"
            " 'LOAN_APPROVAL', 'BANK', now(), now() + interval '30 days', 'GRANTEE', 'clerk',"
            " 'self-made', 'ACTIVE' from bureau.subjects s, gateway.requesters r"
            " where r.role = 'BANK' limit 1"
        )
