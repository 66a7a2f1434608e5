-- The subject's own writes to their file. Each mutation runs its statements
-- in one transaction that starts with lock_subject.

-- name: lock_subject
-- The requester's subject, locked until the transaction ends: one subject's
-- writes take turns, so the checks a write makes still hold when it is made.
select id from bureau.subjects where identifier = $1 for update;

-- name: record_on_report
-- Whether record $2 of kind $1 is on the report of subject $3 (identifier $4):
-- a phone, address, employment or education of theirs, or a marriage they are
-- a partner in; an account they are a party to; a guarantee they gave, or one
-- behind an account of theirs; an inquiry about them; a public record under
-- their identifier (the public component's register).
select exists (
    select 1 from bureau.phones where $1 = 'PHONE' and id = $2 and subject_id = $3
    union all
    select 1 from bureau.addresses where $1 = 'ADDRESS' and id = $2 and subject_id = $3
    union all
    select 1 from bureau.employments where $1 = 'EMPLOYMENT' and id = $2 and subject_id = $3
    union all
    select 1 from bureau.educations where $1 = 'EDUCATION' and id = $2 and subject_id = $3
    union all
    select 1 from bureau.marriage_partners
    where $1 = 'MARRIAGE' and marriage_id = $2 and subject_id = $3
    union all
    select 1 from bureau.account_parties
    where $1 = 'CREDIT_ACCOUNT' and account_id = $2 and subject_id = $3
    union all
    select 1 from bureau.guarantees g
    where $1 = 'GUARANTEE' and g.id = $2
      and (g.guarantor_id = $3 or exists (
          select 1 from bureau.account_parties p
          where p.account_id = g.account_id and p.subject_id = $3))
    union all
    select 1 from gateway.inquiry_record
    where $1 = 'INQUIRY' and id = $2 and subject_identifier = $4
    union all
    select 1 from public_records.record_register
    where record_type = $1 and record_id = $2 and subject_identifier = $4
);

-- name: insert_dispute
-- Filed now; the data source must answer within $5 days, counted in UTC dates
-- (never later than the local date's count in China). Nothing is inserted, and
-- no row comes back, when the subject already has an open dispute on the record.
insert into bureau.disputes (subject_id, record_type, record_id, reason, respond_by)
values ($1, $2, $3, $4, (now() at time zone 'UTC')::date + $5::int)
on conflict (subject_id, record_type, record_id) where status = 'OPEN' do nothing
returning id, record_type, record_id, reason, filed_at, respond_by, status, outcome,
          resolution, resolved_at, null::bigint as correction_id;  -- answered later, if ever

-- name: insert_statement
insert into bureau.statements (subject_id, text)
values ($1, $2)
returning id, text, added_at, withdrawn_at;

-- name: active_fraud_alert
select id, expires_at
from bureau.fraud_alerts
where subject_id = $1 and lifted_at is null and expires_at > now()
order by placed_at desc
limit 1;

-- name: insert_fraud_alert
-- An initial alert, which lasts a year (FCRA practice).
insert into bureau.fraud_alerts (subject_id, kind, contact_phone, note, expires_at)
values ($1, 'INITIAL', $2, $3, now() + interval '1 year')
returning id, kind, contact_phone, note, placed_at, expires_at, lifted_at;

-- name: lift_fraud_alert
update bureau.fraud_alerts
set lifted_at = now()
where id = $1 and subject_id = $2 and lifted_at is null and expires_at > now()
returning id, kind, contact_phone, note, placed_at, expires_at, lifted_at;
