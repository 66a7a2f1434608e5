-- Schema common: functions every other schema's CHECK constraints call.
--
-- This is the database twin of src/creditgraph/identifiers.py: the same rules
-- for resident identity numbers (GB 11643-1999) and unified social credit
-- codes (GB 32100-2015), so that no code path can store an identifier the
-- application would refuse. tests/test_identifiers.py runs both over thousands
-- of valid, nearly valid and random strings and proves they agree; change one
-- and you must change the other.
--
-- The functions only return true or false (or null for null): a malformed
-- birth date must make a CHECK fail, not raise. Every cast below therefore
-- comes after the regular expression that guarantees it cannot fail. Regular
-- expressions use [0-9], which matches ASCII digits only, like the Python.

create schema common;

-- 18 characters; the first 17 ASCII digits, the last a digit or upper-case X;
-- the first two digits a province-level code of GB/T 2260; characters 7-14 a
-- calendar date from 1900-01-01 to 2099-12-31; the MOD 11-2 check correct.
create function common.is_resident_id(value text) returns boolean
language plpgsql immutable strict parallel safe
as $$
declare
    weights constant int[] := array[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    y int;
    m int;
    d int;
    last_day int;
    total int := 0;
begin
    if length(value) <> 18 or value !~ '^[0-9]{17}[0-9X]$' then
        return false;
    end if;
    if substr(value, 1, 2) <> all (array[
        '11', '12', '13', '14', '15',
        '21', '22', '23',
        '31', '32', '33', '34', '35', '36', '37',
        '41', '42', '43', '44', '45', '46',
        '50', '51', '52', '53', '54',
        '61', '62', '63', '64', '65',
        '71', '81', '82'
    ]) then
        return false;
    end if;
    y := substr(value, 7, 4)::int;
    m := substr(value, 11, 2)::int;
    d := substr(value, 13, 2)::int;
    if y < 1900 or y > 2099 or m < 1 or m > 12 then
        return false;
    end if;
    last_day := case
        when m = 2 and y % 4 = 0 and (y % 100 <> 0 or y % 400 = 0) then 29
        when m = 2 then 28
        when m in (4, 6, 9, 11) then 30
        else 31
    end;
    if d < 1 or d > last_day then
        return false;
    end if;
    for i in 1..17 loop
        total := total + substr(value, i, 1)::int * weights[i];
    end loop;
    return substr(value, 18, 1) = substr('10X98765432', total % 11 + 1, 1);
end
$$;

-- 18 characters, all from the 31-symbol code alphabet (no I, O, Z, S, V);
-- characters 3-8 (the administrative division code) ASCII digits; the MOD 31
-- check correct.
create function common.is_uscc(value text) returns boolean
language plpgsql immutable strict parallel safe
as $$
declare
    alphabet constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    weights constant int[] :=
        array[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    total int := 0;
begin
    if length(value) <> 18
        or value !~ '^[0123456789ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0123456789ABCDEFGHJKLMNPQRTUWXY]{10}$'
    then
        return false;
    end if;
    for i in 1..17 loop
        total := total + (strpos(alphabet, substr(value, i, 1)) - 1) * weights[i];
    end loop;
    return substr(value, 18, 1) = substr(alphabet, (31 - total % 31) % 31 + 1, 1);
end
$$;

create function common.is_subject_identifier(value text) returns boolean
language sql immutable strict parallel safe
return common.is_resident_id(value) or common.is_uscc(value);

-- The birth date a valid resident identity number encodes; null for anything
-- else, so a CHECK can compare it with a stored birth date.
create function common.resident_id_birth_date(value text) returns date
language sql immutable strict parallel safe
return case
    when common.is_resident_id(value) then make_date(
        substr(value, 7, 4)::int, substr(value, 11, 2)::int, substr(value, 13, 2)::int
    )
end;

comment on schema common is
    'Functions shared by every component''s constraints; see migrations/common.';
comment on function common.is_resident_id(text) is
    'Valid GB 11643-1999 resident identity number; twin of creditgraph.identifiers.is_resident_id.';
comment on function common.is_uscc(text) is
    'Valid GB 32100-2015 unified social credit code; twin of creditgraph.identifiers.is_uscc.';
comment on function common.is_subject_identifier(text) is
    'A resident identity number or a unified social credit code.';
comment on function common.resident_id_birth_date(text) is
    'Birth date encoded in a valid resident identity number, else null.';
