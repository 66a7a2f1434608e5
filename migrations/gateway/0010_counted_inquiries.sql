-- Inquiries fair to the subject: every look stays listed, but a lender's
-- repeated looks for one purpose under one grant count as one hard inquiry,
-- so polling cannot move the subject's signals or scores. A grant names one
-- grantee and one purpose, so "one lender, one purpose, one grant" is the
-- grant: its first hard look is the one that counts, dated when it was made,
-- and it leaves the six-month window like any other.
--
-- The inquiry list is read a page at a time, and its length from a tally kept
-- beside it, so a report's cost never grows with the looks either.
--
-- The counted looks are kept apart, one row per grant at most, written by the
-- database as each look is inserted (COPY included), so counting them reads a
-- subject's counted rows in a window of an index: the cost depends on how many
-- grants looked, never on how many times they looked.
create table gateway.counted_inquiries (
    grant_id            uuid primary key,
    inquiry_id          bigint not null unique references gateway.inquiries (id),
    subject_identifier  text not null,
    inquired_at         timestamptz not null
);
create index counted_inquiries_by_subject
    on gateway.counted_inquiries (subject_identifier, inquired_at desc);

-- How many looks each subject's record holds, kept as they are recorded, so a
-- page of the list says how long the whole list is without reading it.
create table gateway.inquiry_tallies (
    subject_identifier  text primary key,
    looks               bigint not null check (looks >= 0)
);

-- The list's order, whole in one index (looks recorded in one instant included),
-- so a page is read as its first rows.
create index inquiries_by_subject_in_order
    on gateway.inquiries (subject_identifier, inquired_at desc, id desc);

create function gateway.count_inquiry() returns trigger
language plpgsql
as $$
begin
    insert into gateway.inquiry_tallies as t (subject_identifier, looks)
    values (new.subject_identifier, 1)
    on conflict (subject_identifier) do update set looks = t.looks + 1;
    if new.hard and new.grant_id is not null then
        insert into gateway.counted_inquiries (grant_id, inquiry_id, subject_identifier, inquired_at)
        values (new.grant_id, new.id, new.subject_identifier, new.inquired_at)
        on conflict (grant_id) do nothing;
    end if;
    return null;
end
$$;

create trigger count_inquiry after insert on gateway.inquiries
for each row execute function gateway.count_inquiry();

-- the looks made before: their tallies, and each grant's first look counted
insert into gateway.inquiry_tallies (subject_identifier, looks)
select subject_identifier, count(*) from gateway.inquiries group by subject_identifier;

insert into gateway.counted_inquiries (grant_id, inquiry_id, subject_identifier, inquired_at)
select distinct on (grant_id) grant_id, id, subject_identifier, inquired_at
from gateway.inquiries
where hard and grant_id is not null
order by grant_id, inquired_at, id;

-- The inquiry record as before, with whether each look counted.
create or replace view gateway.inquiry_record as
select i.id, i.subject_identifier, r.role as requester_role, r.identifier as requester_code,
       r.name as requester_name, i.operator, i.purpose, i.edition, i.grant_id, i.inquired_at,
       i.hard, c.inquiry_id is not null as counted
from gateway.inquiries i
join gateway.requesters r on r.id = i.requester_id
left join gateway.counted_inquiries c on c.inquiry_id = i.id;

-- The counted looks alone, as the bureau's signals and the scorecard read them.
create view gateway.counted_inquiry_record as
select subject_identifier, inquired_at, inquiry_id
from gateway.counted_inquiries;

-- How many looks each subject's record holds, as the bureau's list reads it.
create view gateway.inquiry_tally as
select subject_identifier, looks from gateway.inquiry_tallies;
