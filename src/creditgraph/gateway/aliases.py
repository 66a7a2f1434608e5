"""The gateway's own names in the documents it writes: one reserved prefix, one namespace
per part of the gateway that adds them.

The gateway asks subgraphs for things no client asked for: key and `@requires`
fields the planner needs, and fields a subgraph types differently (`plan`); a
record's key, its owners and the values masks read, and the records fetched by
key (`policy`); several `_entities` calls sent as one request (`batch`). Each
such response key, alias or variable is `_cg_<namespace>_<name>`: nothing a
part of the gateway adds can meet what another part adds, and none is mistaken
for a client's key. Under the edition policy a client's response key starting
with the prefix is refused (`uses_reserved_key`); the response is shaped from
the client's own selection, so none of these names ever reaches a client.
"""

from __future__ import annotations

from typing import Final

from creditgraph.gateway.operation import Fragment, Selection

RESERVED: Final = "_cg_"
PLAN: Final = "plan"
POLICY: Final = "policy"
BATCH: Final = "batch"


def alias(namespace: str, name: str) -> str:
    """The gateway's own name for `name`, in the part `namespace` (PLAN, POLICY, BATCH)."""
    return f"{RESERVED}{namespace}_{name}"


def is_reserved(key: str) -> bool:
    """Whether a response key is one the gateway added for itself."""
    return key.startswith(RESERVED)


def uses_reserved_key(selections: list[Selection]) -> bool:
    """Whether a client's response key could be mistaken for one of the gateway's own."""
    for item in selections:
        if isinstance(item, Fragment):
            if uses_reserved_key(item.selections):
                return True
        elif is_reserved(item.response_key) or uses_reserved_key(item.selections or []):
            return True
    return False
