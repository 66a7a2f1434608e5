-- The eligibility answers' statements: the shares subjects made, and the answers given.

-- name: latest_share
-- the share an ask rests on: this subject's, for this requester, predicate and purpose,
-- the live one when there is one, else the latest (to say why it no longer answers)
select id, withdrawn_at is null and valid_from <= now() and valid_until > now() as live,
       withdrawn_at is not null as withdrawn
from gateway.eligibility_shares
where subject_identifier = $1 and requester_id = $2 and predicate = $3 and purpose = $4
order by withdrawn_at is null and valid_from <= now() and valid_until > now() desc,
         valid_until desc, id
limit 1;

-- name: record_answer
insert into gateway.eligibility_answers
    (id, share_id, subject_identifier, requester_id, operator, predicate, purpose, holds,
     answered_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9);
