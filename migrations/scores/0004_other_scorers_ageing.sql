-- Scores other than the bureau's age out with the records they counted. The bureau's own
-- scorecard knows which negative months it counted and stores the day the first of them ages
-- out (shown_until, migration 0003). The other scorers (the city score, commercial scorers)
-- are told nothing of the sort, so the bureau takes the safe reading: such an observation
-- counted every negative record of its subject that was on the file the day it was made, and
-- it is shown only until the first of those ages out. Worked out at read time, from the
-- records as they stand, so a record that ends after the observation was made (and so only
-- then gets a day to leave) still takes the observation with it on that day.

-- The first day after `observed_on` on which a negative record of the subject that was on the
-- file on `observed_on` (it began on or before that day and had not yet aged out) leaves the
-- reports; null when none will. The records are the subject's public records with a day to
-- leave (migration public/0005) and the negative months of the accounts it is party to
-- (bureau.month_ages_out_on), each found through the subject's index.
create function scores.counted_until(identifier text, observed_on date) returns date
language sql stable parallel safe
as $$
    select min(leaves) from (
        select ages_out_on from public_records.enforcement_cases
        where subject_identifier = identifier and filed_on <= observed_on
        union all
        select ages_out_on from public_records.dishonest_listings
        where subject_identifier = identifier and published_on <= observed_on
        union all
        select ages_out_on from public_records.consumption_restrictions
        where subject_identifier = identifier and issued_on <= observed_on
        union all
        select ages_out_on from public_records.administrative_actions
        where subject_identifier = identifier and decided_on <= observed_on
        union all
        select ages_out_on from public_records.tax_arrears
        where subject_identifier = identifier and recorded_on <= observed_on
        union all
        select ages_out_on from public_records.list_entries
        where subject_identifier = identifier and notice_starts_on <= observed_on
        union all
        select ages_out_on from public_records.civil_judgments
        where subject_identifier = identifier and filed_on <= observed_on
        union all
        select ages_out_on from public_records.utility_arrears
        where subject_identifier = identifier and recorded_on <= observed_on
        union all
        select bureau.month_ages_out_on(r.account_id, r.month, r.status, a.closed_on)
        from bureau.subjects s
        join bureau.account_parties p on p.subject_id = s.id
        join bureau.credit_accounts a on a.id = p.account_id
        join bureau.repayments r on r.account_id = a.id
        where s.identifier = identifier and r.month <= observed_on and r.status ~ '^[1-7DGZ]$'
    ) as counted(leaves)
    where leaves > observed_on
$$;

-- Whether an observation is shown on `day`: a bureau observation until its own shown_until,
-- any other until the first negative record it is taken to have counted ages out.
create function scores.shown_on(
    scale text, identifier text, observed_at timestamptz, shown_until date, day date
) returns boolean
language sql stable parallel safe
as $$
    select coalesce(shown_until > day, true)
       and (scale = 'BUREAU'
            or coalesce(scores.counted_until(identifier, observed_at::date) > day, true))
$$;
