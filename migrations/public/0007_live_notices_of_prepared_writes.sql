-- The public records' live notices through common.live_notice (common/0006), so a write
-- through a subgraph served over HTTP, which ends in a prepared transaction, can send them.

create or replace function public_records.notify_live_record() returns trigger
language plpgsql as $$
begin
    perform common.live_notice(
        json_build_object('topic', new.subject_identifier, 'kind', 'record')::text
    );
    return null;
end;
$$;

create or replace function public_records.notify_live_entry() returns trigger
language plpgsql as $$
begin
    perform common.live_notice(
        json_build_object('topic', 'measures', 'kind', 'entry',
                          'subject', new.subject_identifier)::text
    );
    return null;
end;
$$;
