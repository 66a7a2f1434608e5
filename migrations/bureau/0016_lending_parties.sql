-- Who a lender holds an open account with, as which party, and since when: what the
-- gateway reads to know whether post-loan management rests on an authorisation the
-- subject gave when the credit was made (gateway.post_loan_lending). One row per open
-- account and party, so the gateway can match each to the authorisation that party gave:
--   BORROWER   a borrower (primary or co-) of an account not closed, since it opened;
--   GUARANTOR  a guarantor of an account not closed whose guarantee still stands
--              (ACTIVE, or CALLED: the lender is claiming under it), since it began.
-- credit_kind says which application purpose the credit was made under: a card's is
-- CREDIT_CARD_APPROVAL, any other credit's LOAN_APPROVAL, a guarantee's GUARANTEE_CHECK.
drop view bureau.open_lending;
create view bureau.open_lending as
select s.identifier as subject_identifier, i.code as lender_code, 'BORROWER' as party,
       case when a.kind = 'CREDIT_CARD' then 'CREDIT_CARD_APPROVAL' else 'LOAN_APPROVAL' end
           as application_purpose,
       a.opened_on as since
from bureau.account_parties p
join bureau.credit_accounts a on a.id = p.account_id
join bureau.institutions i on i.id = a.lender_id
join bureau.subjects s on s.id = p.subject_id
where a.status <> 'CLOSED'
union all
select s.identifier, i.code, 'GUARANTOR', 'GUARANTEE_CHECK', g.starts_on
from bureau.guarantees g
join bureau.credit_accounts a on a.id = g.account_id
join bureau.institutions i on i.id = a.lender_id
join bureau.subjects s on s.id = g.guarantor_id
where a.status <> 'CLOSED' and g.status in ('ACTIVE', 'CALLED');
