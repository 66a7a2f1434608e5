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

-- name: transaction_time
select now();

-- name: insert_grant
insert into gateway.consent_grants
    (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
     valid_from, valid_until, recorded_via, recorded_by, evidence)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: revoke_grant
update gateway.consent_grants
set status = 'REVOKED', revoked_at = $3, revocation_channel = $4
where id = $1 and subject_identifier = $2 and status = 'ACTIVE';
