-- The bureau subgraph's reads. Every statement takes an array of keys and
-- answers for all of them at once (the dataloaders batch a request's keys),
-- so the number of statements a query runs never grows with its data.

-- name: subjects_by_id
select id, kind, identifier, name, birth_date, gender, established_on, industry,
       registered_capital
from bureau.subjects
where id = any($1::bigint[]);

-- name: subjects_by_identifier
select id, kind, identifier, name, birth_date, gender, established_on, industry,
       registered_capital
from bureau.subjects
where identifier = any($1::text[]);

-- name: institutions_by_id
select id, code, name, kind from bureau.institutions where id = any($1::bigint[]);

-- name: institutions_by_code
select id, code, name, kind from bureau.institutions where code = any($1::text[]);

-- name: phones_by_subject
select p.subject_id, p.id, p.number, p.reported_on, i.name as reported_by
from bureau.phones p
left join bureau.institutions i on i.id = p.reported_by
where p.subject_id = any($1::bigint[])
order by p.subject_id, p.reported_on desc, p.id desc;

-- name: addresses_by_subject
select a.subject_id, a.id, a.kind, a.address, a.residence_status, a.reported_on,
       i.name as reported_by
from bureau.addresses a
left join bureau.institutions i on i.id = a.reported_by
where a.subject_id = any($1::bigint[])
order by a.subject_id, a.reported_on desc, a.id desc;

-- name: employments_by_subject
select e.subject_id, e.id, e.employer_name, e.employer_id, e.occupation, e.title,
       e.started_on, e.reported_on, i.name as reported_by
from bureau.employments e
left join bureau.institutions i on i.id = e.reported_by
where e.subject_id = any($1::bigint[])
order by e.subject_id, e.reported_on desc, e.id desc;

-- name: educations_by_subject
select subject_id, id, level, school, graduated_on, reported_on
from bureau.educations
where subject_id = any($1::bigint[])
order by subject_id, reported_on desc, id desc;

-- name: marriages_by_subject
-- Each marriage of each subject, with the other partner.
select mine.subject_id, m.id, m.started_on, m.ended_on, m.end_reason,
       other.subject_id as partner_id
from bureau.marriage_partners mine
join bureau.marriages m on m.id = mine.marriage_id
join bureau.marriage_partners other
  on other.marriage_id = mine.marriage_id and other.subject_id <> mine.subject_id
where mine.subject_id = any($1::bigint[])
order by mine.subject_id, m.started_on desc;

-- name: principals_by_organisation
select organisation_id, person_id, role, share, since, until
from bureau.organisation_principals
where organisation_id = any($1::bigint[])
order by organisation_id, since desc, person_id;

-- name: principal_roles_by_person
select organisation_id, person_id, role, share, since, until
from bureau.organisation_principals
where person_id = any($1::bigint[])
order by person_id, since desc, organisation_id;

-- name: accounts_by_id
select a.id, a.lender_id, a.account_number, a.kind, a.purpose, a.currency, a.principal,
       a.credit_limit, a.balance, a.term_months, a.repayment_method, a.collateral,
       a.opened_on, a.matures_on, a.closed_on, a.status, a.classification, a.reported_on
from bureau.credit_accounts a
where a.id = any($1::bigint[]) and common.in_period(a.closed_on, $2::int);

-- name: accounts_by_subject
-- The accounts a subject is a party to, newest first, each with the subject's role on it:
-- a joint loan appears on every borrower's list. Each account comes whole (the columns of
-- accounts_by_id) with what a report shows of it: its lender (`lender`, the row of
-- institutions_by_id), its parties (`parties`, the rows of parties_by_account) and its
-- repayment months (`months`, the rows of repayments_by_account), each list in the order
-- of its own statement. So a subject's accounts are one statement, not four. Under a data
-- period of $2 months (null: none), an account closed before it is not on the list.
select p.subject_id, p.role, a.id, a.lender_id, a.account_number, a.kind, a.purpose,
       a.currency, a.principal, a.credit_limit, a.balance, a.term_months, a.repayment_method,
       a.collateral, a.opened_on, a.matures_on, a.closed_on, a.status, a.classification,
       a.reported_on, l as lender,
       array(select ap from bureau.account_parties ap
             where ap.account_id = a.id
             order by ap.role desc, ap.subject_id) as parties,
       array(select r from bureau.repayments r
             where r.account_id = a.id
               and bureau.month_shown(r.account_id, r.month, r.status, a.closed_on,
                                      common.today())
             order by r.month desc) as months
from bureau.account_parties p
join bureau.credit_accounts a on a.id = p.account_id
join bureau.institutions l on l.id = a.lender_id
where p.subject_id = any($1::bigint[]) and common.in_period(a.closed_on, $2::int)
order by p.subject_id, a.opened_on desc, a.id desc;

-- name: parties_by_account
select account_id, subject_id, role
from bureau.account_parties
where account_id = any($1::bigint[])
order by account_id, role desc, subject_id;

-- name: repayments_by_account
-- Every month on the reports today: a negative month leaves five years after the behaviour
-- it records ended (migration 0013), by the one clock, read from the account's own rows.
select r.account_id, r.month, r.status, r.amount_due, r.amount_paid, r.overdue_amount,
       r.balance
