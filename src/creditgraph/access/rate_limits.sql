-- Token buckets shared through PostgreSQL (rate_limits.py, PostgresBuckets).

-- name: take
-- Take one token from the bucket $1 (burst $2, refilled at $3 a second), atomically:
-- concurrent takes from any replica queue on the row. A new bucket starts full, less this
-- take. `admitted` says whether a token was taken; `tokens` what is left, from which the
-- wait for the next token follows. The database's clock is the one clock of all replicas.
insert into gateway.rate_buckets as b (key, tokens, admitted, updated_at, full_at)
values (
    $1,
    $2::float8 - 1,
    true,
    clock_timestamp(),
    clock_timestamp() + make_interval(secs => 1 / $3::float8)
)
on conflict (key) do update set
    admitted = gateway.rate_refilled(b.tokens, b.updated_at, excluded.updated_at, $2, $3) >= 1,
    tokens = gateway.rate_refilled(b.tokens, b.updated_at, excluded.updated_at, $2, $3)
        - case
            when gateway.rate_refilled(b.tokens, b.updated_at, excluded.updated_at, $2, $3) >= 1
            then 1 else 0
        end,
    updated_at = excluded.updated_at,
    full_at = excluded.updated_at + make_interval(
        secs => (
            $2 - gateway.rate_refilled(b.tokens, b.updated_at, excluded.updated_at, $2, $3)
            + case
                when gateway.rate_refilled(b.tokens, b.updated_at, excluded.updated_at, $2, $3)
                    >= 1
                then 1 else 0
            end
        ) / $3
    )
returning admitted, tokens;

-- name: sweep
-- Buckets refilled to their burst are the same as none: drop them.
delete from gateway.rate_buckets where full_at < clock_timestamp();
