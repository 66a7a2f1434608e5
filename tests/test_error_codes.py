"""Every code the gateway answers with is in the README's table of error codes, which is what
clients branch on (gateway/errors.py's codes, the policy's, and the other routes')."""

from __future__ import annotations

import re
from pathlib import Path

from creditgraph.access import walk
from creditgraph.gateway import errors

README = Path(__file__).resolve().parents[1] / "README.md"
# codes answered from outside those modules: a route refusing a token (GET /live, POST
# /furnish), the limit stage, the persisted queries
ROUTE_CODES = ("FORBIDDEN", "RATE_LIMITED", "PERSISTED_QUERY_NOT_FOUND")


def _table_codes() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("### Error codes", 1)[1].split("\n### ", 1)[0]
    return {
        code
        for row in table.splitlines()
        if row.startswith("| `")
        for code in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }


def test_every_code_a_client_can_be_answered_with_is_in_the_readme_table() -> None:
    answered = {
        value
        for name, value in vars(errors).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[A-Z_]+", value)
    }
    answered -= {errors.CLIENT_CLOSED}  # in the audit log only: the client is gone
    answered |= {walk.CONSENT_REQUIRED, walk.FORBIDDEN_FIELD, *ROUTE_CODES}
    assert sorted(answered - _table_codes()) == []
