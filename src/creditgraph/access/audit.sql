-- The audit log's writes and reads (see audit.py for the chain and its encoding).

-- name: record
-- A request's rows and its entries, chained, in one statement (migration gateway/0018 says
-- how and why a function). seq is supplied there, not drawn from the identity sequence: a
-- rolled-back append would leave a gap there, and a gap is what a deleted row looks like.
select seq
from gateway.audit_record(
    $1::bigint,
    $2::gateway.eligibility_answer_row[],
    $3::gateway.inquiry_row[],
    $4::gateway.audit_entry_row[]
) as seq;

-- name: walk
-- Every entry in chain order, detail as jsonb's text (what the hash covers).
select
    seq, occurred_at, request_id, role, requester, operator, operation,
    subjects, fields, decision, detail::text as detail, prev_hash, hash
from gateway.audit_log
order by seq;
