-- A data period of N months reaches back N months from the bureau's day, to the day.
-- Migration 0007 counted whole months (the bureau's month and the N - 1 before it), so the
-- longest period a subject can grant, 60 months, let go of a record that ended five years
-- ago less a few days before the five-year rule did (common.ages_out_on): a bank holding
-- it lost a case the bureau still reports, up to a month early. The period now covers the
-- days after common.today() - N months, up to today; its first day is the one after. At 60
-- months a record leaves the holder's answers on the day it ages out, as it leaves
-- everyone's. common.in_period reads its start from here, so nothing else changes.
create or replace function common.period_starts_on(months integer) returns date
language sql stable parallel safe
as $$
    select ((common.today() - months * interval '1 month')::date + 1)::date
$$;
