-- Whether a mandate is in force today, said once: the gateway reads a
-- government requester's mandate by it and `creditgraph mandates list` shows
-- it, so the two can never disagree on the day a mandate starts or ends.
-- valid_until is the first day it no longer applies (null: no end).
create function gateway.in_force(m gateway.mandates) returns boolean
language sql stable
as $$ select daterange(m.valid_from, m.valid_until, '[)') @> current_date $$;
