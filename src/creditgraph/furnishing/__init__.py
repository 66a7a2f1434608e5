"""Data coming in: banks, courts and agencies furnish records (docs/furnishing.md).

- `kinds`: the record formats (JSON Schema, `graphql/furnishing/`) and which furnisher may
  report which kind;
- `sources`: batch files read a line at a time (JSON Lines, CSV), never whole;
- `pipeline`: the one way in, for a file, an upload and a single record alike: lines copied
  into staging tables, checked and merged as a set, committed with their audit entry;
- `docs`: the formats rendered as Markdown (`docs/furnishing.md`).
"""
