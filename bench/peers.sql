-- The reads bench/peers.py makes of the seeded database itself.

-- name: sample_subjects
-- A fixed pseudo-random sample of the seeded subjects: the same seed text
-- ($1) gives the same identifiers, spread over the whole population.
select identifier
from bureau.subjects
order by md5($1::text || identifier)
limit $2;
