-- Answers that disclose nothing. A subject shares one predicate of the
-- catalogue (graphql/predicates.toml: "city score 650 or more", "nothing
-- overdue now") with one named institution for one purpose, for a while; that
-- institution asks `eligibility(...)` and gets true or false with an answer id,
-- never the values behind it. Each answer is kept here, and is a look of its
-- own kind on the subject's inquiry list (purpose ELIGIBILITY, no edition: no
-- part of the report was shown).

create table gateway.eligibility_shares (
    id                  uuid primary key,
    subject_identifier  text not null check (common.is_subject_identifier(subject_identifier)),
    -- who shared it: the subject, or an organisation's legal representative
    grantor_identifier  text not null check (common.is_subject_identifier(grantor_identifier)),
    requester_id        bigint not null references gateway.requesters (id),
    predicate           text not null check (predicate ~ '^[A-Z][A-Z0-9_]{1,63}$'),
    purpose             text not null check (purpose ~ '^[A-Z][A-Z0-9_]{1,63}$'),
    valid_from          timestamptz not null,
    valid_until         timestamptz not null,
    withdrawn_at        timestamptz,
    check (valid_until > valid_from),
    check (valid_until <= valid_from + interval '12 months'),
    check (withdrawn_at is null or withdrawn_at >= valid_from)
);
-- the one lookup an ask makes: this subject, this requester, this predicate and purpose
create index eligibility_shares_lookup
    on gateway.eligibility_shares (subject_identifier, requester_id, predicate, purpose, valid_until desc);

create table gateway.eligibility_answers (
    id                  uuid primary key,
    share_id            uuid not null references gateway.eligibility_shares (id),
    subject_identifier  text not null check (common.is_subject_identifier(subject_identifier)),
    requester_id        bigint not null references gateway.requesters (id),
    operator            text,
    predicate           text not null,
    purpose             text not null,
    holds               boolean not null,
    answered_at         timestamptz not null default now()
);
create index eligibility_answers_by_subject
    on gateway.eligibility_answers (subject_identifier, answered_at desc, id);
create index eligibility_answers_by_share on gateway.eligibility_answers (share_id);

-- A share as its readers see it: with the requester's code, name and role, and its
-- state as of now (expiry is by clock, derived here, never stored).
create view gateway.eligibility_share_record as
select s.id, s.subject_identifier, s.grantor_identifier,
       r.identifier as requester_code, r.name as requester_name, r.role as requester_role,
       s.predicate, s.purpose, s.valid_from, s.valid_until, s.withdrawn_at,
       case
           when s.withdrawn_at is not null then 'WITHDRAWN'
           when s.valid_until <= now() then 'EXPIRED'
           else 'ACTIVE'
       end as state
from gateway.eligibility_shares s
join gateway.requesters r on r.id = s.requester_id;

create view gateway.eligibility_answer_record as
select a.id, a.share_id, a.subject_identifier, r.identifier as requester_code,
       r.name as requester_name, r.role as requester_role, a.operator, a.predicate,
       a.purpose, a.holds, a.answered_at
from gateway.eligibility_answers a
join gateway.requesters r on r.id = a.requester_id;

-- The inquiry an answer is: purpose ELIGIBILITY, no edition, the answer named.
alter table gateway.inquiries drop constraint inquiries_purpose_check;
alter table gateway.inquiries add constraint inquiries_purpose_check check (purpose in
    ('SELF', 'LOAN_APPROVAL', 'CREDIT_CARD_APPROVAL', 'GUARANTEE_CHECK',
     'POST_LOAN_MANAGEMENT', 'CORPORATE_PRINCIPAL_CHECK',
     'PUBLIC_CREDIT_CHECK', 'JUDICIAL_ENFORCEMENT', 'ELIGIBILITY'));
alter table gateway.inquiries alter column edition drop not null;
alter table gateway.inquiries add column answer_id uuid references gateway.eligibility_answers (id);
alter table gateway.inquiries drop constraint inquiries_check1;
alter table gateway.inquiries add constraint inquiries_basis_check check (
    purpose = 'SELF' or purpose = 'POST_LOAN_MANAGEMENT'
    or grant_id is not null or mandate_id is not null or answer_id is not null);
-- an eligibility look shows no edition and names its answer; every other look is the reverse
alter table gateway.inquiries add constraint inquiries_eligibility_check check (
    (purpose = 'ELIGIBILITY') = (edition is null)
    and (purpose = 'ELIGIBILITY') = (answer_id is not null));

create or replace view gateway.inquiry_record as
select i.id, i.subject_identifier, r.role as requester_role, r.identifier as requester_code,
       r.name as requester_name, i.operator, i.purpose, i.edition, i.grant_id, i.inquired_at,
       i.hard, c.inquiry_id is not null as counted, i.answer_id
from gateway.inquiries i
join gateway.requesters r on r.id = i.requester_id
left join gateway.counted_inquiries c on c.inquiry_id = i.id;
