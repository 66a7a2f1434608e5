-- btree_gist lets exclusion constraints mix equality on plain columns with
-- range overlap (a person cannot be in two marriages at once).
create extension if not exists btree_gist with schema common;
