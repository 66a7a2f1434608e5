-- scores.counted_until (migration 0004) read the months of every subject: in a SQL function a
-- column name wins over a parameter's, so `s.identifier = identifier` compared the subjects'
-- column with itself. The parameters are named through the function here, so only the
-- subject's own accounts are read (through bureau.subjects' unique identifier), and the other
-- scorers' observations are hidden by their own subject's records alone. In PL/pgSQL, whose
-- plan is kept for the session, rather than planned again for each observation read.
create or replace function scores.counted_until(identifier text, observed_on date) returns date
language plpgsql stable parallel safe
as $$
begin
    return (select min(leaves) from (
        select ages_out_on from public_records.enforcement_cases
        where subject_identifier = counted_until.identifier
          and filed_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.dishonest_listings
        where subject_identifier = counted_until.identifier
          and published_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.consumption_restrictions
        where subject_identifier = counted_until.identifier
          and issued_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.administrative_actions
        where subject_identifier = counted_until.identifier
          and decided_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.tax_arrears
        where subject_identifier = counted_until.identifier
          and recorded_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.list_entries
        where subject_identifier = counted_until.identifier
          and notice_starts_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.civil_judgments
        where subject_identifier = counted_until.identifier
          and filed_on <= counted_until.observed_on
        union all
        select ages_out_on from public_records.utility_arrears
        where subject_identifier = counted_until.identifier
          and recorded_on <= counted_until.observed_on
        union all
        select bureau.month_ages_out_on(r.account_id, r.month, r.status, a.closed_on)
        from bureau.subjects s
        join bureau.account_parties p on p.subject_id = s.id
        join bureau.credit_accounts a on a.id = p.account_id
        join bureau.repayments r on r.account_id = a.id
        where s.identifier = counted_until.identifier
          and r.month <= counted_until.observed_on and r.status ~ '^[1-7DGZ]$'
    ) as counted(leaves)
    where leaves > counted_until.observed_on);
end
$$;
