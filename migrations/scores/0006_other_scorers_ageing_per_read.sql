-- The other scorers' observations (city, commercial) are hidden as before (migration 0004):
-- such an observation is taken to have counted every negative record of its subject that was
-- on the file the day it was made, and it is shown only until the first of those ages out.
-- Put the other way round: on `day` it is hidden when one of its subject's negative records
-- began on or before the day it was made and left the reports after that day but by `day`.
--
-- That was worked out once per observation read (scores.counted_until: nine lookups for each
-- of a subject's city and commercial observations, about 0.3 ms a subject). Here the records
-- that have already left are found once per read, for every subject it asks of at once, and
-- each observation is held against them: almost always there are none, as a record leaves
-- only five years after it ended, so the observations pass on an empty list. Still worked out
-- at read time from the records as they stand, so nothing has to run on the day, and a record
-- that ends after an observation was made still takes it with it on the day it ages out.

-- The negative records of the subjects in `identifiers` that have left the reports by `day`:
-- when each began and the day it left. The public records with their stored day to leave
-- (migration public/0005), each found through the subject's index, and the negative months
-- of the accounts the subject is party to (bureau.month_ages_out_on). A month's behaviour ends
-- no earlier than the month itself or the account's closing, whichever is first, and
-- common.ages_out_on of a later day is no earlier: only the months that old by then have their
-- day to leave worked out. In PL/pgSQL with its generic plan kept for the session (each lookup
-- goes through the subject's index whatever the number of subjects), rather than planned again
-- on every read: a read of one subject was otherwise mostly the planning of nine lookups.
create function scores.negative_records_left(identifiers text[], day date)
returns table (subject_identifier text, began date, leaves date)
language plpgsql stable parallel safe
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query select n.subject_identifier, n.began, n.leaves from (
        select e.subject_identifier, e.filed_on, e.ages_out_on
        from public_records.enforcement_cases e
        where e.subject_identifier = any(identifiers) and e.ages_out_on <= day
        union all
        select d.subject_identifier, d.published_on, d.ages_out_on
        from public_records.dishonest_listings d
        where d.subject_identifier = any(identifiers) and d.ages_out_on <= day
        union all
        select c.subject_identifier, c.issued_on, c.ages_out_on
        from public_records.consumption_restrictions c
        where c.subject_identifier = any(identifiers) and c.ages_out_on <= day
        union all
        select a.subject_identifier, a.decided_on, a.ages_out_on
        from public_records.administrative_actions a
        where a.subject_identifier = any(identifiers) and a.ages_out_on <= day
        union all
        select t.subject_identifier, t.recorded_on, t.ages_out_on
        from public_records.tax_arrears t
        where t.subject_identifier = any(identifiers) and t.ages_out_on <= day
        union all
        select l.subject_identifier, l.notice_starts_on, l.ages_out_on
        from public_records.list_entries l
        where l.subject_identifier = any(identifiers) and l.ages_out_on <= day
        union all
        select j.subject_identifier, j.filed_on, j.ages_out_on
        from public_records.civil_judgments j
        where j.subject_identifier = any(identifiers) and j.ages_out_on <= day
        union all
        select u.subject_identifier, u.recorded_on, u.ages_out_on
        from public_records.utility_arrears u
        where u.subject_identifier = any(identifiers) and u.ages_out_on <= day
        union all
        select s.identifier, r.month,
               bureau.month_ages_out_on(r.account_id, r.month, r.status, a.closed_on)
        from bureau.subjects s
        join bureau.account_parties p on p.subject_id = s.id
        join bureau.credit_accounts a on a.id = p.account_id
        join bureau.repayments r on r.account_id = a.id
        where s.identifier = any(identifiers)
          and r.status ~ '^[1-7DGZ]$'
          and common.ages_out_on(least(r.month, a.closed_on)) <= day
    ) as n(subject_identifier, began, leaves)
    where n.leaves <= day;
end
$$;

drop function scores.shown_on(text, text, timestamptz, date, date);
drop function scores.counted_until(text, date);
