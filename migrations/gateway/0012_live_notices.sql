-- The live channel (src/creditgraph/live/): when someone other than the subject looks at a
-- subject's report, a notice on channel creditgraph_live names the subject and the kind of
-- change, and nothing else. An open portal then asks the API again, so what it shows has
-- passed the edition policy like any other answer. The subject's own looks (SELF) make no
-- notice: the portal's own reload would otherwise announce itself, forever.
-- The notice is sent when the inserting transaction commits, and not if it rolls back.

create function gateway.notify_live_inquiry() returns trigger
language plpgsql as $$
begin
    perform pg_notify(
        'creditgraph_live',
        json_build_object('topic', new.subject_identifier, 'kind', 'inquiry')::text
    );
    return null;
end;
$$;

create trigger inquiries_live_notice
    after insert on gateway.inquiries
    for each row when (new.purpose <> 'SELF')
    execute function gateway.notify_live_inquiry();
