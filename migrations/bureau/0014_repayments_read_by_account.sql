-- Repayment records are read an account at a time, through the primary key (a report's
-- accounts, a few dozen months each), never scanned whole by the product. With a hundred
-- million of them (a million subjects) the planner, whose sample holds few of any account's
-- months, takes each account to have over a thousand and plans a parallel scan for a report's
-- handful of accounts: starting its workers cost 7 ms a report, against 1 ms read through
-- the key alone. No parallel workers for this table, whatever its size.
alter table bureau.repayments set (parallel_workers = 0);
