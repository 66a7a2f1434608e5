-- A consent grant as its readers see it: with the grantee's code, name and
-- role, and its state as of now. Expiry is by clock, so the state is derived
-- here, in one place, never stored.

create view gateway.consent_grant_record as
select g.id, g.subject_identifier, g.grantor_identifier,
       r.identifier as grantee_code, r.name as grantee_name, r.role as grantee_role,
       g.purpose, g.edition, g.data_period_months, g.valid_from, g.valid_until,
       g.recorded_via, g.recorded_by, g.evidence, g.created_at, g.revoked_at,
       g.revocation_channel,
       case
           when g.status = 'REVOKED' then 'REVOKED'
           when g.valid_until <= now() then 'EXPIRED'
           when g.valid_from > now() then 'PENDING'
           else 'ACTIVE'
       end as state
from gateway.consent_grants g
join gateway.requesters r on r.id = g.grantee_id;
