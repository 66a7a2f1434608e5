-- The bureau's day, and when negative information leaves it.
--
-- common.today() is the one clock every date predicate of the reports reads: the database's
-- own day, so every subgraph, the scorer and the gateway agree on what "today" is, whichever
-- process asks. A record that ages out is decided by comparing its stored day with it at
-- read time, so no job has to run for it to leave.
create function common.today() returns date
language sql stable parallel safe
as $$ select current_date $$;

-- Negative information is kept for five years from the day the negative behaviour ended,
-- then it leaves every report (the credit reporting regulation's five-year rule). The day it
-- leaves, for a behaviour that ended on `ended` (null: it has not ended, so it never leaves).
-- A behaviour that ended on 29 February leaves on 28 February five years on.
create function common.ages_out_on(ended date) returns date
language sql immutable strict parallel safe
as $$ select (ended + interval '5 years')::date $$;
