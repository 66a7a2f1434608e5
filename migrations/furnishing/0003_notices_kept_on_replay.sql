-- A record sent again changes nothing, its notice included: a negative notice named the last
-- submission that sent its record, so a replay re-pointed it. A notice now keeps the submission
-- that said it, and is rewritten only when a furnisher reports a different notice day (then
-- naming the submission that did). The public records' merge is replaced for that alone; the
-- accounts' and statements' merges say the same in furnishing/pipeline.sql.
create or replace function furnishing.merge_public(
    book jsonb, submission bigint, furnisher text, operator text
) returns void
language plpgsql as $$
declare
    staged record;
    spec jsonb;
    columns text;
    new_id bigint;
    old_row jsonb;
    new_row jsonb;
    changed jsonb;
    problem text;
    rule text;
begin
    for staged in
        select p.* from pg_temp.furnish_public p
        where not exists (select from pg_temp.furnish_rejects r where r.line = p.line)
        order by p.line
    loop
        spec := book->staged.kind;
        begin
            if staged.record_id is null then
                select string_agg(quote_ident(key), ', ') into columns
                from jsonb_object_keys(jsonb_strip_nulls(staged.fields)) key;
                execute format(
                    'insert into %s (%s) select %s from jsonb_populate_record(null::%s, $1) returning id',
                    spec->>'table', columns, columns, spec->>'table')
                into new_id using staged.fields;
                insert into furnishing.record_keys (furnisher, kind, key, record_id)
                values (furnisher, staged.kind, staged.key, new_id);
                insert into pg_temp.furnish_outcomes values (staged.line, 'ACCEPTED', array[staged.subject]);
            else
                new_id := staged.record_id;
                execute format(
                    'select (select jsonb_object_agg(k, to_jsonb(t) -> k) from jsonb_object_keys($2) k) from %s t where id = $1',
                    spec->>'table')
                into old_row using new_id, staged.fields;
                execute format(
                    'select (select jsonb_object_agg(k, to_jsonb(t) -> k) from jsonb_object_keys($1) k) from jsonb_populate_record(null::%s, $1) t',
                    spec->>'table')
                into new_row using staged.fields;
                if old_row->>'subject_identifier' is distinct from new_row->>'subject_identifier' then
                    insert into pg_temp.furnish_rejects values (staged.line, 'subjectIdentifier',
                        'a record''s subject does not change: report the record under a new key');
                    continue;
                end if;
                if old_row = new_row then
                    insert into pg_temp.furnish_outcomes values (staged.line, 'UNCHANGED', array[staged.subject]);
                else
                    select string_agg(quote_ident(key), ', ') into columns
                    from jsonb_object_keys(staged.fields) key;
                    execute format(
                        'update %s set (%s) = (select %s from jsonb_populate_record(null::%s, $1)) where id = $2',
                        spec->>'table', columns, columns, spec->>'table')
                    using staged.fields, new_id;
                    select jsonb_object_agg(coalesce(f.key, c.key), c.value) into changed
                    from jsonb_each(furnishing.changes(old_row, new_row)) c
                    left join jsonb_each_text(spec->'columns') f on f.value = c.key;
                    insert into furnishing.corrections
                        (submission_id, furnisher, operator, record_type, record_id,
                         subject_identifiers, changes)
                    values (submission, furnisher, operator, staged.kind, new_id,
                            array[staged.subject], changed);
                    insert into pg_temp.furnish_outcomes values (staged.line, 'CORRECTED', array[staged.subject]);
                end if;
            end if;
            if staged.notified_on is not null then
                insert into furnishing.negative_notices
                    (record_type, record_id, subject_identifiers, notified_on, furnisher, submission_id)
                values (staged.kind, new_id, array[staged.subject], staged.notified_on, furnisher, submission)
                on conflict (record_type, record_id, period) do update
                    set notified_on = excluded.notified_on, submission_id = excluded.submission_id
                    where negative_notices.notified_on is distinct from excluded.notified_on;
            end if;
        exception
            when unique_violation then
                insert into pg_temp.furnish_rejects values (staged.line, null,
                    'already on file (under another key, or another furnisher''s)');
            when integrity_constraint_violation or data_exception then
                get stacked diagnostics rule = constraint_name, problem = message_text;
                insert into pg_temp.furnish_rejects values (staged.line, null,
                    coalesce('breaks the record''s rule ' || nullif(rule, ''), problem));
        end;
    end loop;
end
$$;
