-- The bureau scorecard's population-wide reads and writes (see recompute.py).
-- Each statement answers for every subject at once, so a recompute sends the
-- same handful of statements whether the bureau holds a hundred subjects or
-- a hundred thousand.

-- name: bureau_model
select id from scores.models where scale = 'BUREAU' and name = $1 and version = $2;

-- name: file_accounts
-- Every subject with each account it is party to (a single row with empty
-- account columns when it has none), ordered by subject so the caller can
-- stream it: the account's figures, and its statuses over the $1 months that
-- end at the subject's data month, most recent first, as the credit summary
-- reads them.
with holdings as (
    select p.subject_id, a.id as account_id, a.kind, a.status, a.balance, a.credit_limit,
           a.opened_on, a.reported_on
    from bureau.account_parties p
    join bureau.credit_accounts a on a.id = p.account_id
), data_month as (
    select subject_id, date_trunc('month', max(reported_on))::date as month
    from holdings
    group by subject_id
)
select s.id as subject_id, s.identifier, d.month as data_month, h.account_id, h.kind, h.status,
       h.balance, h.credit_limit, h.opened_on,
       coalesce(r.statuses, '') as statuses, coalesce(r.overdue_amount, 0) as overdue_amount
from bureau.subjects s
left join holdings h on h.subject_id = s.id
left join data_month d on d.subject_id = s.id
left join lateral (
    select string_agg(x.status, '' order by x.month desc) as statuses,
           (array_agg(x.overdue_amount order by x.month desc))[1] as overdue_amount
    from bureau.repayments x
    where x.account_id = h.account_id
      and x.month > d.month - make_interval(months => $1::int)
      and x.month <= d.month
) r on true
order by s.id, h.account_id;

-- name: hard_inquiry_counts
-- Lenders' hard inquiries in the window that ends at $1, per subject that has any.
select subject_identifier, count(*) as hard_inquiries
from gateway.inquiry_record
where hard and inquired_at > $1::timestamptz - $2::text::interval and inquired_at <= $1::timestamptz
group by subject_identifier;

-- name: active_guarantee_counts
-- Guarantees standing now, per guarantor that gives any.
select guarantor_id, count(*) as active_guarantees
from bureau.guarantees
where status = 'ACTIVE'
group by guarantor_id;

-- name: reserve_observation_ids
-- Ids for $1 new observations, taken up front so their reasons can be
-- copied in beside them.
select array(
    select nextval(pg_get_serial_sequence('scores.observations', 'id'))
    from generate_series(1, $1::int)
);
