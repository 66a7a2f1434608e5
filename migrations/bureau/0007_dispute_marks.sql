-- Disputes filed through the product: every record type a report shows can
-- be disputed, a subject has at most one open dispute per record, and the
-- mark a disputed record carries is published as a view for every component
-- that shows records (the public subgraph shows court and agency records).

alter table bureau.disputes drop constraint disputes_record_type_check;
alter table bureau.disputes add constraint disputes_record_type_check check (record_type in
    ('IDENTITY', 'CREDIT_ACCOUNT', 'REPAYMENT', 'GUARANTEE', 'INQUIRY',
     'ENFORCEMENT_CASE', 'DISHONEST_LISTING', 'CONSUMPTION_RESTRICTION',
     'ADMINISTRATIVE_ACTION', 'TAX_ARREAR', 'LIST_ENTRY', 'CIVIL_JUDGMENT',
     'UTILITY_ARREAR', 'SOCIAL_INSURANCE', 'HOUSING_FUND', 'LICENCE', 'SCORE'));

-- a second open dispute by the same subject on the same record is refused
create unique index disputes_one_open_per_record
    on bureau.disputes (subject_id, record_type, record_id) where status = 'OPEN';

-- The mark on a record under dispute: while any dispute on it is open, the
-- earliest of them (its deadline comes first). Not the reason: that is the
-- subject's own words, shown only where the dispute itself is.
create view bureau.dispute_marks as
select distinct on (record_type, record_id)
       record_type, record_id, status, filed_at, respond_by
from bureau.disputes
where status = 'OPEN'
order by record_type, record_id, filed_at, id;
