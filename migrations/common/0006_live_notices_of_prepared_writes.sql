-- The live channel's notices (pg_notify on `creditgraph_live`, sent by the tables' triggers
-- when the writing transaction commits) made a write through a subgraph served over HTTP
-- fail: such a write ends in PREPARE TRANSACTION (subgraphs/writing.py), which PostgreSQL
-- refuses after a NOTIFY. A trigger now calls common.live_notice, which notifies at once
-- as before, unless the transaction is a write to be prepared (it says so in the setting
-- creditgraph.prepared_write, naming its transaction id): then the notice waits in
-- common.live_outbox, in that very transaction, and the gateway sends it
-- (common.send_live_notices) once it has committed the prepared write. A write rolled back
-- takes its notices with it, as a NOTIFY would have gone with its transaction.

create table common.live_outbox (
    write_id  text not null,
    payload   text not null
);
create index live_outbox_by_write on common.live_outbox (write_id);

create function common.live_notice(payload text) returns void
language plpgsql as $$
declare
    write_id text := nullif(current_setting('creditgraph.prepared_write', true), '');
begin
    if write_id is null then
        perform pg_notify('creditgraph_live', payload);
    else
        insert into common.live_outbox (write_id, payload) values (write_id, payload);
    end if;
end;
$$;

-- The notices of prepared writes now committed, sent and taken out of the outbox.
create function common.send_live_notices(write_ids text[]) returns void
language plpgsql as $$
declare
    sent text;
begin
    for sent in delete from common.live_outbox where write_id = any(write_ids) returning payload
    loop
        perform pg_notify('creditgraph_live', sent);
    end loop;
end;
$$;
