-- A grant a bank recorded is ACTIVE only once the subject confirmed it (migration 0008):
-- the database now holds every row to that, so no path (a load, a repair by hand, a future
-- write) can leave a bank's own record opening anything. Rows that broke it, loaded before
-- this rule with no confirmation, wait for the subject as PENDING, as 0008 did for the
-- live ones then; one that has expired stays expired either way.
update gateway.consent_grants
set status = 'PENDING'
where status = 'ACTIVE' and recorded_via = 'GRANTEE' and answered_at is null;

alter table gateway.consent_grants
    add constraint consent_grants_active_is_the_subjects
        check (status <> 'ACTIVE' or recorded_via = 'SUBJECT' or answered_at is not null);
