-- name: lock
-- Session-level advisory lock: a second migrating process waits here until the
-- first has finished, then finds nothing left to apply.
select pg_advisory_lock($1::bigint)

-- name: unlock
select pg_advisory_unlock($1::bigint)

-- name: create_ledger
create schema if not exists creditgraph_meta;
create table if not exists creditgraph_meta.schema_migrations (
    component  text        not null,
    version    integer     not null check (version > 0),
    name       text        not null,
    checksum   text        not null check (checksum ~ '^[0-9a-f]{64}$'),
    applied_at timestamptz not null default now(),
    primary key (component, version)
)

-- name: applied
select component, version, name, checksum, applied_at
from creditgraph_meta.schema_migrations
order by component, version

-- name: record
insert into creditgraph_meta.schema_migrations (component, version, name, checksum)
values ($1, $2, $3, $4)
