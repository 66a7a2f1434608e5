-- One round trip for an append's turn at the audit chain (access/audit.py): wait for the
-- chain's transaction-scoped advisory lock, then read the newest link and the clock. A
-- single statement cannot do both: its snapshot is taken before the lock is granted, so it
-- would miss the link committed just before. Under READ COMMITTED each statement of a
-- PL/pgSQL function takes a snapshot of its own, so the read after the lock sees every
-- append that released it. The isolation level comes back with the link, so the caller can
-- refuse a stricter one (there the function's reads share the transaction's old snapshot),
-- and so do the entries' details as PostgreSQL stores them (jsonb's own text, in the order
-- given), which is what the hashes cover.
create function gateway.audit_chain_turn(lock_key bigint, given_details text[])
returns table (
    isolation text,
    stored_details text[],
    head_seq bigint,
    head_hash bytea,
    occurred_at timestamptz
)
language plpgsql volatile as $$
begin
    perform pg_advisory_xact_lock(lock_key);
    return query
    select
        current_setting('transaction_isolation'),
        array(
            select given.detail::jsonb::text
            from unnest(given_details) with ordinality as given (detail, n)
            order by given.n
        ),
        newest.seq,
        newest.hash,
        clock_timestamp()
    from (select 1) as one
    left join lateral (
        select entry.seq, entry.hash
        from gateway.audit_log as entry
        order by entry.seq desc
        limit 1
    ) as newest on true;
end;
$$;
