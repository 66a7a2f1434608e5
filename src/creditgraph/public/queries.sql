-- The public subgraph's reads. Every statement takes an array of subject
-- identifiers and answers for all of them at once (the dataloaders batch a
-- request's keys), so the number of statements a query runs never grows with
-- the number of subjects or records.
--
-- Negative records age out (migration 0005): each read keeps only those whose day to leave,
-- ages_out_on, is still to come by the one clock, common.today(). The comparison is made on
-- the subject's own rows, found through the subject's index, so it costs nothing as records
-- accumulate, and a record leaves every report on its day without anything having to run.
--
-- Under a data period ($2, in months; null: none) a read keeps only the records whose dated
-- life had not ended before the period began (common.in_period): the same day their ageing
-- counts from (a case concluded, a listing removed, an order lifted, a penalty decided, an
-- arrear settled, a black list entry exited, a judgment given; a membership ended or a
-- fund account closed, at its last paid month; a licence expired). A record still live stays.

-- name: enforcement_cases_by_subject
select subject_identifier, id, case_number, court_code, court_name, subject_name,
       applicant_name, cause, filed_on, amount, amount_outstanding, currency, status, closed_on
from public_records.enforcement_cases
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(closed_on, $2::int)
order by subject_identifier, filed_on desc, id desc;

-- name: dishonest_listings_by_subject
select subject_identifier, id, subject_name, case_number, court_code, court_name, obligation,
       performance, reasons, published_on, removed_on, removal_reason
from public_records.dishonest_listings
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(removed_on, $2::int)
order by subject_identifier, published_on desc, id desc;

-- name: consumption_restrictions_by_subject
-- Orders against the subject, and orders against an organisation that bind the
-- subject as its legal representative (they restrict the person too).
select w.identifier as bound_identifier, r.subject_identifier, r.id, r.subject_name,
       r.restricted_person_identifier, r.restricted_person_name, r.case_number, r.court_code,
       r.court_name, r.restrictions, r.issued_on, r.lifted_on
from unnest($1::text[]) as w(identifier)
join public_records.consumption_restrictions r
  on (r.subject_identifier = w.identifier or r.restricted_person_identifier = w.identifier)
 and (r.ages_out_on is null or r.ages_out_on > common.today())
 and common.in_period(r.lifted_on, $2::int)
order by w.identifier, r.issued_on desc, r.id desc;

-- name: administrative_actions_by_subject
select subject_identifier, id, kind, subject_name, authority_code, authority_name,
       decision_number, category, description, amount, decided_on, publish_until, repaired_on
from public_records.administrative_actions
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(case when kind = 'PENALTY' then decided_on end, $2::int)
order by subject_identifier, decided_on desc, id desc;

-- name: tax_arrears_by_subject
select subject_identifier, id, subject_name, authority_code, authority_name, tax_type, amount,
       period_start, period_end, recorded_on, settled_on
from public_records.tax_arrears
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(settled_on, $2::int)
order by subject_identifier, recorded_on desc, id desc;

-- name: list_entries_by_subject
-- With the day they are read on (the one clock), which their state, the measures they trigger
-- and the notices due of them are decided by, so all three agree with their ageing.
select subject_identifier, id, colour, list_name, subject_name, authority_code, authority_name,
       reason, notice_starts_on, notice_ends_on, objection_filed_on, objection_outcome,
       effective_on, exited_on, exit_reason, common.today() as today
from public_records.list_entries
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(case when colour = 'BLACK' then exited_on end, $2::int)
order by subject_identifier, notice_starts_on desc, id desc;

-- name: civil_judgments_by_subject
select subject_identifier, id, subject_name, case_number, court_code, court_name, cause,
       filed_on, judged_on, outcome, amount
from public_records.civil_judgments
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(judged_on, $2::int)
order by subject_identifier, filed_on desc, id desc;

-- name: utility_arrears_by_subject
select subject_identifier, id, provider_name, service, amount, since_month, recorded_on,
       settled_on
from public_records.utility_arrears
where subject_identifier = any($1::text[])
  and (ages_out_on is null or ages_out_on > common.today())
  and common.in_period(settled_on, $2::int)
order by subject_identifier, recorded_on desc, id desc;

-- name: social_insurance_by_subject
select subject_identifier, id, region, employer_name, scheme, started_on, last_paid_month,
       monthly_base, status, updated_on
from public_records.social_insurance
where subject_identifier = any($1::text[])
  and common.in_period(case when status = 'ENDED' then last_paid_month end, $2::int)
order by subject_identifier, started_on desc, id desc;

-- name: housing_fund_by_subject
select subject_identifier, id, region, employer_name, started_on, last_paid_month,
       monthly_contribution, status, updated_on
from public_records.housing_fund
where subject_identifier = any($1::text[])
  and common.in_period(case when status = 'CLOSED' then last_paid_month end, $2::int)
order by subject_identifier, started_on desc, id desc;

-- name: licences_by_subject
select subject_identifier, id, licence_type, licence_number, authority_name, issued_on,
       expires_on, status
from public_records.licences
where subject_identifier = any($1::text[])
  and common.in_period(case when status = 'EXPIRED' then expires_on end, $2::int)
order by subject_identifier, issued_on desc, id desc;

-- name: list_objections_by_entry
select entry_id, id, reason, filed_at, outcome, answer, answered_at
from public_records.list_objections
where entry_id = any($1::bigint[])
order by entry_id;

-- name: repair_applications_by_entry
select entry_id, id, evidence, filed_at, decision, reasons, decided_at
from public_records.repair_applications
where entry_id = any($1::bigint[])
order by entry_id, id;

-- name: notice_recipients_by_subject
-- Every account a subscribing institution has had with the subject, with each
-- subscription period of that institution: notices.py picks those covering
-- the day an entry came into force.
select l.subject_identifier, l.lender_code, l.lender_name, l.opened_on, l.closed_on,
       n.subscribed_on, n.ended_on
from bureau.lending_periods l
join public_records.notice_subscriptions n on n.institution_code = l.lender_code
where l.subject_identifier = any($1::text[])
order by l.subject_identifier, l.lender_code, l.opened_on;

-- name: subjects_coming_into_force
-- The subjects with a list entry taking effect on day $1 by the calendar alone: the day after
-- its notice period with no objection, or the day the listing body recorded.
select distinct subject_identifier
from public_records.list_entries
where effective_on = $1 or (notice_ends_on = $1::date - 1 and objection_filed_on is null)
order by subject_identifier;

-- name: today
-- The bureau's day, the one clock (common.today()), for what is decided by the day outside a
-- read of the records: the live relay's calendar, the listing body's commands.
select common.today();
