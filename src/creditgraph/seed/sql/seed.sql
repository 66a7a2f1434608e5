-- name: subject_count
select count(*) from bureau.subjects

-- name: empty_seeded_tables
-- Everything the seed writes; not the audit log (append-only by design) nor
-- the migration ledger.
truncate
    bureau.institutions, bureau.subjects, bureau.organisation_principals, bureau.phones,
    bureau.addresses, bureau.employments, bureau.educations, bureau.marriages,
    bureau.marriage_partners, bureau.credit_accounts, bureau.account_parties,
    bureau.repayments, bureau.guarantees, bureau.disputes, bureau.statements,
    bureau.fraud_alerts,
    public_records.enforcement_cases, public_records.dishonest_listings,
    public_records.consumption_restrictions, public_records.administrative_actions,
    public_records.tax_arrears, public_records.list_entries, public_records.civil_judgments,
    public_records.utility_arrears, public_records.social_insurance, public_records.housing_fund,
    public_records.licences, public_records.list_objections,
    public_records.repair_applications, public_records.notice_subscriptions,
    scores.models, scores.bands, scores.observations, scores.reasons, scores.dimensions,
    scores.dimension_reasons,
    gateway.requesters, gateway.consent_grants, gateway.mandates, gateway.inquiries,
    gateway.counted_inquiries, gateway.inquiry_tallies
restart identity

-- name: advance_identities
-- Move every identity sequence of the seeded schemas past the ids the
-- generator assigned, so later inserts do not collide with them.
do $$
declare
    col record;
    top bigint;
begin
    for col in
        select table_schema, table_name, column_name
        from information_schema.columns
        where is_identity = 'YES'
          and table_schema in ('bureau', 'public_records', 'scores', 'gateway')
          and not (table_schema = 'gateway' and table_name = 'audit_log')
    loop
        execute format('select max(%I) from %I.%I', col.column_name, col.table_schema, col.table_name)
            into top;
        perform setval(
            pg_get_serial_sequence(format('%I.%I', col.table_schema, col.table_name), col.column_name),
            coalesce(top, 0) + 1,
            false);
    end loop;
end
$$
