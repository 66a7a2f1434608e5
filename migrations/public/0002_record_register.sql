-- Every public record by the identifier of the subject whose report shows it,
-- as a view: the bureau reads it to check that a subject disputes a record of
-- their own, without reaching into these tables. A consumption restriction
-- on an organisation also shows on the report of the person it binds.

create view public_records.record_register as
select 'ENFORCEMENT_CASE'::text as record_type, id as record_id, subject_identifier
from public_records.enforcement_cases
union all
select 'DISHONEST_LISTING', id, subject_identifier from public_records.dishonest_listings
union all
select 'CONSUMPTION_RESTRICTION', id, subject_identifier
from public_records.consumption_restrictions
union all
select 'CONSUMPTION_RESTRICTION', id, restricted_person_identifier
from public_records.consumption_restrictions
where restricted_person_identifier is not null
union all
select 'ADMINISTRATIVE_ACTION', id, subject_identifier from public_records.administrative_actions
union all
select 'TAX_ARREAR', id, subject_identifier from public_records.tax_arrears
union all
select 'LIST_ENTRY', id, subject_identifier from public_records.list_entries
union all
select 'CIVIL_JUDGMENT', id, subject_identifier from public_records.civil_judgments
union all
select 'UTILITY_ARREAR', id, subject_identifier from public_records.utility_arrears
union all
select 'SOCIAL_INSURANCE', id, subject_identifier from public_records.social_insurance
union all
select 'HOUSING_FUND', id, subject_identifier from public_records.housing_fund
union all
select 'LICENCE', id, subject_identifier from public_records.licences;
