-- A negative record that has aged out is on no report, the subject's own included; so are the
-- notices given of it and the corrections made to it. Whether a furnished record is still
-- shown, by the one clock: a public record while the register holds it (the register leaves
-- out what has aged out), a statement's month while its own ageing day is still to come, an
-- account always (an account does not age out; its negative months do).
-- Positional parameters: in a SQL function a column of the same name would win over them.
create function furnishing.still_shown(text, bigint, date) returns boolean
language sql stable parallel safe
as $$
    select case $1
        when 'CREDIT_ACCOUNT' then true
        when 'REPAYMENT' then coalesce((
            select bureau.month_ages_out_on(r.account_id, r.month, r.status, a.closed_on)
                   > common.today()
            from bureau.repayments r
            join bureau.credit_accounts a on a.id = r.account_id
            where r.account_id = $2 and r.month = $3), true)
        else exists (
            select 1 from public_records.record_register g
            where g.record_type = $1 and g.record_id = $2)
    end
$$;
