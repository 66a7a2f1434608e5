-- Mandates are granted and ended from the command line (`creditgraph mandates`),
-- so the table itself keeps them apart: an agency holds at most one mandate per
-- purpose on any day, whoever writes it and however many write at once.
-- valid_until is the first day a mandate no longer applies. A mandate ended on
-- the day it began keeps its record as an empty period (never in force), so a
-- new one may start that same day: the exclusion replaces the old uniqueness
-- of (agency, purpose, start day), which such a record would have blocked.
alter table gateway.mandates
    drop constraint mandates_check,
    drop constraint mandates_agency_id_purpose_valid_from_key,
    add constraint mandates_period check (valid_until >= valid_from),
    add constraint mandates_legal_basis check (length(btrim(legal_basis)) between 1 and 500),
    add constraint mandates_no_overlap exclude using gist (
        agency_id with =,
        purpose with =,
        daterange(valid_from, valid_until, '[)') with &&
    );
