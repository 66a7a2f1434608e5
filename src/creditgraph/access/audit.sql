-- The audit log's writes and reads (see audit.py for the chain and its encoding).

-- name: turn
-- The chain's lock, then the newest link, the clock, the isolation level and the entries'
-- details as stored, in one round trip (migration gateway/0015 says why a function).
select isolation, stored_details, head_seq, head_hash, occurred_at
from gateway.audit_chain_turn($1::bigint, $2::text[]);

-- name: insert
-- seq is supplied, not drawn from the identity sequence: a rolled-back append
-- would leave a gap there, and a gap is what a deleted row looks like.
insert into gateway.audit_log (
    seq, occurred_at, request_id, role, requester, operator, operation,
    subjects, fields, decision, detail, prev_hash, hash
)
overriding system value
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb, $12, $13);

-- name: walk
-- Every entry in chain order, detail as jsonb's text (what the hash covers).
select
    seq, occurred_at, request_id, role, requester, operator, operation,
    subjects, fields, decision, detail::text as detail, prev_hash, hash
from gateway.audit_log
order by seq;
