-- An account's live notice through common.live_notice (common/0006), so a write through a
-- bureau subgraph served over HTTP, which ends in a prepared transaction, can send it too.

create or replace function bureau.notify_live_account() returns trigger
language plpgsql as $$
declare
    party text;
begin
    for party in
        select s.identifier
        from bureau.account_parties p join bureau.subjects s on s.id = p.subject_id
        where p.account_id = new.id
    loop
        perform common.live_notice(json_build_object('topic', party, 'kind', 'record')::text);
    end loop;
    return null;
end;
$$;
