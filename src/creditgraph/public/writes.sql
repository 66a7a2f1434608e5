-- The subject's writes on their own list entries (public/mutations.py). Each
-- runs in the transaction the gateway lends (subgraphs/writing.py).

-- name: lock_own_entry
-- The entry, locked, if it is on the subject's own record, with the
-- database's day: every check and write of the request uses that one day.
select id, notice_starts_on, notice_ends_on, objection_filed_on, objection_outcome,
       effective_on, exited_on, common.today() as today
from public_records.list_entries
where id = $1 and subject_identifier = $2
for update;

-- name: insert_objection
insert into public_records.list_objections (entry_id, reason)
values ($1, $2)
on conflict (entry_id) do nothing
returning id, reason, filed_at, outcome, answer, answered_at;

-- name: mark_objected
update public_records.list_entries set objection_filed_on = common.today() where id = $1;

-- name: insert_repair_application
insert into public_records.repair_applications (entry_id, evidence)
values ($1, $2)
on conflict (entry_id) where decision is null do nothing
returning id, evidence, filed_at, decision, reasons, decided_at;
