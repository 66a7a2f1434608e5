-- The audit log: one row per request, append-only and hash-chained. Each
-- row's hash covers its content and the previous row's hash, so any edit or
-- deletion breaks the chain at that row. The database refuses updates,
-- deletes and truncation outright; the chain catches what a superuser might
-- still do behind its back.

create table gateway.audit_log (
    seq            bigint generated always as identity primary key,
    occurred_at    timestamptz not null default now(),
    request_id     text not null,
    -- who asked, as the token said: no foreign key, so the log outlives and
    -- never blocks changes to the tables it describes
    role           text check (role in ('SUBJECT', 'BANK', 'GOVERNMENT')),
    requester      text,
    operator       text,
    operation      text,
    subjects       text[] not null default '{}',
    fields         text[] not null default '{}',
    decision       text not null check (decision in ('ALLOWED', 'PARTIAL', 'DENIED', 'ERROR')),
    detail         jsonb not null default '{}',
    -- unique: two concurrent appends cannot both extend the same link (no fork)
    prev_hash      bytea not null unique check (length(prev_hash) = 32),
    hash           bytea not null unique check (length(hash) = 32)
);
create index audit_log_by_requester on gateway.audit_log (requester, occurred_at desc);

create function gateway.audit_log_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'gateway.audit_log is append-only: % refused', tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

create trigger audit_log_no_update before update or delete on gateway.audit_log
    for each row execute function gateway.audit_log_is_append_only();
create trigger audit_log_no_truncate before truncate on gateway.audit_log
    for each statement execute function gateway.audit_log_is_append_only();