from bureau.repayments r
join bureau.credit_accounts a on a.id = r.account_id
where r.account_id = any($1::bigint[])
  and bureau.month_shown(r.account_id, r.month, r.status, a.closed_on, common.today())
order by r.account_id, r.month desc;

-- name: guarantees_by_id
-- Under a data period of $2 months (null: none), a guarantee released or called before it
-- is not answered (nor by the two statements below); an active one is.
select id, guarantor_id, account_id, contract_number, kind, amount, currency, starts_on,
       ends_on, status
from bureau.guarantees
where id = any($1::bigint[])
  and common.in_period(case when status <> 'ACTIVE' then ends_on end, $2::int);

-- name: guarantees_by_guarantor
-- Each guarantee whole (the columns of guarantees_by_id), so a list of guarantees is one
-- statement, not a list of ids and then the guarantees.
select id, guarantor_id, account_id, contract_number, kind, amount, currency, starts_on,
       ends_on, status
from bureau.guarantees
where guarantor_id = any($1::bigint[])
  and common.in_period(case when status <> 'ACTIVE' then ends_on end, $2::int)
order by guarantor_id, starts_on desc, id desc;

-- name: guarantees_by_account
-- As guarantees_by_guarantor, for the accounts guaranteed.
select id, guarantor_id, account_id, contract_number, kind, amount, currency, starts_on,
       ends_on, status
from bureau.guarantees
where account_id = any($1::bigint[])
  and common.in_period(case when status <> 'ACTIVE' then ends_on end, $2::int)
order by account_id, starts_on desc, id desc;

