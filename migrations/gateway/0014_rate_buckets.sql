-- Token buckets shared by gateway replicas (access/rate_limits.py, store = "postgresql").
-- One row per requester's bucket: the tokens left when it was last taken from, and when; a
-- bucket that has refilled to its burst is the same as no row, so rows whose full_at has
-- passed are swept. Unlogged: a crash empties the buckets (every requester starts full),
-- which costs nothing that matters, and every take is one write that needs no WAL.

create unlogged table gateway.rate_buckets (
    key text primary key,
    tokens double precision not null,
    admitted boolean not null,
    updated_at timestamptz not null,
    full_at timestamptz not null
);

create index rate_buckets_full_at on gateway.rate_buckets (full_at);

-- The tokens a bucket holds at `now`, refilled at `rate` a second since `since`, at most
-- `burst`.
create function gateway.rate_refilled(
    tokens double precision,
    since timestamptz,
    now timestamptz,
    burst double precision,
    rate double precision
) returns double precision
language sql immutable as $$
    select least(burst, tokens + greatest(extract(epoch from now - since)::float8, 0) * rate)
$$;
