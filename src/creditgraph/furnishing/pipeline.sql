-- Furnishing, set-based: each part of a batch is copied into the staging tables of its
-- transaction (open_staging), checked there as one set, and merged into the bureau's and the public records'
-- tables in a few statements. A line is rejected with (line, field, reason) rows in
-- furnish_rejects; a line that passes every check gets one outcome in furnish_outcomes
-- (ACCEPTED: new, CORRECTED: changed, UNCHANGED: the same record again), and whether the
-- change is one the bureau score reads (`rescore`: its subjects are rescored at once).

-- name: open_staging
-- This transaction's staging tables, in a schema of its own first on its search path
-- (migration furnishing/0006); every statement below names them unqualified.
select schema_name, previous_path from furnishing.open_staging();

-- name: close_staging
select furnishing.close_staging($1, $2);

-- name: part_limits
select set_config('statement_timeout', $1, true);

-- name: clear_staging
truncate furnish_raw, furnish_docs, furnish_rejects, furnish_outcomes, furnish_statements,
    furnish_accounts, furnish_public;

-- name: institution
select id, kind, name from bureau.institutions where code = $1;

-- name: open_submission
insert into furnishing.submissions (furnisher, operator, request_id, channel, all_or_nothing)
values ($1, $2, $3, $4, $5)
returning id;

-- name: count_submission
update furnishing.submissions
set lines = lines + $2, accepted = accepted + $3, unchanged = unchanged + $4,
    corrected = corrected + $5, rejected = rejected + $6
where id = $1;

-- name: parse
-- $1: every record kind; $2: the kinds this furnisher may report; $3: whether every line
-- that is not empty is known to be JSON the database takes (sources.py checks as it reads:
-- then each line is parsed once, not twice).
-- Every line is kept with its parsed document; `kind` only for a line that is an object
-- naming a kind this furnisher reports, which is all the checks after this one read
-- (parse_rejects answers the others). One pass, one parse, nothing held twice.
insert into furnish_docs (line, kind, doc)
select line,
       case when jsonb_typeof(doc) = 'object' and jsonb_typeof(doc->'kind') = 'string'
                 and (doc->>'kind') = any($1::text[]) and (doc->>'kind') = any($2::text[])
            then doc->>'kind' end,
       doc
from (select line,
             case when raw = '' then null
                  when $3 then raw::jsonb
                  when pg_input_is_valid(raw, 'jsonb') then raw::jsonb end as doc
      from furnish_raw
      offset 0) parsed; -- a fence: each line parsed once, however often doc is read above

-- name: parse_rejects
-- The lines parse left without a kind, each with its reason. $1: every record kind; $2: what
-- the furnisher is.
insert into furnish_rejects (line, field, reason)
select line, case when malformed is null then 'kind' end, coalesce(malformed, bad_kind)
from (
    select line,
           case
               when doc is null then 'not valid JSON'
               when jsonb_typeof(doc) <> 'object' then 'not a JSON object'
           end as malformed,
           case
               when jsonb_typeof(doc) <> 'object' then null
               when jsonb_typeof(doc->'kind') is distinct from 'string' then
                   'required: every record names its kind'
               when not (doc->>'kind') = any($1::text[]) then
                   format('no record kind %s (kinds: %s)', doc->>'kind', array_to_string($1::text[], ', '))
               else format('%s records are not %s %s''s to furnish', doc->>'kind',
                           case when lower($2) ~ '^[aeiou]' then 'an' else 'a' end, lower($2))
           end as bad_kind
    from furnish_docs
    where kind is null
) judged;

-- name: analyse_docs
analyze furnish_docs;

-- name: rejected_lines
select line, field, reason from furnish_rejects order by line, field nulls first;

-- name: outcome_counts
select count(*) filter (where outcome = 'ACCEPTED') as accepted,
       count(*) filter (where outcome = 'UNCHANGED') as unchanged,
       count(*) filter (where outcome = 'CORRECTED') as corrected,
       (select count(distinct line) from furnish_rejects) as rejected,
       (select array_agg(distinct s) from furnish_outcomes o2, unnest(o2.subjects) s
        where o2.outcome <> 'UNCHANGED') as touched,
       (select array_agg(distinct s) from furnish_outcomes o3, unnest(o3.subjects) s
        where o3.outcome <> 'UNCHANGED' and o3.rescore) as rescore
from furnish_outcomes;