-- name: credit_summaries
-- What each subject's credit summary is derived from, in one statement: one row of the
-- view the scorecard reads too per account the subject is party to (`facts`); its hard
-- inquiries (credit decisions by lenders) in the last six months, as they count: one per
-- grant however often its lender looked (gateway migration 0009), read from an index
-- window, so the cost never grows with looks; and its active guarantees, counted and
-- summed. Under a data period of $2 months (null: none) an account closed before it is no
-- account of the requester's (common.in_period): it is neither counted nor read for a
-- signal (none of the signals' windows reaches back past the period it is shown under).
select s.id as subject_id,
       array(select f from bureau.account_signals f
             join bureau.account_parties p on p.account_id = f.account_id
             join bureau.credit_accounts a on a.id = f.account_id
             where p.subject_id = s.id and common.in_period(a.closed_on, $2::int)
             order by f.account_id) as facts,
       (select count(c.inquiry_id) from gateway.counted_inquiry_record c
        where c.subject_identifier = s.identifier
          and c.inquired_at > now() - interval '6 months') as hard_inquiries,
       g.active_guarantees, g.guaranteed_amount
from bureau.subjects s
cross join lateral (
    select count(*) as active_guarantees, coalesce(sum(amount), 0) as guaranteed_amount
    from bureau.guarantees
    where guarantor_id = s.id and status = 'ACTIVE') g
where s.id = any($1::bigint[]);

-- name: inquiry_pages
-- One page of inquiries per (subject $1, size $2, after look $3 or null), newest
-- first: at most size + 1 rows, the one past the page telling that there is a
-- next, read from the index on (subject, time), never the whole list. Each key
-- gets at least one row: `found` false when its cursor's look is not on the
-- subject's list, and `id` null when the page is empty; `looks` is the list's
-- length, from the tally the gateway keeps. Under a data period of $4 months (null: none)
-- a look made before it is neither on the list nor counted in its length.
select k.ord, k.after_id is null or a.id is not null as found,
       case when $4::int is null then coalesce(t.looks, 0)
            else (select count(*) from gateway.inquiry_record c
                  where c.subject_identifier = k.identifier
                    and common.in_period(c.inquired_at::date, $4::int)) end as looks,
       i.id, i.requester_role, i.requester_code, i.requester_name, i.operator, i.purpose,
       i.edition, i.grant_id, i.inquired_at, i.hard, i.counted, i.answer_id
from unnest($1::text[], $2::int[], $3::bigint[]) with ordinality
     as k(identifier, size, after_id, ord)
left join gateway.inquiry_record a on a.id = k.after_id and a.subject_identifier = k.identifier
left join gateway.inquiry_tally t on t.subject_identifier = k.identifier
left join lateral (
    select *
    from gateway.inquiry_record r
    where r.subject_identifier = k.identifier
      and (k.after_id is null or (r.inquired_at, r.id) < (a.inquired_at, a.id))
      and common.in_period(r.inquired_at::date, $4::int)
    order by r.inquired_at desc, r.id desc
    limit k.size + 1
) i on true
order by k.ord, i.inquired_at desc, i.id desc;

-- name: disputes_by_subject
-- with the correction that answered a CORRECTED dispute, when the answer named one
select d.subject_id, d.id, d.record_type, d.record_id, d.reason, d.filed_at, d.respond_by,
       d.status, d.outcome, d.resolution, d.resolved_at, l.correction_id
from bureau.disputes d
left join furnishing.dispute_corrections l on l.dispute_id = d.id
where d.subject_id = any($1::bigint[]) and common.in_period(d.resolved_at::date, $2::int)
order by d.subject_id, d.filed_at desc, d.id desc;

-- name: statements_by_subject
select subject_id, id, text, added_at, withdrawn_at
from bureau.statements
where subject_id = any($1::bigint[]) and common.in_period(withdrawn_at::date, $2::int)
order by subject_id, added_at desc, id desc;

-- name: corrections_by_subject
-- A corrected statement is shown as a correction of its account, with the month.
select s.identifier as subject, c.id,
       case c.record_type when 'REPAYMENT' then 'CREDIT_ACCOUNT' else c.record_type end
           as record_type,
       c.record_id, c.period, c.furnisher, i.name as furnisher_name, c.corrected_at,
       c.changes::text as changes
from unnest($1::text[]) s(identifier)
join furnishing.corrections c on c.subject_identifiers @> array[s.identifier]
left join bureau.institutions i on i.code = c.furnisher
where furnishing.still_shown(c.record_type, c.record_id, c.period)
order by s.identifier, c.corrected_at desc, c.id desc;

-- name: corrections_by_id
-- the corrections answering disputes, as corrections_by_subject shows them
select c.id,
       case c.record_type when 'REPAYMENT' then 'CREDIT_ACCOUNT' else c.record_type end
           as record_type,
       c.record_id, c.period, c.furnisher, i.name as furnisher_name, c.corrected_at,
       c.changes::text as changes
from furnishing.corrections c
left join bureau.institutions i on i.code = c.furnisher
where c.id = any($1::bigint[]) and furnishing.still_shown(c.record_type, c.record_id, c.period);

-- name: negative_notices_by_subject
-- When each furnisher says it told the subject of negative information before reporting it;
-- a statement's notice names its account and month, as a correction does.
select s.identifier as subject,
       case n.record_type when 'REPAYMENT' then 'CREDIT_ACCOUNT' else n.record_type end
           as record_type,
       n.record_id, nullif(n.period, '-infinity') as period, n.notified_on, n.furnisher,
       i.name as furnisher_name
from unnest($1::text[]) s(identifier)
join furnishing.negative_notices n on n.subject_identifiers @> array[s.identifier]
left join bureau.institutions i on i.code = n.furnisher
where furnishing.still_shown(n.record_type, n.record_id, nullif(n.period, '-infinity'))
order by s.identifier, n.notified_on desc, n.record_type, n.record_id, n.period desc;

-- name: fraud_alerts_by_subject
select subject_id, id, kind, contact_phone, note, placed_at, expires_at, lifted_at
from bureau.fraud_alerts
where subject_id = any($1::bigint[])
  and common.in_period(least(lifted_at, expires_at)::date, $2::int)
order by subject_id, placed_at desc, id desc;

-- name: dispute_marks
-- The marks of records under dispute, from the view the public subgraph reads
-- too; $1 and $2 are the records' kinds and ids, pairwise.
-- (lateral, so each record is looked up by the disputes_by_record index).
select m.record_type, m.record_id, m.status, m.filed_at, m.respond_by
from unnest($1::text[], $2::text[]) as asked(record_type, record_id)
cross join lateral (
    select * from bureau.dispute_marks d
    where d.record_type = asked.record_type and d.record_id = asked.record_id
) m;

-- name: guarantee_chains
-- Every path of active guarantees that starts at one of the subjects in $1,
-- up to $2 links long. A link runs from a guarantor to the primary borrower
-- of the account guaranteed; each step follows the guarantor index, so the
-- walk touches only the chains it is on. A path that returns to a subject
-- already on it is a circle (担保圈) and is not followed further.
with recursive chain as (
    select g.guarantor_id as root_id, g.id as guarantee_id, g.guarantor_id,
           p.subject_id as borrower_id, g.account_id, g.amount, 1 as depth,
           array[g.guarantor_id, p.subject_id] as path,
           p.subject_id = g.guarantor_id as closes_circle
    from bureau.guarantees g
    join bureau.account_parties p on p.account_id = g.account_id and p.role = 'PRIMARY_BORROWER'
    where g.guarantor_id = any($1::bigint[]) and g.status = 'ACTIVE'
    union all
    select c.root_id, g.id, g.guarantor_id, p.subject_id, g.account_id, g.amount, c.depth + 1,
           c.path || p.subject_id, p.subject_id = any(c.path)
    from chain c
    join bureau.guarantees g on g.guarantor_id = c.borrower_id and g.status = 'ACTIVE'
    join bureau.account_parties p on p.account_id = g.account_id and p.role = 'PRIMARY_BORROWER'
    where not c.closes_circle and c.depth < $2
)
select root_id, guarantee_id, guarantor_id, borrower_id, account_id, amount, depth, path,
       closes_circle,
       -- a path cut by the depth bound whose end still guarantees someone
       (depth = $2 and not closes_circle and exists (
           select 1 from bureau.guarantees g
           where g.guarantor_id = chain.borrower_id and g.status = 'ACTIVE')) as cut_short
from chain
order by root_id, depth, guarantee_id;
