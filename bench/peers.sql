-- The reads bench/peers.py makes of the seeded database itself.

-- name: sample_subjects
-- A fixed pseudo-random sample of the seeded subjects: the same seed text
-- ($1) gives the same identifiers, spread over the whole population.
-- An organisation comes with its legal representative, who confirms its
-- authorisations; a person answers for themself (null).
select s.identifier,
       (select min(r.person_identifier) from bureau.legal_representatives r
        where r.organisation_identifier = s.identifier) as representative
from bureau.subjects s
order by md5($1::text || s.identifier)
limit $2;
