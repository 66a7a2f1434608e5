-- Furnishers (banks, courts and agencies reporting records) are recorded in the audit log like
-- every requester: each batch or single record they send is an entry, in the transaction that
-- writes what it accepted.
alter table gateway.audit_log drop constraint audit_log_role_check;
alter table gateway.audit_log add constraint audit_log_role_check
    check (role in ('SUBJECT', 'BANK', 'GOVERNMENT', 'FURNISHER'));
