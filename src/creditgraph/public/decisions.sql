-- The listing body's answers to objections and repair applications, and the
-- institutions' subscriptions to notices (public/decisions.py).

-- name: objections
-- Objections (all, only the open ones when $1, or the one with id $2), open ones first,
-- soonest notice end first.
select o.id, o.entry_id, e.subject_identifier, e.subject_name, e.colour, e.list_name,
       e.notice_ends_on, o.reason, o.filed_at, o.outcome, o.answer, o.answered_at
from public_records.list_objections o
join public_records.list_entries e on e.id = o.entry_id
where (not $1::boolean or o.outcome is null) and ($2::bigint is null or o.id = $2)
order by o.outcome is not null, e.notice_ends_on, o.id;

-- name: answer_objection
update public_records.list_objections
set outcome = $2, answer = $3, answered_at = now()
where id = $1 and outcome is null
returning entry_id;

-- name: uphold_entry
-- An upheld objection: the listing never takes effect, and the entry says why it ended.
update public_records.list_entries
set objection_outcome = 'UPHELD', effective_on = null,
    exited_on = greatest(common.today(), notice_starts_on), exit_reason = 'OBJECTION_UPHELD'
where id = $1;

-- name: dismiss_entry
-- A dismissed objection: the listing takes effect the day after its notice period, or
-- today when the answer comes later.
update public_records.list_entries
set objection_outcome = 'DISMISSED', effective_on = greatest(notice_ends_on + 1, common.today())
where id = $1;

-- name: repairs
select r.id, r.entry_id, e.subject_identifier, e.subject_name, e.colour, e.list_name,
       r.evidence, r.filed_at, r.decision, r.reasons, r.decided_at
from public_records.repair_applications r
join public_records.list_entries e on e.id = r.entry_id
where (not $1::boolean or r.decision is null) and ($2::bigint is null or r.id = $2)
order by r.decision is not null, r.filed_at, r.id;

-- name: lock_application_entry
-- The entry an open application is for, locked, with what its state is read from.
select e.id, e.notice_ends_on, e.objection_filed_on, e.objection_outcome, e.effective_on,
       e.exited_on, common.today() as today
from public_records.repair_applications r
join public_records.list_entries e on e.id = r.entry_id
where r.id = $1 and r.decision is null
for update of r, e;

-- name: decide_repair
update public_records.repair_applications
set decision = $2, reasons = $3, decided_at = now()
where id = $1 and decision is null;

-- name: repair_entry
-- An approved repair ends the entry today: from today it is EXITED and its measures end.
update public_records.list_entries
set exited_on = common.today(), exit_reason = 'REPAIRED'
where id = $1;

-- name: subscriptions
select institution_code, subscribed_on, ended_on,
       subscribed_on <= common.today() and (ended_on is null or common.today() < ended_on) as live
from public_records.notice_subscriptions
order by institution_code, subscribed_on;

-- name: subscribe
insert into public_records.notice_subscriptions (institution_code, subscribed_on)
values ($1, $2);

-- name: current_subscription
select subscribed_on, ended_on
from public_records.notice_subscriptions
where institution_code = $1 and (ended_on is null or ended_on > common.today())
order by subscribed_on
limit 1
for update;

-- name: end_subscription
update public_records.notice_subscriptions set ended_on = $3
where institution_code = $1 and subscribed_on = $2;