-- name: statements_stage
-- $1: the furnisher's institution id. Typed lines with their account (the furnisher's own,
-- by number), its borrowers, the latest month on record (and its status) and what is on
-- record for the month.
insert into furnish_statements
select d.line, d.doc->>'accountNumber', to_date(d.doc->>'period', 'YYYY-MM'), d.doc->>'status',
       (d.doc->>'amountDue')::numeric(18, 2), (d.doc->>'amountPaid')::numeric(18, 2),
       (d.doc->>'overdueAmount')::numeric(18, 2), (d.doc->>'balance')::numeric(18, 2),
       (d.doc->>'subjectNotifiedOn')::date,
       min(d.line) over (partition by d.doc->>'accountNumber', d.doc->>'period'),
       a.id, a.opened_on, latest.month,
       (select array_agg(s.identifier order by p.role desc, s.identifier)
        from bureau.account_parties p join bureau.subjects s on s.id = p.subject_id
        where p.account_id = a.id),
       old.status, old.amount_due, old.amount_paid, old.overdue_amount, old.balance,
       latest.status, notice.notified_on
from furnish_docs d
left join bureau.credit_accounts a
       on a.lender_id = $1 and a.account_number = d.doc->>'accountNumber'
left join lateral (
    select r.month, r.status from bureau.repayments r
    where r.account_id = a.id order by r.month desc limit 1
) latest on true
left join bureau.repayments old
       on old.account_id = a.id and old.month = to_date(d.doc->>'period', 'YYYY-MM')
left join furnishing.negative_notices notice
       on notice.record_type = 'REPAYMENT' and notice.record_id = a.id
      and notice.period = to_date(d.doc->>'period', 'YYYY-MM')
where d.kind = 'STATEMENT'
  and not exists (select from furnish_rejects r where r.line = d.line);

-- name: analyse_statements
analyze furnish_statements;

-- name: statements_check
insert into furnish_rejects (line, field, reason)
select s.line, c.field, c.reason
from furnish_statements s
cross join lateral (values
    ('accountNumber', case when s.account_id is null then
        'no account of yours has this number: report its ACCOUNT first' end),
    ('period', case
        when s.first_line <> s.line then
            format('the same account and month are already at line %s', s.first_line)
        when s.month < date_trunc('month', s.opened_on) then 'before the account opened'
        when s.month > date_trunc('month', common.today()) then 'a month still to come' end),
    ('overdueAmount', case when (s.status ~ '^[1-7]$') <> (s.overdue_amount > 0) then
        'above zero exactly when the month is overdue (1-7)' end),
    ('subjectNotifiedOn', case when s.notified_on > common.today() then 'a day still to come' end)
) c(field, reason)
where c.reason is not null;

-- name: statements_sequence
-- Months come in sequence: a new month must follow the latest on record (or the one before it
-- in this part) with no gap. The k-th new month of an account must be k months after the
-- latest on record; an account with none starts at its first new month.
with candidates as (
    select s.line, s.month,
           coalesce(s.latest_month,
                    min(s.month) over (partition by s.account_id) - interval '1 month') as base,
           row_number() over (partition by s.account_id order by s.month) as k
    from furnish_statements s
    where s.old_status is null
      and not exists (select from furnish_rejects r where r.line = s.line)
)
insert into furnish_rejects (line, field, reason)
select line, 'period',
       format('out of sequence: the next month to report is %s',
              to_char(base + make_interval(months => k::integer), 'YYYY-MM'))
from candidates
where month <> (base + make_interval(months => k::integer))::date;

