-- Who may act for an organisation as its subject: its legal representative
-- today. An organisation's token names the person (creditgraph token --role
-- subject --identifier USCC --representative ID); the gateway checks it here on
-- every request, so a representative replaced (until on or before today) or
-- not yet in office loses the organisation's file at once. A view, as the
-- other things the gateway reads of the bureau (0006).
create view bureau.legal_representatives as
select o.identifier as organisation_identifier, p.identifier as person_identifier
from bureau.organisation_principals op
join bureau.subjects o on o.id = op.organisation_id
join bureau.subjects p on p.id = op.person_id
where op.role = 'LEGAL_REPRESENTATIVE'
  and op.since <= current_date
  and (op.until is null or op.until > current_date);
