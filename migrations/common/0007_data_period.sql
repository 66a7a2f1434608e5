-- A grant's data period bounds the records its holder is answered, not only the history
-- listed of each. A period of N months covers the bureau's current month (by the one clock,
-- common.today()) and the N - 1 months before it; it starts on the first day of the first.
-- A record whose dated life ended before that day (an account closed, a case concluded, an
-- inquiry made, a dispute resolved, a statement withdrawn) is not answered to a requester
-- holding that period; a record still live (an open account however old, an unresolved
-- case) is, with its dates. Every read of dated records asks common.in_period, and the
-- gateway names the period's first month from common.period_starts_on, so the period's
-- start is computed here alone. Null months: no data period (the subject's own view, a
-- mandate), so nothing is bounded.

-- The first day of a data period of `months` months (null: no period).
create function common.period_starts_on(months integer) returns date
language sql stable parallel safe
as $$
    select (date_trunc('month', common.today()) - (months - 1) * interval '1 month')::date
$$;

-- Whether a record whose dated life ended on `ended` (null: it has not ended) is answered
-- under a data period of `months` months (null: no period).
create function common.in_period(ended date, months integer) returns boolean
language sql stable parallel safe
as $$
    select months is null or ended is null or ended >= common.period_starts_on(months)
$$;
