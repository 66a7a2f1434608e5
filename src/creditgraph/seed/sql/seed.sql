-- name: subject_count
select count(*) from bureau.subjects

-- name: prepare_bulk_load
-- Everything the seed writes, emptied (not the audit log, append-only by design, nor the
-- migration ledger): emptied in the seed's transaction, the tables may be copied into
-- FREEZE. The triggers that keep the counted inquiries and tallies as looks are recorded one
-- by one, and tell open portals of each new look, are paused: derive_inquiry_tables does
-- their work for the whole load at once, and loading demo data is no look at anyone's report.
-- Index builds get the memory to sort a large table at once, and the joins that check each
-- foreign key over a whole table the memory to hash the table it points to. The repayment
-- records' primary key, the largest build, may sort with parallel workers: the table's
-- "no parallel workers" (migration bureau/0014, for the product's reads) is lifted for the
-- load and put back by derive_inquiry_tables, in this same transaction.
set local maintenance_work_mem = '512MB';
set local work_mem = '256MB';
alter table bureau.repayments reset (parallel_workers);
alter table gateway.inquiries disable trigger count_inquiry, disable trigger inquiries_live_notice;
truncate
    bureau.institutions, bureau.subjects, bureau.organisation_principals, bureau.phones,
    bureau.addresses, bureau.employments, bureau.educations, bureau.marriages,
    bureau.marriage_partners, bureau.credit_accounts, bureau.account_parties,
    bureau.repayments, bureau.guarantees, bureau.disputes, bureau.statements,
    bureau.fraud_alerts, furnishing.dispute_corrections,
    public_records.enforcement_cases, public_records.dishonest_listings,
    public_records.consumption_restrictions, public_records.administrative_actions,
    public_records.tax_arrears, public_records.list_entries, public_records.civil_judgments,
    public_records.utility_arrears, public_records.social_insurance, public_records.housing_fund,
    public_records.licences, public_records.list_objections,
    public_records.repair_applications, public_records.notice_subscriptions,
    scores.models, scores.bands, scores.observations, scores.reasons, scores.dimensions,
    scores.dimension_reasons,
    gateway.requesters, gateway.consent_grants, gateway.mandates, gateway.inquiries,
    gateway.counted_inquiries, gateway.inquiry_tallies, gateway.eligibility_shares,
    gateway.eligibility_answers
restart identity;

-- name: keys_of_seeded_tables
-- The keys, unique and exclusion constraints, indexes and foreign keys of the tables $1
-- names, and the foreign keys into them, each as the statement that drops it and the one
-- that makes it again, in the order to drop them (foreign keys first, then the constraints
-- they lean on, then plain indexes): the seed loads without them and builds them after.
with seeded as (
    select c.oid
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname || '.' || c.relname = any($1::text[])
), keys as (
    select 1 as phase, con.conrelid::regclass::text as relation, con.conname::text as name,
           format('alter table %s drop constraint %I', con.conrelid::regclass, con.conname)
               as drop_statement,
           format('alter table %s add constraint %I %s',
                  con.conrelid::regclass, con.conname, pg_get_constraintdef(con.oid))
               as create_statement
    from pg_constraint con
    where con.contype = 'f'
      and (con.conrelid in (select oid from seeded) or con.confrelid in (select oid from seeded))
  union all
    select 2, con.conrelid::regclass::text, con.conname::text,
           format('alter table %s drop constraint %I', con.conrelid::regclass, con.conname),
           format('alter table %s add constraint %I %s',
                  con.conrelid::regclass, con.conname, pg_get_constraintdef(con.oid))
    from pg_constraint con
    where con.contype in ('p', 'u', 'x') and con.conrelid in (select oid from seeded)
  union all
    select 3, i.indrelid::regclass::text, i.indexrelid::regclass::text,
           format('drop index %s', i.indexrelid::regclass),
           pg_get_indexdef(i.indexrelid)
    from pg_index i
    where i.indrelid in (select oid from seeded)
      and not exists (
          select from pg_constraint con
          where con.conindid = i.indexrelid and con.contype in ('p', 'u', 'x')
      )
)
select drop_statement, create_statement from keys order by phase, relation, name

-- name: origination_grants
-- The authorisation each party of a seeded credit gave its lender when the credit was made,
-- which is what opens post-loan management to the lender (gateway.post_loan_lending): a
-- borrower's for the purpose the credit was applied for, a guarantor's GUARANTEE_CHECK,
-- recorded by the lender at 09:00 on the day the credit began (the account's opening, the
-- guarantee's start), confirmed by the subject at once, and live for 90 days as an
-- application's is. Made for every seeded credit at once from the loaded tables, closed
-- ones too (the authorisation was given whatever became of the credit), with ids and
-- evidence from the credit's own keys, so the same seed makes the same grants. No inquiry
-- goes with them: the lender's look at the application is not part of the seed's story.
insert into gateway.consent_grants
    (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition, valid_from,
     valid_until, recorded_via, recorded_by, evidence, created_at, answered_at)
select md5(c.party || ':' || c.credit_id || ':' || s.identifier)::uuid, s.identifier,
       s.identifier, r.id, c.purpose, 'BANK', c.at, c.at + interval '90 days', 'GRANTEE',
       'operator-01',
       'sha256:' || encode(sha256(convert_to(
           c.party || ':' || c.credit_id || ':' || s.identifier || ':' || i.code, 'UTF8')), 'hex'),
       c.at, c.at
from (
    select 'BORROWER' as party, a.id as credit_id, p.subject_id, a.lender_id,
           case when a.kind = 'CREDIT_CARD' then 'CREDIT_CARD_APPROVAL' else 'LOAN_APPROVAL' end
               as purpose,
           (a.opened_on + time '09:00') at time zone 'UTC' as at
    from bureau.account_parties p join bureau.credit_accounts a on a.id = p.account_id
  union all
    select 'GUARANTOR', g.id, g.guarantor_id, a.lender_id, 'GUARANTEE_CHECK',
           (g.starts_on + time '09:00') at time zone 'UTC'
    from bureau.guarantees g join bureau.credit_accounts a on a.id = g.account_id
) c
join bureau.subjects s on s.id = c.subject_id
join bureau.institutions i on i.id = c.lender_id
join gateway.requesters r on r.role = 'BANK' and r.identifier = i.code;

-- name: derive_inquiry_tables
-- What the paused triggers would have written: each subject's tally of looks, and each
-- grant's first hard look (the first recorded) as its counted one. Then the triggers again,
-- and the repayment records' setting as the product reads them.
insert into gateway.inquiry_tallies (subject_identifier, looks)
select subject_identifier, count(*) from gateway.inquiries group by subject_identifier;
insert into gateway.counted_inquiries (grant_id, inquiry_id, subject_identifier, inquired_at)
select distinct on (grant_id) grant_id, id, subject_identifier, inquired_at
from gateway.inquiries
where hard and grant_id is not null
order by grant_id, id;
alter table gateway.inquiries enable trigger count_inquiry, enable trigger inquiries_live_notice;
alter table bureau.repayments set (parallel_workers = 0);

-- name: advance_identities
-- Move every identity sequence of the seeded schemas past the ids the
-- generator assigned, so later inserts do not collide with them.
do $$
declare
    col record;
    top bigint;
begin
    for col in
        select table_schema, table_name, column_name
        from information_schema.columns
        where is_identity = 'YES'
          and table_schema in ('bureau', 'public_records', 'scores', 'gateway')
          and not (table_schema = 'gateway' and table_name = 'audit_log')
    loop
        execute format('select max(%I) from %I.%I', col.column_name, col.table_schema, col.table_name)
            into top;
        perform setval(
            pg_get_serial_sequence(format('%I.%I', col.table_schema, col.table_name), col.column_name),
            coalesce(top, 0) + 1,
            false);
    end loop;
end
$$
