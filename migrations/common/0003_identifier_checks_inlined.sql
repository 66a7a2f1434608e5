-- The identifier checks (0001_identifiers.sql) as plain SQL expressions instead of PL/pgSQL
-- loops: the same rules and the same answers (true, false, or null for null), but a CHECK
-- constraint's planner inlines an SQL function's expression into the constraint, where a
-- PL/pgSQL function is a call into its interpreter and a loop of seventeen statements per
-- row. Every score observation, inquiry, grant and public record checks its subject's
-- identifier, so loading a large population spent much of its time here.
-- tests/test_identifiers.py still holds them to src/creditgraph/identifiers.py.
--
-- Within each function the CASE guards every cast: the weighted sums only run on a value the
-- regular expression has shown to be 17 digits (or code symbols) in their places. The
-- resident identity number's pattern carries GB/T 2260's province-level codes, years
-- 1900-2099, months 01-12 and days 01-31; the day is then held to its month's length.

create or replace function common.is_resident_id(value text) returns boolean
language sql immutable parallel safe
return case
    when value is null then null
    when value !~ '^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$'
        then false
    else
        -- the day within its month (February's 29th in leap years only): the digits are
        -- known to be there, so the casts cannot fail
        substr(value, 13, 2)::int <= case
            when substr(value, 11, 2) = '02' then
                case when substr(value, 7, 4)::int % 4 = 0
                      and (substr(value, 7, 4)::int % 100 <> 0 or substr(value, 7, 4)::int % 400 = 0)
                     then 29 else 28 end
            when substr(value, 11, 2) in ('04', '06', '09', '11') then 30
            else 31
        end
        -- MOD 11-2
        and substr(value, 18, 1) = substr('10X98765432', (
              substr(value, 1, 1)::int * 7 + substr(value, 2, 1)::int * 9
            + substr(value, 3, 1)::int * 10 + substr(value, 4, 1)::int * 5
            + substr(value, 5, 1)::int * 8 + substr(value, 6, 1)::int * 4
            + substr(value, 7, 1)::int * 2 + substr(value, 8, 1)::int * 1
            + substr(value, 9, 1)::int * 6 + substr(value, 10, 1)::int * 3
            + substr(value, 11, 1)::int * 7 + substr(value, 12, 1)::int * 9
            + substr(value, 13, 1)::int * 10 + substr(value, 14, 1)::int * 5
            + substr(value, 15, 1)::int * 8 + substr(value, 16, 1)::int * 4
            + substr(value, 17, 1)::int * 2) % 11 + 1, 1)
end;

create or replace function common.is_uscc(value text) returns boolean
language sql immutable parallel safe
return case
    when value is null then null
    when value !~ '^[0123456789ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0123456789ABCDEFGHJKLMNPQRTUWXY]{10}$'
        then false
    -- MOD 31: each character's place in the code alphabet, weighted
    else substr(value, 18, 1) = substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (31 - (
          (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 1, 1)) - 1) * 1
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 2, 1)) - 1) * 3
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 3, 1)) - 1) * 9
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 4, 1)) - 1) * 27
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 5, 1)) - 1) * 19
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 6, 1)) - 1) * 26
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 7, 1)) - 1) * 16
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 8, 1)) - 1) * 17
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 9, 1)) - 1) * 20
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 10, 1)) - 1) * 29
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 11, 1)) - 1) * 25
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 12, 1)) - 1) * 13
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 13, 1)) - 1) * 8
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 14, 1)) - 1) * 24
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 15, 1)) - 1) * 10
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 16, 1)) - 1) * 30
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(value, 17, 1)) - 1) * 28
    ) % 31) % 31 + 1, 1)
end;

create or replace function common.is_subject_identifier(value text) returns boolean
language sql immutable parallel safe
return common.is_resident_id(value) or common.is_uscc(value);