-- name: statements_merge
-- $1: the submission; $2: the furnisher's code; $3: its operator; $4: the overdue month
-- symbols as a pattern. The scorecard reads a month only as overdue or not (its runs and
-- totals), and a run's end only for when the months it counted age out, so a month is
-- rescored only when it is or was overdue, or follows an overdue month (it may end a run).
with ready as (
    select s.* from furnish_statements s
    where not exists (select from furnish_rejects r where r.line = s.line)
), inserted as (
    insert into bureau.repayments
        (account_id, month, status, amount_due, amount_paid, overdue_amount, balance)
    select account_id, month, status, amount_due, amount_paid, overdue_amount, balance
    from ready where old_status is null
    returning account_id
), changed as (
    select * from ready
    where old_status is not null
      and (status, amount_due, amount_paid, overdue_amount, balance, notified_on) is distinct from
          (old_status, old_amount_due, old_amount_paid, old_overdue_amount, old_balance,
           old_notified_on)
), updated as (
    update bureau.repayments r
    set status = c.status, amount_due = c.amount_due, amount_paid = c.amount_paid,
        overdue_amount = c.overdue_amount, balance = c.balance
    from changed c
    where r.account_id = c.account_id and r.month = c.month
    returning r.account_id
), corrections as (
    insert into furnishing.corrections
        (submission_id, furnisher, operator, record_type, record_id, period,
         subject_identifiers, changes)
    select $1, $2, $3, 'REPAYMENT', c.account_id, c.month, c.subjects,
           jsonb_strip_nulls(jsonb_build_object(
               'status', furnishing.change(c.old_status, c.status),
               'amountDue', furnishing.change(c.old_amount_due::text, c.amount_due::text),
               'amountPaid', furnishing.change(c.old_amount_paid::text, c.amount_paid::text),
               'overdueAmount', furnishing.change(c.old_overdue_amount::text, c.overdue_amount::text),
               'balance', furnishing.change(c.old_balance::text, c.balance::text),
               'subjectNotifiedOn', furnishing.change(c.old_notified_on::text, c.notified_on::text)))
    from changed c
), notices as (
    insert into furnishing.negative_notices
        (record_type, record_id, period, subject_identifiers, notified_on, furnisher, submission_id)
    select 'REPAYMENT', account_id, month, subjects, notified_on, $2, $1
    from ready where notified_on is not null
    on conflict (record_type, record_id, period) do update
        set notified_on = excluded.notified_on, submission_id = excluded.submission_id
        where negative_notices.notified_on is distinct from excluded.notified_on
), withdrawn as (
    -- a month now reported with no notice day keeps none
    delete from furnishing.negative_notices n
    using ready r
    where r.notified_on is null and r.old_notified_on is not null
      and n.record_type = 'REPAYMENT' and n.record_id = r.account_id and n.period = r.month
)
insert into furnish_outcomes (line, outcome, subjects, rescore)
select r.line,
       case when r.old_status is null then 'ACCEPTED'
            when c.line is not null then 'CORRECTED'
            else 'UNCHANGED' end,
       r.subjects,
       r.status ~ $4 or coalesce(r.old_status ~ $4 or r.latest_status ~ $4, false)
from ready r left join changed c on c.line = r.line;

-- name: accounts_stage
-- $1: the furnisher's institution id. Typed lines with the parties the bureau knows and the
-- account on record under the furnisher's number, as the record a correction compares.
insert into furnish_accounts
select d.line, d.doc->>'accountNumber', d.doc->>'accountType', d.doc->>'purpose',
       coalesce(d.doc->>'currency', 'CNY'), (d.doc->>'principal')::numeric(18, 2),
       (d.doc->>'creditLimit')::numeric(18, 2), (d.doc->>'balance')::numeric(18, 2),
       (d.doc->>'termMonths')::integer, d.doc->>'repaymentMethod',
       coalesce(d.doc->>'collateral', 'NONE'), (d.doc->>'openedOn')::date,
       (d.doc->>'maturesOn')::date, (d.doc->>'closedOn')::date, d.doc->>'status',
       d.doc->>'classification', (d.doc->>'reportedOn')::date,
       d.doc->>'borrowerIdentifier', d.doc->>'borrowerName',
       d.doc->>'coBorrowerIdentifier', d.doc->>'coBorrowerName',
       (d.doc->>'subjectNotifiedOn')::date,
       min(d.line) over (partition by d.doc->>'accountNumber'),
       b.id, cb.id, a.id,
       case when a.id is not null then furnishing.account_fields(
           a.kind, a.purpose, a.currency, a.principal, a.credit_limit, a.balance, a.term_months,
           a.repayment_method, a.collateral, a.opened_on, a.matures_on, a.closed_on, a.status,
           a.classification, a.reported_on)
           || jsonb_build_object('subjectNotifiedOn', notice.notified_on) end,
       (select s.identifier from bureau.account_parties p join bureau.subjects s on s.id = p.subject_id
        where p.account_id = a.id and p.role = 'PRIMARY_BORROWER'),
       (select min(s.identifier) from bureau.account_parties p join bureau.subjects s on s.id = p.subject_id
        where p.account_id = a.id and p.role = 'CO_BORROWER'),
       b.name, cb.name
from furnish_docs d
left join bureau.subjects b on b.identifier = d.doc->>'borrowerIdentifier'
left join bureau.subjects cb on cb.identifier = d.doc->>'coBorrowerIdentifier'
left join bureau.credit_accounts a
       on a.lender_id = $1 and a.account_number = d.doc->>'accountNumber'
left join furnishing.negative_notices notice
       on notice.record_type = 'CREDIT_ACCOUNT' and notice.record_id = a.id
      and notice.period = '-infinity'
where d.kind = 'ACCOUNT'
  and not exists (select from furnish_rejects r where r.line = d.line);

-- name: analyse_accounts
analyze furnish_accounts;

