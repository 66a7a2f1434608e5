-- The audit log's writes and reads (see audit.py for the chain and its encoding).

-- name: lock
-- Appends queue here one at a time until their transaction ends, so each one
-- reads the link the previous one committed. The isolation level comes back
-- with it: only under read committed does the next statement see that link.
-- So do the entries' details as PostgreSQL will store them (jsonb's own text,
-- in the order given), which is what the hashes cover.
select
    pg_advisory_xact_lock($1::bigint),
    current_setting('transaction_isolation') as isolation,
    array(
        select detail::jsonb::text
        from unnest($2::text[]) with ordinality as given (detail, n)
        order by n
    ) as details;

-- name: head
-- The newest link and the clock after the lock was granted.
select
    (select seq from gateway.audit_log order by seq desc limit 1) as seq,
    (select hash from gateway.audit_log order by seq desc limit 1) as hash,
    clock_timestamp() as occurred_at;

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
