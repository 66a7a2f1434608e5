-- A dispute answered CORRECTED names the furnisher's correction that answered it
-- (`creditgraph disputes answer ID --outcome CORRECTED --correction N`), so the subject reads
-- what changed beside the answer. The correction is of the disputed record (a corrected month
-- of a disputed account counts as the account's) and was made after the dispute was filed; the
-- answer and its link are written in one transaction (bureau/answers.py).
create table furnishing.dispute_corrections (
    dispute_id     bigint primary key references bureau.disputes (id),
    correction_id  bigint not null references furnishing.corrections (id)
);
create index dispute_corrections_by_correction on furnishing.dispute_corrections (correction_id);
