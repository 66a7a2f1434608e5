-- The gateway's side of a mutation's pending writes (gateway/writes.py).

-- name: pending
-- The writes prepared under one hold ($1 is its transaction-id prefix).
select gid
from pg_prepared_xacts
where database = current_database() and starts_with(gid, $1)
order by gid;

-- name: stale
-- Writes of ours prepared more than $2 seconds ago ($1 is our prefix): their
-- request is over, whatever became of it.
select gid
from pg_prepared_xacts
where database = current_database() and starts_with(gid, $1)
  and prepared < now() - make_interval(secs => $2);

-- name: decide
-- Raises unique_violation when the write was already decided: the caller's
-- transaction, and the audit entry in it, then roll back.
insert into gateway.write_decisions (gid, outcome)
select gid, $2 from unnest($1::text[]) as gid;

-- name: decide_if_undecided
insert into gateway.write_decisions (gid, outcome)
values ($1, 'ROLLBACK')
on conflict (gid) do nothing;

-- name: decision
select outcome from gateway.write_decisions where gid = $1;

-- name: forget
-- Decisions older than $1 seconds whose write is no longer pending: kept until
-- then so that a gateway coming back late to a settled write finds it decided.
delete from gateway.write_decisions
where decided_at < now() - make_interval(secs => $1)
  and gid not in (select gid from pg_prepared_xacts);

-- name: send_live_notices
-- The live notices of prepared writes just committed (migration common/0006).
select common.send_live_notices($1::text[]);
