-- Negative months age out. A month's status is negative when it is overdue (1-7) or the
-- account ended badly that month (D: repaid by the guarantor, Z: by transfer of assets,
-- G: ended other than by settlement). The behaviour it records ended:
--   for an overdue month, when its run of overdue months ended: the last day of the first
--   later month reported back in order (any status but 1-7 and #, which proves nothing), or
--   the day the account closed, whichever came first;
--   for D, Z and G, the last day of that month itself.
-- Five years on (common.ages_out_on) the month leaves every report, the signals and the
-- scores read from it. Bad debt and an account overdue now are the account's status, not a
-- month: they last while the lender reports them so, and what is left of them once the
-- account is closed is its months, which age out as above.

-- The day a month leaves the reports (null: it is not negative, or its behaviour has not
-- ended). Reads the account's later months through the primary key: bounded by its history.
create function bureau.month_ages_out_on(
    account bigint, at_month date, status text, closed_on date
) returns date
language sql stable parallel safe
as $$
    select case when status ~ '^[1-7DGZ]$' then common.ages_out_on(least(
        (select (r.month + interval '1 month' - interval '1 day')::date
         from bureau.repayments r
         where r.account_id = account and r.month >= at_month and r.status !~ '^[1-7#]$'
         order by r.month
         limit 1),
        closed_on)) end
$$;

-- Whether a month is on the reports on `day`: every month but a negative one that has aged
-- out by then.
create function bureau.month_shown(
    account bigint, at_month date, status text, closed_on date, day date
) returns boolean
language sql stable parallel safe
as $$
    select status !~ '^[1-7DGZ]$'
        or coalesce(bureau.month_ages_out_on(account, at_month, status, closed_on) > day, true)
$$;

-- What the derived signals and the scorecard read of each account (migration 0005's view),
-- as the reports show it on `day`: a month that has aged out by then reads as not reported.
-- counted_until: the first day one of the overdue months in the window ages out, after which
-- a score that counted them is no longer shown (null: none will).
create function bureau.account_signals_on(day date)
returns table (
    account_id bigint, kind text, status text, balance numeric, credit_limit numeric,
    opened_on date, data_month date, statuses text, overdue_amount numeric,
    counted_until date
)
language sql stable
as $$
    select a.id, a.kind, a.status, a.balance, a.credit_limit, a.opened_on, d.month,
           (select string_agg(
                       case when m.month < date_trunc('month', a.opened_on) then '/'
                            else coalesce(r.status, '#') end,
                       '' order by m.month desc)
            from generate_series(d.month - interval '23 months', d.month, interval '1 month')
                 as m(month)
            left join bureau.repayments r
                   on r.account_id = a.id and r.month = m.month::date
                  and bureau.month_shown(r.account_id, r.month, r.status, a.closed_on, day)),
           coalesce((select r.overdue_amount from bureau.repayments r
                     where r.account_id = a.id
                       and bureau.month_shown(r.account_id, r.month, r.status, a.closed_on, day)
                     order by r.month desc limit 1), 0),
           (select min(bureau.month_ages_out_on(r.account_id, r.month, r.status, a.closed_on))
            from bureau.repayments r
            where r.account_id = a.id and r.status ~ '^[1-7]$'
              and r.month between d.month - interval '23 months' and d.month
              and bureau.month_shown(r.account_id, r.month, r.status, a.closed_on, day))
    from bureau.credit_accounts a
    cross join bureau.data_month d
$$;

drop view bureau.account_signals;
create view bureau.account_signals as
select * from bureau.account_signals_on(common.today());
