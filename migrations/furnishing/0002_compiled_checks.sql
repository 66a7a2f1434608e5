-- The field check interpreted the schemas row by row, tens of microseconds a field; the
-- pipeline now runs checks compiled from the schemas (src/creditgraph/furnishing/checks.sql),
-- so the interpreter goes.
drop function furnishing.field_problem(jsonb, jsonb);
