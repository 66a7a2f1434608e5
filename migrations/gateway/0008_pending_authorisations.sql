-- Only the subject gives consent. A bank's recordAuthorisation no longer makes
-- a live grant: it makes a PENDING one, which opens nothing until the subject
-- confirms it (it becomes ACTIVE) and never if the subject refuses it
-- (REFUSED). Only subjects' grants and their confirmations are ACTIVE, so a
-- bank cannot create, restore or widen access on its own. answered_at is when
-- the subject confirmed or refused.
alter table gateway.consent_grants
    add column answered_at timestamptz,
    drop constraint consent_grants_status_check,
    add constraint consent_grants_status
        check (status in ('PENDING', 'ACTIVE', 'REVOKED', 'REFUSED')),
    add constraint consent_grants_pending_is_a_banks_request
        check (status not in ('PENDING', 'REFUSED') or recorded_via = 'GRANTEE'),
    add constraint consent_grants_pending_unanswered
        check (status <> 'PENDING' or answered_at is null),
    add constraint consent_grants_refusal_answered
        check (status <> 'REFUSED' or answered_at is not null);

-- A grant a bank recorded on its own before this change, and that is still
-- live, waits for the subject like any new one.
update gateway.consent_grants
set status = 'PENDING'
where recorded_via = 'GRANTEE' and status = 'ACTIVE' and valid_until > now();

create index consent_grants_pending
    on gateway.consent_grants (subject_identifier, grantee_id, purpose)
    where status = 'PENDING';

-- The record readers see, with the new states: REFUSED, and PENDING for an
-- authorisation awaiting the subject (as for a grant that has not begun).
create or replace view gateway.consent_grant_record as
select g.id, g.subject_identifier, g.grantor_identifier,
       r.identifier as grantee_code, r.name as grantee_name, r.role as grantee_role,
       g.purpose, g.edition, g.data_period_months, g.valid_from, g.valid_until,
       g.recorded_via, g.recorded_by, g.evidence, g.created_at, g.revoked_at,
       g.revocation_channel,
       case
           when g.status = 'REVOKED' then 'REVOKED'
           when g.status = 'REFUSED' then 'REFUSED'
           when g.valid_until <= now() then 'EXPIRED'
           when g.status = 'PENDING' or g.valid_from > now() then 'PENDING'
           else 'ACTIVE'
       end as state,
       g.answered_at
from gateway.consent_grants g
join gateway.requesters r on r.id = g.grantee_id;
