-- The live channel (see gateway/0012_live_notices.sql): a new negative public record about
-- a subject makes a notice naming the subject and kind 'record'. Negative: enforcement
-- cases, dishonest listings, consumption restrictions, tax arrears, penalties (not awards)
-- and black list entries (not red ones).

create function public_records.notify_live_record() returns trigger
language plpgsql as $$
begin
    perform pg_notify(
        'creditgraph_live',
        json_build_object('topic', new.subject_identifier, 'kind', 'record')::text
    );
    return null;
end;
$$;

create trigger enforcement_cases_live_notice after insert on public_records.enforcement_cases
    for each row execute function public_records.notify_live_record();
create trigger dishonest_listings_live_notice after insert on public_records.dishonest_listings
    for each row execute function public_records.notify_live_record();
create trigger consumption_restrictions_live_notice
    after insert on public_records.consumption_restrictions
    for each row execute function public_records.notify_live_record();
create trigger tax_arrears_live_notice after insert on public_records.tax_arrears
    for each row execute function public_records.notify_live_record();
create trigger administrative_actions_live_notice
    after insert on public_records.administrative_actions
    for each row when (new.kind = 'PENALTY') execute function public_records.notify_live_record();
create trigger list_entries_live_notice after insert on public_records.list_entries
    for each row when (new.colour = 'BLACK') execute function public_records.notify_live_record();
