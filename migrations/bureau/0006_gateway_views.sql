-- What the gateway reads of the bureau to decide an edition, as views: the
-- one place it looks, so the bureau can change its tables without breaking
-- the gateway (the mirror of gateway.inquiry_record).

-- Lenders holding an open (not closed) account with a subject as borrower:
-- post-loan management needs no new consent for them.
create view bureau.open_lending as
select distinct s.identifier as subject_identifier, i.code as lender_code
from bureau.account_parties p
join bureau.credit_accounts a on a.id = p.account_id
join bureau.institutions i on i.id = a.lender_id
join bureau.subjects s on s.id = p.subject_id
where a.status <> 'CLOSED';

-- Subjects by identifier with their names: a subject who signs in is
-- recorded as a requester under the name the bureau knows.
create view bureau.subject_register as
select identifier, name, kind from bureau.subjects;
