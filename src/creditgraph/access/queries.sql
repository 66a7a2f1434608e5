-- What the gateway reads to decide an edition (each look is written with the request's
-- record: access/audit.py `record`).

-- name: requester
select id, name from gateway.requesters where role = $1 and identifier = $2;

-- name: enrol_subject
-- a subject who signs in for the first time becomes a requester, under the bureau's name
insert into gateway.requesters (role, identifier, name)
select 'SUBJECT', identifier, name from bureau.subject_register where identifier = $1
on conflict (role, identifier) do nothing;

-- name: legal_representative
select exists (
    select 1 from bureau.legal_representatives
    where organisation_identifier = $1 and person_identifier = $2
);

-- name: live_grants
-- The requester's record (role $1, identifier $2) with every live grant to it from each of
-- the subjects $3 for purpose $4, one row per grant (which one counts is the edition table's
-- choice: editions.py); one row with null grant columns when it has none; no row when the
-- requester is not on record. Who asks and what they hold, in one round trip. With each
-- grant, the first day of its data period (common.period_starts_on), which the answer names.
select r.id as requester_id, r.name as requester_name,
       g.subject_identifier, g.id, g.edition, g.valid_until, g.data_period_months,
       common.period_starts_on(g.data_period_months) as data_period_starts_on
from gateway.requesters r
left join gateway.consent_grants g
    on g.grantee_id = r.id and g.subject_identifier = any($3::text[]) and g.purpose = $4
   and g.status = 'ACTIVE' and g.valid_from <= now() and g.valid_until > now()
where r.role = $1 and r.identifier = $2;

-- name: post_loan_lending
-- the subjects the bank holds open credit with under an authorisation given when the credit
-- was made (migration gateway/0016): an account a bank merely reports opens nothing
select subject_identifier from gateway.post_loan_lending
where subject_identifier = any($1::text[]) and lender_code = $2;

-- name: mandate
select m.id from gateway.mandates m
where m.agency_id = $1 and m.purpose = $2 and gateway.in_force(m)
limit 1;
