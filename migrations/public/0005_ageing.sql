-- Negative public records age out: each table keeps the day its record leaves the reports,
-- five years after the behaviour it records ended (common.ages_out_on), as a stored column
-- the reads compare with common.today(). Null: not ended, or not negative, so it stays.
--   enforcement case        ended when the case was concluded or terminated (closed_on)
--   dishonest listing       ended when the listing was removed (removed_on)
--   consumption restriction ended when the order was lifted (lifted_on)
--   penalty                 ended when it was decided (decided_on): the violation it punishes
--                           was over by then; an award is not negative and stays
--   tax arrear              ended when it was settled (settled_on)
--   black list entry        ended when the entry exited (exited_on); a red one stays
--   civil judgment          ended when it was judged (judged_on)
--   utility arrear          ended when it was settled (settled_on)
alter table public_records.enforcement_cases
    add column ages_out_on date generated always as (common.ages_out_on(closed_on)) stored;
alter table public_records.dishonest_listings
    add column ages_out_on date generated always as (common.ages_out_on(removed_on)) stored;
alter table public_records.consumption_restrictions
    add column ages_out_on date generated always as (common.ages_out_on(lifted_on)) stored;
alter table public_records.administrative_actions
    add column ages_out_on date generated always as
        (case when kind = 'PENALTY' then common.ages_out_on(decided_on) end) stored;
alter table public_records.tax_arrears
    add column ages_out_on date generated always as (common.ages_out_on(settled_on)) stored;
alter table public_records.list_entries
    add column ages_out_on date generated always as
        (case when colour = 'BLACK' then common.ages_out_on(exited_on) end) stored;
alter table public_records.civil_judgments
    add column ages_out_on date generated always as (common.ages_out_on(judged_on)) stored;
alter table public_records.utility_arrears
    add column ages_out_on date generated always as (common.ages_out_on(settled_on)) stored;

-- A record that has aged out is no longer on anyone's report, so it is no record of theirs to
-- dispute either.
create or replace view public_records.record_register as
select 'ENFORCEMENT_CASE'::text as record_type, id as record_id, subject_identifier
from public_records.enforcement_cases
where ages_out_on is null or ages_out_on > common.today()
union all
select 'DISHONEST_LISTING', id, subject_identifier from public_records.dishonest_listings
where ages_out_on is null or ages_out_on > common.today()
union all
select 'CONSUMPTION_RESTRICTION', id, subject_identifier
from public_records.consumption_restrictions
where ages_out_on is null or ages_out_on > common.today()
union all
select 'CONSUMPTION_RESTRICTION', id, restricted_person_identifier
from public_records.consumption_restrictions
where restricted_person_identifier is not null
  and (ages_out_on is null or ages_out_on > common.today())
union all
select 'ADMINISTRATIVE_ACTION', id, subject_identifier from public_records.administrative_actions
where ages_out_on is null or ages_out_on > common.today()
union all
select 'TAX_ARREAR', id, subject_identifier from public_records.tax_arrears
where ages_out_on is null or ages_out_on > common.today()
union all
select 'LIST_ENTRY', id, subject_identifier from public_records.list_entries
where ages_out_on is null or ages_out_on > common.today()
union all
select 'CIVIL_JUDGMENT', id, subject_identifier from public_records.civil_judgments
where ages_out_on is null or ages_out_on > common.today()
union all
select 'UTILITY_ARREAR', id, subject_identifier from public_records.utility_arrears
where ages_out_on is null or ages_out_on > common.today()
union all
select 'SOCIAL_INSURANCE', id, subject_identifier from public_records.social_insurance
union all
select 'HOUSING_FUND', id, subject_identifier from public_records.housing_fund
union all
select 'LICENCE', id, subject_identifier from public_records.licences;
