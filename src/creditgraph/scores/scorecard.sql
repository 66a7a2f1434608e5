-- The bureau scorecard's population-wide reads and writes (see recompute.py).
-- Each statement answers for every subject at once, so a recompute sends the
-- same handful of statements whether the bureau holds a hundred subjects or
-- a hundred thousand.

-- name: bureau_model
select id from scores.models where scale = 'BUREAU' and name = $1 and version = $2;

-- name: file_accounts
-- Every subject with each account it is party to (a single row with empty
-- account columns when it has none), ordered by subject so the caller can
-- stream it; the account columns are what the credit summary reads, as the
-- reports show them on the day of the scoring time $1 (aged-out months left out).
select s.id as subject_id, s.identifier, a.*
from bureau.subjects s
left join bureau.account_parties p on p.subject_id = s.id
left join bureau.account_signals_on($1::timestamptz::date) a on a.account_id = p.account_id
order by s.id, a.account_id;

-- name: file_accounts_of
-- The same, for the subjects with the identifiers in $1 only (an incremental rescore), as
-- the reports show them today.
select s.id as subject_id, s.identifier, a.*
from bureau.subjects s
left join bureau.account_parties p on p.subject_id = s.id
left join bureau.account_signals a on a.account_id = p.account_id
where s.identifier = any($1::text[])
order by s.id, a.account_id;

-- name: hard_inquiry_counts
-- Lenders' hard inquiries in the window that ends at $1, per subject that has any,
-- as they count: one per grant however often its lender looked.
select subject_identifier, count(*) as hard_inquiries
from gateway.counted_inquiry_record
where inquired_at > $1::timestamptz - $2::text::interval and inquired_at <= $1::timestamptz
group by subject_identifier;

-- name: hard_inquiry_counts_of
-- The same, for the subjects in $3 only.
select subject_identifier, count(*) as hard_inquiries
from gateway.counted_inquiry_record
where inquired_at > $1::timestamptz - $2::text::interval and inquired_at <= $1::timestamptz
  and subject_identifier = any($3::text[])
group by subject_identifier;

-- name: active_guarantee_counts
-- Guarantees standing now, per guarantor that gives any.
select guarantor_id, count(*) as active_guarantees
from bureau.guarantees
where status = 'ACTIVE'
group by guarantor_id;

-- name: active_guarantee_counts_of
select g.guarantor_id, count(*) as active_guarantees
from bureau.guarantees g
join bureau.subjects s on s.id = g.guarantor_id
where g.status = 'ACTIVE' and s.identifier = any($1::text[])
group by g.guarantor_id;

-- name: latest_observations_of
-- Each of the subjects' latest observation by model $1 still shown, with its reasons' codes
-- and impacts in rank order: an incremental rescore adds one only where the score, its
-- reasons or the day it stops being shown differ.
select distinct on (o.subject_identifier)
       o.subject_identifier, o.value, o.band, o.shown_until,
       array(select r.code || ':' || r.impact from scores.reasons r
             where r.observation_id = o.id order by r.rank) as reasons
from scores.observations o
where o.model_id = $1 and o.subject_identifier = any($2::text[])
  and (o.shown_until is null or o.shown_until > common.today())
order by o.subject_identifier, o.observed_at desc, o.id desc;

-- name: reserve_observation_ids
-- Ids for $1 new observations, taken up front so their reasons can be
-- copied in beside them.
select array(
    select nextval(pg_get_serial_sequence('scores.observations', 'id'))
    from generate_series(1, $1::int)
);

-- name: scoring_time
-- The time a scoring stamps: the one clock's as it scores (common.clock_timestamp, on the
-- bureau's day, common.today()); two rescores of one subject in one transaction are two
-- observations, not one time twice.
select common.clock_timestamp();
