-- The data source's answer to a dispute, recorded by the bureau's operator
-- (`creditgraph disputes answer`). A record the data source verified and kept
-- stays marked, "kept with the dispute noted", as a corrected or removed one
-- does not. The mark is the earliest open dispute on the record or, when none
-- is open, the latest answer, if that answer kept it. The view keeps its
-- columns; status is OPEN or KEPT_WITH_NOTE.
create or replace view bureau.dispute_marks as
select record_type, record_id,
       case when status = 'OPEN' then 'OPEN' else outcome end as status,
       filed_at, respond_by
from (
    select distinct on (record_type, record_id) *
    from bureau.disputes
    where status in ('OPEN', 'RESOLVED')
    order by record_type, record_id,
             status <> 'OPEN',                              -- an open dispute first,
             case when status = 'OPEN' then filed_at end,   -- the earliest of them,
             resolved_at desc,                              -- else the latest answer
             id
) speaking
where status = 'OPEN' or outcome = 'KEPT_WITH_NOTE';

-- what the data source said, as the subject reads it in me.disputes
alter table bureau.disputes add constraint disputes_resolution_length
    check (resolution is null or length(btrim(resolution)) between 1 and 2000);
