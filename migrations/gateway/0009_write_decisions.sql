-- A mutation over HTTP subgraphs leaves its writes pending (prepared
-- transactions) until the gateway has appended the request's audit entry.
-- The gateway writes its decision to commit them here, in the transaction
-- that appends that entry, so the decision and the record are one fact: a
-- pending write with a COMMIT row is committed, one without is rolled back.
-- Whoever writes a write's row first decides it; the gateway after a crash,
-- settling what was left pending, writes ROLLBACK where no COMMIT is found.
create table gateway.write_decisions (
    gid         text primary key check (gid ~ '^creditgraph:[0-9a-f]{32}\.[0-9]+$'),
    outcome     text not null check (outcome in ('COMMIT', 'ROLLBACK')),
    decided_at  timestamptz not null default now()
);
