-- What the derived signals (credit summary, scorecard) read of each account,
-- defined once so the bureau subgraph and the scorecard cannot drift apart.
--
-- Every window ends at the bureau's data month (the month of its latest
-- report; lenders report T+1), so all subjects read on one day are judged
-- over the same 24 months, however long ago their own accounts closed.

create index credit_accounts_by_report_date on bureau.credit_accounts (reported_on);

create view bureau.data_month as
select date_trunc('month', max(reported_on))::date as month from bureau.credit_accounts;

-- statuses: the 24 months ending at the data month, most recent first (24 is
-- signals.WINDOW_MONTHS): '/' before the account opened, '#' where nothing was
-- reported (after closing, say), so a gap never joins two overdue months into
-- a run. overdue_amount: what the latest reported month had overdue.
create view bureau.account_signals as
select a.id as account_id, a.kind, a.status, a.balance, a.credit_limit, a.opened_on,
       d.month as data_month,
       (select string_agg(
                   case when m.month < date_trunc('month', a.opened_on) then '/'
                        else coalesce(r.status, '#') end,
                   '' order by m.month desc)
        from generate_series(d.month - interval '23 months', d.month, interval '1 month')
             as m(month)
        left join bureau.repayments r on r.account_id = a.id and r.month = m.month::date
       ) as statuses,
       coalesce((select r.overdue_amount from bureau.repayments r
                 where r.account_id = a.id order by r.month desc limit 1), 0) as overdue_amount
from bureau.credit_accounts a
cross join bureau.data_month d;
