-- The pipeline staged each part of a batch in temporary tables, and PostgreSQL refuses to
-- PREPARE a transaction that touched one: so a furnishing mutation could not run through a
-- bureau subgraph served over HTTP, whose writes end in PREPARE TRANSACTION
-- (subgraphs/writing.py). Staging is now a schema of the transaction's own: made at the
-- start of the transaction from the templates below, put first on its search path (where
-- pg_temp was), and dropped before it commits or prepares. Nothing of it outlives the
-- transaction, rolled back or not, and no other transaction ever sees it, so batches sent at
-- once never wait on each other's staging; the tables are unlogged, as the temporary ones
-- were in effect (staged rows are never worth a WAL record).

create schema furnishing_staging;
comment on schema furnishing_staging is
    'Templates of the furnishing pipeline''s staging tables: never written; each transaction '
    'that furnishes copies them into a schema of its own (furnishing.open_staging).';

create table furnishing_staging.furnish_raw (line integer not null, raw text not null);
create table furnishing_staging.furnish_docs (line integer not null, kind text, doc jsonb);
create table furnishing_staging.furnish_rejects (
    line integer not null, field text, reason text not null
);
create table furnishing_staging.furnish_outcomes (
    line integer not null, outcome text not null, subjects text[] not null,
    rescore boolean not null default true
);
create table furnishing_staging.furnish_statements (
    line integer primary key, account_number text, month date, status text,
    amount_due numeric(18, 2), amount_paid numeric(18, 2), overdue_amount numeric(18, 2),
    balance numeric(18, 2), notified_on date, first_line integer,
    account_id bigint, opened_on date, latest_month date, subjects text[],
    old_status text, old_amount_due numeric(18, 2), old_amount_paid numeric(18, 2),
    old_overdue_amount numeric(18, 2), old_balance numeric(18, 2), latest_status text
);
create table furnishing_staging.furnish_public (
    line integer primary key, kind text not null, key text not null, subject text not null,
    notified_on date, first_line integer not null, record_id bigint, fields jsonb not null
);
create table furnishing_staging.furnish_accounts (
    line integer primary key, account_number text, account_type text, purpose text,
    currency text, principal numeric(18, 2), credit_limit numeric(18, 2),
    balance numeric(18, 2), term_months integer, repayment_method text, collateral text,
    opened_on date, matures_on date, closed_on date, status text, classification text,
    reported_on date, borrower text, borrower_name text, co_borrower text,
    co_borrower_name text, notified_on date, first_line integer,
    borrower_id bigint, co_borrower_id bigint, account_id bigint, old jsonb,
    old_borrower text, old_co_borrower text
);

-- Each staging schema's number: a sequence, so transactions at once never share a name and
-- never wait for one another to take one.
create sequence furnishing.staging_numbers;

-- The staging schema of this transaction: every template copied, unlogged, into a schema of
-- its own, put first on the search path for the rest of the transaction (the pipeline's SQL
-- names its staging tables unqualified). Answers the schema's name and the search path it
-- found, which close_staging puts back.
create function furnishing.open_staging(out schema_name text, out previous_path text)
language plpgsql as $$
declare
    template text;
begin
    schema_name := 'furnishing_stage_' || nextval('furnishing.staging_numbers');
    previous_path := current_setting('search_path');
    execute format('create schema %I', schema_name);
    for template in
        select c.relname from pg_class c
        where c.relnamespace = 'furnishing_staging'::regnamespace and c.relkind = 'r'
        order by c.relname
    loop
        execute format('create unlogged table %I.%I (like furnishing_staging.%I including all)',
                       schema_name, template, template);
    end loop;
    perform set_config('search_path', format('%I, %s', schema_name, previous_path), true);
end
$$;

-- The staging schema dropped, in the transaction that made it, and the search path put back.
create function furnishing.close_staging(schema_name text, previous_path text) returns void
language plpgsql as $$
begin
    if schema_name !~ '^furnishing_stage_[0-9]+$' then
        raise exception 'not a staging schema: %', schema_name;
    end if;
    execute format('drop schema %I cascade', schema_name);
    perform set_config('search_path', previous_path, true);
end
$$;

-- Merge the staged public records (furnish_public, filled by the pipeline, in this
-- transaction's staging schema) as before; only the staging tables are found on the search
-- path now, not in pg_temp.
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
                if old_row = new_row then
                    insert into furnish_outcomes values (staged.line, 'UNCHANGED', array[staged.subject]);
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
