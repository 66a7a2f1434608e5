-- The inquiry record as the bureau reads it: each look at a subject, with the
-- requester's role, code and name. The bureau's report shows inquiries and
-- counts hard ones in its credit summary, but the gateway owns the table; this
-- view is the one place the bureau reads it, so the gateway can change its
-- tables without breaking the bureau.

create view gateway.inquiry_record as
select i.id, i.subject_identifier, r.role as requester_role, r.identifier as requester_code,
       r.name as requester_name, i.operator, i.purpose, i.edition, i.grant_id, i.inquired_at,
       i.hard
from gateway.inquiries i
join gateway.requesters r on r.id = i.requester_id;
