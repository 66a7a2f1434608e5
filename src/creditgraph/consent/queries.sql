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

-- name: transaction_time
select now();

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

-- name: shares_by_subject
select *
from gateway.eligibility_share_record
where subject_identifier = any($1::text[])
order by subject_identifier, valid_from desc, id;

-- name: share_by_id
select * from gateway.eligibility_share_record where id = $1;

-- name: live_share_exists
-- one live share per requester, predicate and purpose: a second waits for the first to end
select exists (
    select 1 from gateway.eligibility_shares
    where subject_identifier = $1 and requester_id = $2 and predicate = $3 and purpose = $4
      and withdrawn_at is null and valid_until > now()
);

-- name: insert_share
insert into gateway.eligibility_shares
    (id, subject_identifier, grantor_identifier, requester_id, predicate, purpose,
     valid_from, valid_until)
values ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: withdraw_share
update gateway.eligibility_shares
set withdrawn_at = $3
where id = $1 and subject_identifier = $2 and withdrawn_at is null and valid_until > $3;

-- name: answers_by_subject
-- the newest answers given about each subject, up to the size asked ($2, per key)
select k.ord, a.*
from unnest($1::text[], $2::int[]) with ordinality as k(identifier, size, ord)
cross join lateral (
    select *
    from gateway.eligibility_answer_record r
    where r.subject_identifier = k.identifier
    order by r.answered_at desc, r.id
    limit k.size
) a
order by k.ord, a.answered_at desc, a.id;
