-- Which lender had an account with which subject, and when: what the public
-- component reads to know which institutions receive a notice of a list entry's
-- joint measures (measures/notices.py), as a view, so it never reaches into the
-- bureau's tables. One row per account and borrower; closed_on is null while
-- the account is open.
create view bureau.lending_periods as
select s.identifier as subject_identifier, i.code as lender_code, i.name as lender_name,
       a.opened_on, a.closed_on
from bureau.account_parties p
join bureau.credit_accounts a on a.id = p.account_id
join bureau.institutions i on i.id = a.lender_id
join bureau.subjects s on s.id = p.subject_id;
