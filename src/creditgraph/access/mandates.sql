-- The government mandates an operator grants, lists and ends (creditgraph mandates).
-- Dates are the database's own (current_date), the same clock the gateway reads
-- mandates by, so "live today" means the same here and there.

-- name: today
select current_date;

-- name: requesters_by_code
-- every requester record under this code, whatever its role
select id, role, name from gateway.requesters where identifier = $1 order by role;

-- name: register_agency
insert into gateway.requesters (role, identifier, name)
values ('GOVERNMENT', $1, $2)
on conflict (role, identifier) do nothing
returning id;

-- name: overlapping
-- a mandate of this agency for this purpose sharing a day with [$3, $4) (null $4: no end)
select valid_from, valid_until from gateway.mandates
where agency_id = $1 and purpose = $2
  and daterange(valid_from, valid_until, '[)') && daterange($3::date, $4::date, '[)')
order by valid_from
limit 1;

-- name: insert_mandate
insert into gateway.mandates (agency_id, purpose, edition, legal_basis, valid_from, valid_until)
values ($1, $2, 'GOVERNMENT', $3, $4, $5)
returning id;

-- name: current_mandate
-- the agency's mandate for this purpose in force today or, when none is, the next to begin
-- (one ended before it began is not), locked until its end is written
select m.id, m.valid_from, m.valid_until
from gateway.mandates m
join gateway.requesters r on r.id = m.agency_id
where r.role = 'GOVERNMENT' and r.identifier = $1 and m.purpose = $2
  and (m.valid_until is null or m.valid_until > greatest(current_date, m.valid_from))
order by m.valid_from
limit 1
for update of m;

-- name: end_mandate
update gateway.mandates set valid_until = $2 where id = $1;

-- name: mandates
-- every mandate, or only the one with id $1
select m.id, r.identifier as agency_code, r.name as agency_name, m.purpose, m.edition,
       m.legal_basis, m.valid_from, m.valid_until,
       gateway.in_force(m) as live
from gateway.mandates m
join gateway.requesters r on r.id = m.agency_id
where $1::bigint is null or m.id = $1
order by r.identifier, m.purpose, m.valid_from, m.id;
