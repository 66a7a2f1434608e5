-- The one clock can be set. common.today() is the bureau's day; by default the database's own
-- (current_date), but a database may be told another day with the setting creditgraph.today
-- (`alter database ... set creditgraph.today = '2031-06-14'`, read by each new connection), for
-- a drill or a test that must see the reports as they will stand on a given day: every date
-- predicate of the reports, the list entries' states and notices, the measures in force and
-- the ageing of negative records then move together, because they all read this function.
create or replace function common.today() returns date
language sql stable parallel safe
as $$ select coalesce(nullif(current_setting('creditgraph.today', true), '')::date, current_date) $$;

-- The bureau's moment: the transaction's start time moved by as many days as the bureau's day
-- is from the database's, so a score or a decision stamped "now" falls on common.today().
create function common.now() returns timestamptz
language sql stable parallel safe
as $$ select now() + (common.today() - current_date) * interval '1 day' $$;

-- The same for the wall clock as it runs (two stamps in one transaction differ).
create function common.clock_timestamp() returns timestamptz
language sql volatile parallel safe
as $$ select clock_timestamp() + (common.today() - current_date) * interval '1 day' $$;