-- name: accounts_check
insert into furnish_rejects (line, field, reason)
select a.line, c.field, c.reason
from furnish_accounts a
cross join lateral (values
    ('accountNumber', case when a.first_line <> a.line then
        format('the same account is already at line %s', a.first_line) end),
    ('creditLimit', case when a.account_type in ('CREDIT_CARD', 'REVOLVING_LOAN')
                          and a.credit_limit is null then
        'required for a card or a revolving loan' end),
    ('principal', case when a.account_type not in ('CREDIT_CARD', 'REVOLVING_LOAN')
                        and a.principal is null then 'required for a loan' end),
    ('principal', case when a.principal = 0 then 'above zero' end),
    ('creditLimit', case when a.credit_limit = 0 then 'above zero' end),
    ('termMonths', case when a.account_type not in ('CREDIT_CARD', 'REVOLVING_LOAN')
                         and a.term_months is null then 'required for a loan' end),
    ('purpose', case when a.account_type = 'SPECIAL_INSTALMENT'
                      and coalesce(a.purpose, '') not in ('CAR', 'CAR_PARK', 'RENOVATION', 'EDUCATION') then
        'a special instalment is for CAR, CAR_PARK, RENOVATION or EDUCATION' end),
    ('closedOn', case when (a.status = 'CLOSED') <> (a.closed_on is not null) then
        'given exactly when the status is CLOSED' end),
    ('balance', case when a.status = 'CLOSED' and a.balance <> 0 then
        'a closed account owes nothing: 0' end),
    ('maturesOn', case when a.matures_on <= a.opened_on then 'after openedOn' end),
    ('reportedOn', case when a.reported_on > common.today() then 'a day still to come' end),
    ('openedOn', case when a.opened_on > common.today() then 'a day still to come' end),
    ('subjectNotifiedOn', case when a.notified_on > common.today() then 'a day still to come' end),
    ('borrowerName', case
        when a.borrower_id is null and a.borrower_name is null then
            'required: the bureau does not know this borrower yet'
        when a.borrower_name <> a.known_borrower_name then
            'not the name the bureau holds for this borrower: give it only for a borrower it does not know' end),
    ('coBorrowerName', case
        when a.co_borrower is null and a.co_borrower_name is not null then
            'given only with coBorrowerIdentifier'
        when a.co_borrower is not null and a.co_borrower_id is null and a.co_borrower_name is null then
            'required: the bureau does not know this co-borrower yet'
        when a.co_borrower_name <> a.known_co_borrower_name then
            'not the name the bureau holds for this co-borrower: give it only for one it does not know' end),
    ('coBorrowerIdentifier', case
        when a.co_borrower = a.borrower then 'the borrower cannot also be the co-borrower'
        when a.account_id is not null and a.co_borrower is distinct from a.old_co_borrower then
            'an account''s parties do not change: close it and report a new account' end),
    ('borrowerIdentifier', case when a.account_id is not null and a.borrower <> a.old_borrower then
        'an account''s parties do not change: close it and report a new account' end)
) c(field, reason)
where c.reason is not null;

