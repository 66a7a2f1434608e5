-- The live channel (see gateway/0012_live_notices.sql): an account that turns overdue or
-- bad debt is a new negative record on every borrower's report: a notice of kind 'record'
-- for each party's identifier.

create function bureau.notify_live_account() returns trigger
language plpgsql as $$
declare
    party text;
begin
    for party in
        select s.identifier
        from bureau.account_parties p join bureau.subjects s on s.id = p.subject_id
        where p.account_id = new.id
    loop
        perform pg_notify('creditgraph_live', json_build_object('topic', party, 'kind', 'record')::text);
    end loop;
    return null;
end;
$$;

create trigger credit_accounts_live_notice
    after update of status on bureau.credit_accounts
    for each row
    when (new.status in ('OVERDUE', 'BAD_DEBT') and old.status is distinct from new.status)
    execute function bureau.notify_live_account();
