-- The notice day is part of the record: a record sent again with only another day on which
-- the furnisher told the subject (subjectNotifiedOn) was answered UNCHANGED and kept no
-- correction, since the comparison read the record's own fields and not its notice. Every
-- field of the published format now takes part: the notice day is compared with the one on
-- file (furnishing.negative_notices) and a change of it is a correction naming
-- subjectNotifiedOn, the notice rewritten (or removed, when the record no longer states one).
-- The accounts' and statements' merges say the same in furnishing/pipeline.sql; their staging
-- tables gain the notice on file.

alter table furnishing_staging.furnish_statements add column old_notified_on date;
alter table furnishing_staging.furnish_accounts add column known_borrower_name text,
    add column known_co_borrower_name text;

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
    old_notice date;
    notice_change jsonb;
    problem text;
    rule text;
begin
    for staged in
        select p.* from furnish_public p
        where not exists (select from furnish_rejects r where r.line = p.line)
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
                insert into furnish_outcomes values (staged.line, 'ACCEPTED', array[staged.subject]);
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
                    insert into furnish_rejects values (staged.line, 'subjectIdentifier',
                        'a record''s subject does not change: report the record under a new key');
                    continue;
                end if;
                select n.notified_on into old_notice from furnishing.negative_notices n
                where n.record_type = staged.kind and n.record_id = new_id
                  and n.period = '-infinity';
                notice_change := case when old_notice is distinct from staged.notified_on then
                    jsonb_build_object('subjectNotifiedOn', jsonb_build_object(
                        'from', old_notice, 'to', staged.notified_on)) end;
                if old_row = new_row and notice_change is null then
                    insert into furnish_outcomes values (staged.line, 'UNCHANGED', array[staged.subject]);
                else
                    if old_row <> new_row then
                        select string_agg(quote_ident(key), ', ') into columns
                        from jsonb_object_keys(staged.fields) key;
                        execute format(
                            'update %s set (%s) = (select %s from jsonb_populate_record(null::%s, $1)) where id = $2',
                            spec->>'table', columns, columns, spec->>'table')
                        using staged.fields, new_id;
                    end if;
                    select coalesce(jsonb_object_agg(coalesce(f.key, c.key), c.value), '{}')
                           || coalesce(notice_change, '{}') into changed
                    from jsonb_each(furnishing.changes(old_row, new_row)) c
                    left join jsonb_each_text(spec->'columns') f on f.value = c.key;
                    insert into furnishing.corrections
                        (submission_id, furnisher, operator, record_type, record_id,
                         subject_identifiers, changes)
                    values (submission, furnisher, operator, staged.kind, new_id,
                            array[staged.subject], changed);
                    insert into furnish_outcomes values (staged.line, 'CORRECTED', array[staged.subject]);
                end if;
            end if;
            if staged.notified_on is not null then
                insert into furnishing.negative_notices
                    (record_type, record_id, subject_identifiers, notified_on, furnisher, submission_id)
                values (staged.kind, new_id, array[staged.subject], staged.notified_on, furnisher, submission)
                on conflict (record_type, record_id, period) do update
                    set notified_on = excluded.notified_on, submission_id = excluded.submission_id
                    where negative_notices.notified_on is distinct from excluded.notified_on;
            else
                -- a record now reported with no notice day keeps none
                delete from furnishing.negative_notices n
                where n.record_type = staged.kind and n.record_id = new_id and n.period = '-infinity';
            end if;
        exception
            when unique_violation then
                insert into furnish_rejects values (staged.line, null,
                    'already on file (under another key, or another furnisher''s)');
            when integrity_constraint_violation or data_exception then
                get stacked diagnostics rule = constraint_name, problem = message_text;
                insert into furnish_rejects values (staged.line, null,
                    coalesce('breaks the record''s rule ' || nullif(rule, ''), problem));
        end;
    end loop;
end
$$;
