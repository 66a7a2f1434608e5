-- The scores subgraph's reads. Every statement takes an array of keys and
-- answers for all of them at once (the dataloaders batch a request's keys),
-- so the number of statements a query runs never grows with its data.

-- name: all_models
select id, provider_code, provider_name, name, version, scale, scale_min, scale_max, description
from scores.models
order by id;

-- name: models_by_id
select id, provider_code, provider_name, name, version, scale, scale_min, scale_max, description
from scores.models
where id = any($1::bigint[]);

-- name: bands_by_model
select model_id, name, lower, upper, ordinal
from scores.bands
where model_id = any($1::bigint[])
order by model_id, ordinal;

-- name: observations_by_subject
-- Every observation of each subject, newest first: a subject's latest scores
-- are read from the same rows as its history, so that a query asking for
-- both loads their reasons and models in one wave, not one per list.
-- An observation that counted negative information stops being shown the day that
-- information ages out, by the one clock: a bureau observation on its shown_until (migration
-- 0003), any other when a negative record on its subject's file when it was made has left
-- (migration 0006: the records that have left are found once for all the subjects asked).
with left_reports as materialized (
    select subject_identifier, began, leaves
    from scores.negative_records_left($1::text[], common.today())
)
select o.subject_identifier, o.id, o.model_id, m.scale, o.value, o.band, o.observed_at
from scores.observations o
join scores.models m on m.id = o.model_id
where o.subject_identifier = any($1::text[])
  and (o.shown_until is null or o.shown_until > common.today())
  and (m.scale = 'BUREAU' or not exists (
      select from left_reports n
      where n.subject_identifier = o.subject_identifier
        and n.began <= o.observed_at::date
        and n.leaves > o.observed_at::date))
order by o.subject_identifier, o.observed_at desc, o.id desc;

-- name: reasons_by_observation
select observation_id, rank, code, description, impact
from scores.reasons
where observation_id = any($1::bigint[])
order by observation_id, rank;

-- name: dimensions_by_observation
-- Each dimension with the factors that cost it points (an empty array when none), in order.
select d.observation_id, d.ordinal, d.code, d.name, d.value, d.points,
       coalesce(array_agg(r.code order by r.rank) filter (where r.code is not null), '{}')
           as reason_codes,
       coalesce(array_agg(r.description order by r.rank) filter (where r.code is not null), '{}')
           as reason_descriptions,
       coalesce(array_agg(r.impact order by r.rank) filter (where r.code is not null), '{}')
           as reason_impacts
from scores.dimensions d
left join scores.dimension_reasons r
    on r.observation_id = d.observation_id and r.dimension = d.code
where d.observation_id = any($1::bigint[])
group by d.observation_id, d.ordinal, d.code, d.name, d.value, d.points
order by d.observation_id, d.ordinal;
