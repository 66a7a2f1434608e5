-- An array of strings as the audit chain's canonical document writes it (migration 0018),
-- made by PostgreSQL's own array_to_json instead of a subquery calling the one-string
-- function per element: the same text (each element as to_json writes a string, null as
-- null, no whitespace, the stored order, and [] for an empty or absent array), at about a
-- third of the cost. A report's entry lists every field it returned, a hundred and more, so
-- this was much of the record's own work in the database.
create or replace function gateway.audit_json(items text[]) returns text
language sql immutable parallel safe as $$
    select coalesce(array_to_json(items)::text, '[]')
$$;
