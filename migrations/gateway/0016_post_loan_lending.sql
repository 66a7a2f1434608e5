-- Post-loan management needs no new consent only because the subject authorised the
-- lender when the credit was made: the authorisation signed with an application covers
-- the checks of managing that credit. So an open account (or a standing guarantee) opens
-- post-loan access for its lender to a party only when that party had authorised that
-- lender, for the purpose the credit was applied for (bureau.open_lending's
-- application_purpose), by the end of the day the credit began (`since`, the database's
-- day). The authorisation counts when:
--   - it was the subject's own grant, or a bank's recorded authorisation the subject
--     confirmed (answered_at) by then: one still PENDING, or REFUSED, never counts;
--   - it was in force on that day: begun by its end, not expired before it began;
--   - the subject had not revoked it by the end of that day (a revocation on the day the
--     credit began leaves it unknown which came first, and the doubt goes against the
--     lender). Expiry or revocation after the credit began ends nothing: the law asks no
--     consent of post-loan management of credit the subject applied for.
-- Merely furnishing an account therefore opens nothing: a lender cannot give itself
-- consent by reporting that it lent.
create view gateway.post_loan_lending as
select distinct l.subject_identifier, l.lender_code
from bureau.open_lending l
join gateway.requesters r on r.role = 'BANK' and r.identifier = l.lender_code
where exists (
    select from gateway.consent_grants g
    where g.subject_identifier = l.subject_identifier
      and g.grantee_id = r.id
      and g.purpose = l.application_purpose
      and g.status in ('ACTIVE', 'REVOKED')
      and (g.recorded_via = 'SUBJECT' or g.answered_at < (l.since + 1)::timestamptz)
      and g.valid_from < (l.since + 1)::timestamptz
      and g.valid_until > l.since::timestamptz
      and (g.revoked_at is null or g.revoked_at >= (l.since + 1)::timestamptz)
);
