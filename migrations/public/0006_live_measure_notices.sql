-- The live channel for institutions (src/creditgraph/live/measures.py): when a list entry's
-- course changes (an objection answered, a date it takes effect recorded, an exit such as an
-- approved credit repair), a notice on channel creditgraph_live names the subject for the
-- relay of joint-measure notices, which works out whether an institution is due a notice
-- today and tells that institution's streams. Entries that come into force by the calendar
-- alone are found by the relay's clock. Sent when the writing transaction commits.

create function public_records.notify_live_entry() returns trigger
language plpgsql as $$
begin
    perform pg_notify(
        'creditgraph_live',
        json_build_object('topic', 'measures', 'kind', 'entry',
                          'subject', new.subject_identifier)::text
    );
    return null;
end;
$$;

create trigger list_entries_live_measures after update on public_records.list_entries
    for each row
    when ((old.objection_outcome, old.effective_on, old.exited_on, old.exit_reason)
          is distinct from (new.objection_outcome, new.effective_on, new.exited_on, new.exit_reason))
    execute function public_records.notify_live_entry();
