-- A request's whole record in one statement, so one round trip records it (access/audit.py,
-- access/recording.py): its eligibility answers, its inquiries, then its audit entries,
-- chained and hashed here under the chain's lock. Before, the answers and inquiries were
-- statements of their own, the chain's turn another and the entries' insert another, inside
-- a transaction that took two more round trips to begin and commit; every one of them waited
-- on the request's answer. Sent outside a transaction, the one statement is its own
-- transaction: committed, and so durable, when its result arrives, or undone whole.
--
-- The hash is the chain's canonical document as access/audit.py specifies it (its `verify`
-- recomputes every entry's hash in Python from the stored row, independently of this
-- function): one JSON object, keys sorted, no whitespace, non-ASCII characters unescaped.
-- PostgreSQL's JSON string escaping (to_json of a text) is the same as that document's:
-- the quote, the backslash, \b \f \n \r \t by name, every other character below U+0020 as a
-- lower-case \u00XX, and every other character as itself.

create type gateway.eligibility_answer_row as (
    id                  uuid,
    share_id            uuid,
    subject_identifier  text,
    requester_id        bigint,
    operator            text,
    predicate           text,
    purpose             text,
    holds               boolean,
    answered_at         timestamptz
);

create type gateway.inquiry_row as (
    subject_identifier  text,
    requester_id        bigint,
    operator            text,
    purpose             text,
    edition             text,
    grant_id            uuid,
    mandate_id          bigint,
    answer_id           uuid
);

create type gateway.audit_entry_row as (
    request_id  text,
    role        text,
    requester   text,
    operator    text,
    operation   text,
    subjects    text[],
    fields      text[],
    decision    text,
    detail      text
);

-- A string as the canonical document writes it: JSON's string, or null.
create function gateway.audit_json(value text) returns text
language sql immutable strict parallel safe as $$
    select to_json(value)::text
$$;

-- An array of strings as the canonical document writes it, in the stored order.
create function gateway.audit_json(items text[]) returns text
language sql immutable parallel safe as $$
    select '[' || coalesce(
        (select string_agg(coalesce(gateway.audit_json(item), 'null'), ',' order by n)
         from unnest(items) with ordinality as given (item, n)),
        ''
    ) || ']'
$$;

-- The hash of one entry: SHA-256 of its canonical document (access/audit.py, "The hash").
-- `stored_detail` is the detail as the table stores it (jsonb's own text).
create function gateway.audit_entry_hash(
    seq bigint,
    occurred_at timestamptz,
    prev_hash bytea,
    entry gateway.audit_entry_row,
    stored_detail text
) returns bytea
language sql stable parallel safe as $$
    select sha256(convert_to(
        '{"decision":' || coalesce(gateway.audit_json(entry.decision), 'null')
        || ',"detail":' || coalesce(gateway.audit_json(stored_detail), 'null')
        || ',"fields":' || gateway.audit_json(entry.fields)
        || ',"occurred_at":"'
        || to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"'
        || ',"operation":' || coalesce(gateway.audit_json(entry.operation), 'null')
        || ',"operator":' || coalesce(gateway.audit_json(entry.operator), 'null')
        || ',"prev_hash":"' || encode(prev_hash, 'hex') || '"'
        || ',"request_id":' || coalesce(gateway.audit_json(entry.request_id), 'null')
        || ',"requester":' || coalesce(gateway.audit_json(entry.requester), 'null')
        || ',"role":' || coalesce(gateway.audit_json(entry.role), 'null')
        || ',"seq":' || seq::text
        || ',"subjects":' || gateway.audit_json(entry.subjects)
        || '}',
        'UTF8'
    ))
$$;

-- The answers and inquiries first, before the chain's lock, so the lock is held only for
-- the entries. Then the lock, the newest link and the clock: each statement of a PL/pgSQL
-- function takes a snapshot of its own under READ COMMITTED, so the read after the lock sees
-- every append that released it. Under a stricter level the function's reads would share the
-- transaction's older snapshot and could miss the newest link, so it refuses one before
-- writing anything. The entries appended together are consecutive links sharing one
-- occurred_at. Returns their seqs, in the order given.
create function gateway.audit_record(
    lock_key bigint,
    answers gateway.eligibility_answer_row[],
    inquiries gateway.inquiry_row[],
    entries gateway.audit_entry_row[]
) returns setof bigint
language plpgsql volatile as $$
declare
    isolation constant text := current_setting('transaction_isolation');
    head_seq bigint;
    head_hash bytea;
    moment timestamptz;
    entry gateway.audit_entry_row;
    stored_detail text;
    digest bytea;
begin
    if isolation <> 'read committed' then
        raise exception 'the audit chain is appended under READ COMMITTED, not %', isolation
            using errcode = 'invalid_transaction_state';
    end if;
    insert into gateway.eligibility_answers
        (id, share_id, subject_identifier, requester_id, operator, predicate, purpose, holds,
         answered_at)
    select a.id, a.share_id, a.subject_identifier, a.requester_id, a.operator, a.predicate,
           a.purpose, a.holds, a.answered_at
    from unnest(answers) with ordinality as a
    order by a.ordinality;
    insert into gateway.inquiries
        (subject_identifier, requester_id, operator, purpose, edition, grant_id, mandate_id,
         answer_id)
    select i.subject_identifier, i.requester_id, i.operator, i.purpose, i.edition, i.grant_id,
           i.mandate_id, i.answer_id
    from unnest(inquiries) with ordinality as i
    order by i.ordinality;
    if coalesce(cardinality(entries), 0) = 0 then
        return;
    end if;
    perform pg_advisory_xact_lock(lock_key);
    select newest.seq, newest.hash into head_seq, head_hash
    from gateway.audit_log as newest
    order by newest.seq desc
    limit 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, decode(repeat('00', 32), 'hex'));
    moment := clock_timestamp();
    foreach entry in array entries loop
        head_seq := head_seq + 1;
        stored_detail := entry.detail::jsonb::text;
        digest := gateway.audit_entry_hash(head_seq, moment, head_hash, entry, stored_detail);
        insert into gateway.audit_log (
            seq, occurred_at, request_id, role, requester, operator, operation,
            subjects, fields, decision, detail, prev_hash, hash
        )
        overriding system value
        values (
            head_seq, moment, entry.request_id, entry.role, entry.requester, entry.operator,
            entry.operation, entry.subjects, entry.fields, entry.decision,
            stored_detail::jsonb, head_hash, digest
        );
        head_hash := digest;
        return next head_seq;
    end loop;
end;
$$;

-- The turn of the two-statement append this replaces: nothing calls it any more.
drop function gateway.audit_chain_turn(bigint, text[]);
