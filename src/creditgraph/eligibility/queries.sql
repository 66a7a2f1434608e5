-- The eligibility answers' statements: the shares subjects made (the answers
-- given are written with the request's record: access/audit.py `record`).

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
