-- A score that counted negative information is not shown once that information has aged
-- out: shown_until is the first day one of the negative records the observation counted
-- leaves the reports (null: it counted none that will). The reads compare it with
-- common.today(), so the observation leaves on that day without anything having to run, and
-- the subject's latest score is then their latest observation still shown.
alter table scores.observations add column shown_until date;
