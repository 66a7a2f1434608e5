-- The data source's answers to disputes, as the bureau's operator records them
-- (creditgraph disputes). Deadlines are UTC dates, as fileDispute counts them.

-- name: disputes
-- every dispute, or only the open ones ($1), or only dispute $2; soonest deadline first
select d.id, s.identifier as subject_identifier, d.record_type, d.record_id, d.reason,
       d.filed_at, d.respond_by, d.status, d.outcome, d.resolution, d.resolved_at,
       d.status = 'OPEN' and d.respond_by < (now() at time zone 'UTC')::date as overdue,
       l.correction_id
from bureau.disputes d
join bureau.subjects s on s.id = d.subject_id
left join furnishing.dispute_corrections l on l.dispute_id = d.id
where (not $1::boolean or d.status = 'OPEN') and ($2::bigint is null or d.id = $2)
order by d.respond_by, d.id;

-- name: answer
-- only an open dispute is answered; no row back when dispute $1 is not open (or not there)
update bureau.disputes
set status = 'RESOLVED', outcome = $2, resolution = $3, resolved_at = now()
where id = $1 and status = 'OPEN'
returning id;

-- name: correction
-- correction $1 as an answer compares it with the dispute: the record it corrected (a month
-- as its account) and when
select case record_type when 'REPAYMENT' then 'CREDIT_ACCOUNT' else record_type end
           as record_type,
       record_id::text as record_id, corrected_at
from furnishing.corrections
where id = $1;

-- name: link_correction
-- dispute $1 was answered by correction $2
insert into furnishing.dispute_corrections (dispute_id, correction_id) values ($1, $2);
