-- The consent subgraph's statements: the gateway's own records of who may
-- look at whose report, and on what basis.

-- name: grants_by_subject
select *
from gateway.consent_grant_record
where subject_identifier = any($1::text[])
order by subject_identifier, created_at desc, id;

-- name: grant_by_id
select * from gateway.consent_grant_record where id = $1;

-- name: requester_by_code
select id, role, identifier, name
from gateway.requesters
where identifier = $1 and role = any($2::text[]);

-- name: subject_exists
select exists (select 1 from bureau.subject_register where identifier = $1);

-- name: insert_grant
insert into gateway.consent_grants
    (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
     valid_from, valid_until, recorded_via, recorded_by, evidence, data_period_months, status)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);

-- name: pending_exists
-- a bank asks once per subject and purpose: a second request waits on the first
select exists (
    select 1 from gateway.consent_grants
    where subject_identifier = $1 and grantee_id = $2 and purpose = $3
      and status = 'PENDING' and valid_until > now()
);

-- name: answer_authorisation
-- the subject's answer to a bank's pending authorisation: ACTIVE from now, or REFUSED;
-- the grantor is who answered (the subject, or an organisation's legal representative)
update gateway.consent_grants
set status = $3, answered_at = $4, grantor_identifier = $5,
    valid_from = case when $3 = 'ACTIVE' then $4 else valid_from end
where id = $1 and subject_identifier = $2 and status = 'PENDING' and valid_until > $4;

-- name: revoke_grant
update gateway.consent_grants
set status = 'REVOKED', revoked_at = $3, revocation_channel = $4
where id = $1 and subject_identifier = $2 and status = 'ACTIVE';
