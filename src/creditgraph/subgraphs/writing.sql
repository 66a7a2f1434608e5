-- A subgraph's write over HTTP (subgraphs/writing.py).

-- name: name_the_write
-- The transaction names the id it will be prepared under: its live notices wait for the
-- gateway's commit (migration common/0006), since PostgreSQL prepares none that notified.
select set_config('creditgraph.prepared_write', $1, true);
