-- The identity section can be disputed record by record, like the rest of the
-- report: a phone number, an address, an employer, an education or a marriage
-- the subject says is wrong is the commonest dispute there is. Each is named
-- by its own kind, since their ids are unique only within their own table
-- ('IDENTITY' stays allowed for any row already stored under it).
alter table bureau.disputes drop constraint disputes_record_type_check;
alter table bureau.disputes add constraint disputes_record_type_check check (record_type in
    ('IDENTITY', 'PHONE', 'ADDRESS', 'EMPLOYMENT', 'EDUCATION', 'MARRIAGE',
     'CREDIT_ACCOUNT', 'REPAYMENT', 'GUARANTEE', 'INQUIRY',
     'ENFORCEMENT_CASE', 'DISHONEST_LISTING', 'CONSUMPTION_RESTRICTION',
     'ADMINISTRATIVE_ACTION', 'TAX_ARREAR', 'LIST_ENTRY', 'CIVIL_JUDGMENT',
     'UTILITY_ARREAR', 'SOCIAL_INSURANCE', 'HOUSING_FUND', 'LICENCE', 'SCORE'));
