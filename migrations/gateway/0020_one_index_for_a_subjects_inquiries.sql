-- A subject's inquiries were indexed twice: by (subject, inquired_at desc) since 0002, and by
-- (subject, inquired_at desc, id desc) since 0010, which orders the list whole and serves
-- every read the first one did (it begins with the same columns). Each recorded look paid
-- for both; it now pays for the one that is used.
drop index gateway.inquiries_by_subject;