-- name: accounts_merge
-- $1: the submission; $2: the furnisher's code; $3: its operator; $4: its institution id
with ready as (
    select a.*, furnishing.account_fields(
               a.account_type, a.purpose, a.currency, a.principal, a.credit_limit, a.balance,
               a.term_months, a.repayment_method, a.collateral, a.opened_on, a.matures_on,
               a.closed_on, a.status, a.classification, a.reported_on)
           || jsonb_build_object('subjectNotifiedOn', a.notified_on) as new
    from furnish_accounts a
    where not exists (select from furnish_rejects r where r.line = a.line)
), people as (
    -- parties the bureau does not know yet, created from their identity data
    insert into bureau.subjects (kind, identifier, name, birth_date, gender)
    select distinct on (identifier)
           case when common.is_resident_id(identifier) then 'PERSON' else 'ORGANISATION' end,
           identifier, name, common.resident_id_birth_date(identifier),
           case when common.is_resident_id(identifier) then
               case substr(identifier, 17, 1)::int % 2 when 1 then 'M' else 'F' end end
    from (select borrower as identifier, borrower_name as name, line from ready where borrower_id is null
          union all
          select co_borrower, co_borrower_name, line from ready
          where co_borrower is not null and co_borrower_id is null) p
    order by identifier, line
    returning id, identifier
), opened as (
    insert into bureau.credit_accounts
        (lender_id, account_number, kind, purpose, currency, principal, credit_limit, balance,
         term_months, repayment_method, collateral, opened_on, matures_on, closed_on, status,
         classification, reported_on)
    select $4, account_number, account_type, purpose, currency, principal, credit_limit, balance,
           term_months, repayment_method, collateral, opened_on, matures_on, closed_on, status,
           classification, reported_on
    from ready where account_id is null
    returning id, account_number
), parties as (
    insert into bureau.account_parties (account_id, subject_id, role)
    select o.id, coalesce(r.borrower_id, p.id), 'PRIMARY_BORROWER'
    from opened o join ready r on r.account_number = o.account_number and r.account_id is null
    left join people p on p.identifier = r.borrower
    union all
    select o.id, coalesce(r.co_borrower_id, p.id), 'CO_BORROWER'
    from opened o join ready r on r.account_number = o.account_number and r.account_id is null
    left join people p on p.identifier = r.co_borrower
    where r.co_borrower is not null
), changed as (
    select * from ready where account_id is not null and new is distinct from old
), updated as (
    update bureau.credit_accounts t
    set kind = c.account_type, purpose = c.purpose, currency = c.currency,
        principal = c.principal, credit_limit = c.credit_limit, balance = c.balance,
        term_months = c.term_months, repayment_method = c.repayment_method,
        collateral = c.collateral, opened_on = c.opened_on, matures_on = c.matures_on,
        closed_on = c.closed_on, status = c.status, classification = c.classification,
        reported_on = c.reported_on
    from changed c where t.id = c.account_id
    returning t.id
), corrections as (
    insert into furnishing.corrections
        (submission_id, furnisher, operator, record_type, record_id, subject_identifiers, changes)
    select $1, $2, $3, 'CREDIT_ACCOUNT', c.account_id,
           array_remove(array[c.borrower, c.co_borrower], null),
           furnishing.changes(c.old, c.new)
    from changed c
), notices as (
    insert into furnishing.negative_notices
        (record_type, record_id, subject_identifiers, notified_on, furnisher, submission_id)
    select 'CREDIT_ACCOUNT', coalesce(r.account_id, o.id),
           array_remove(array[r.borrower, r.co_borrower], null), r.notified_on, $2, $1
    from ready r left join opened o on o.account_number = r.account_number and r.account_id is null
    where r.notified_on is not null
    on conflict (record_type, record_id, period) do update
        set notified_on = excluded.notified_on, submission_id = excluded.submission_id
        where negative_notices.notified_on is distinct from excluded.notified_on
), withdrawn as (
    -- an account now reported with no notice day keeps none
    delete from furnishing.negative_notices n
    using ready r
    where r.notified_on is null and r.account_id is not null
      and n.record_type = 'CREDIT_ACCOUNT' and n.record_id = r.account_id
      and n.period = '-infinity'
)
insert into furnish_outcomes (line, outcome, subjects)
select r.line,
       case when r.account_id is null then 'ACCEPTED'
            when r.new is distinct from r.old then 'CORRECTED'
            else 'UNCHANGED' end,
       array_remove(array[r.borrower, r.co_borrower], null)
from ready r;

-- name: public_stage
-- $1: the furnisher's code; $2: its name; $3: the public kinds it reports; $4: per kind, its
-- table's columns (public_book).
-- Each record's fields under its table's column names (absent ones null: a record reported
-- again replaces the one on file), the furnisher's code and name added, and the record the
-- furnisher reported before under the same key.
insert into furnish_public (line, kind, key, subject, notified_on, first_line, record_id, fields)
select d.line, d.kind, d.doc->>'key', d.doc->>'subjectIdentifier',
       (d.doc->>'subjectNotifiedOn')::date,
       min(d.line) over (partition by d.kind, d.doc->>'key'),
       r.record_id,
       (select jsonb_object_agg(c.value, coalesce(d.doc->c.key, 'null'))
        from jsonb_each_text($4::jsonb->d.kind->'columns') c)
       || jsonb_build_object($4::jsonb->d.kind->'furnisherColumns'->>'code', $1::text,
                             $4::jsonb->d.kind->'furnisherColumns'->>'name', $2::text)
from furnish_docs d
left join furnishing.record_keys r
       on r.furnisher = $1 and r.kind = d.kind and r.key = d.doc->>'key'
where d.kind = any($3::text[])
  and not exists (select from furnish_rejects x where x.line = d.line);

-- name: public_check
insert into furnish_rejects (line, field, reason)
select line, 'key', format('the same key is already at line %s', first_line)
from furnish_public
where first_line <> line
union all
select line, 'subjectNotifiedOn', 'a day still to come'
from furnish_public
where notified_on > common.today();

-- name: public_merge
select furnishing.merge_public($1::jsonb, $2, $3, $4);
