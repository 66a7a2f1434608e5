"""Walking one record's fetched part against the client's selection.

After a record's view is fetched, this walk does what must happen before
anything leaves the gateway: applies masks and filters to the fetched
values, puts an error at every selected field the view withholds (the value
stays absent, so the response shaper gives null there), and finds the
records reached below (subjects, accounts, guarantees: whatever the policy
gives owners), whose views are decided next from their owners. It also
collects the coordinates returned, for the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from creditgraph.access.masks import FILTERS, MASKS, Viewer
from creditgraph.access.policy import Policy
from creditgraph.access.views import KEY_ALIAS, View, read_need, read_owners
from creditgraph.gateway.errors import Path, error
from creditgraph.gateway.operation import Operation, PossibleTypes, Selection
from creditgraph.gateway.tree import Where, flatten, spelled

CONSENT_REQUIRED = "CONSENT_REQUIRED"
FORBIDDEN_FIELD = "FORBIDDEN_FIELD"


@dataclass(slots=True)
class Reached:
    """A record met inside another record's part: its view is decided next, from its owners."""

    type_name: str
    key: str
    owners: tuple[str, ...]
    target: dict[str, Any]
    selections: list[Selection]
    path: Path
    # the edge that reached it (Type.field), and the edition of the report it was reached from
    edge: str
    parent: str
    # the history limit of the view it was reached in
    history: int | None


def denial(type_name: str, name: str, view: View, policy: Policy, path: Path) -> dict[str, Any]:
    """The error at a withheld field: what would open it, and the edition it was judged in."""
    if view.own is None and view.linked is not None and policy.sees(type_name, name, view.edition):
        entry = error(
            f"{type_name}.{name} of a record reached from another's report needs the "
            "consent of one whose record it is",
            CONSENT_REQUIRED,
            path,
        )
        edition = view.edition
    else:
        edition = view.own or view.edition
        entry = error(
            f"the {edition} edition does not show {type_name}.{name}", FORBIDDEN_FIELD, path
        )
    entry["extensions"]["edition"] = edition
    return entry


@dataclass(slots=True)
class Walk:
    schema: GraphQLSchema
    policy: Policy
    operation: Operation
    possible: PossibleTypes
    viewer: Viewer
    errors: list[dict[str, Any]] = field(default_factory=list)
    reached: list[Reached] = field(default_factory=list)
    returned: set[str] = field(default_factory=set)

    # whether the record being walked showed a field only its owner's entitlement opens
    opened: bool = False

    def record(
        self,
        type_name: str,
        data: dict[str, Any],
        selections: list[Selection],
        view: View,
        path: Path,
    ) -> bool:
        """Walk one record's part; whether the requester's own entitlement opened any of it
        (what the report it was reached from shows anyway is no look at its owner)."""
        self.opened = False
        self._object(type_name, data, selections, view, path)
        return self.opened

    def _object(
        self,
        type_name: str,
        data: dict[str, Any],
        selections: list[Selection],
        view: View,
        path: Path,
    ) -> None:
        type_ = self.schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        for collected in self.operation.collect(selections, type_name, self.possible):
            key, name = collected.response_key, collected.name
            if name == "__typename":
                continue
            here = [*path, key]
            edition = view.edition_of(self.policy, type_name, name)
            if edition is None:
                data.pop(key, None)
                self.errors.append(denial(type_name, name, view, self.policy, here))
                continue
            self.opened = self.opened or view.opened_by_own(self.policy, type_name, name)
            rule = self.policy.rule(type_name, name)
            value = data.get(key)
            mask = rule.masks.get(edition)
            if mask is not None:
                found = MASKS[mask]
                needed = {need: read_need(data, need) for need in found.needs}
                value = data[key] = found.apply(name, value, needed, self.viewer)
            filter_ = rule.filters.get(edition)
            if filter_ is not None and isinstance(value, list):
                keep = FILTERS[filter_]
                value = data[key] = [
                    item
                    for item in value
                    if not isinstance(item, dict)
                    or keep.keep({need: read_need(item, need) for need in keep.needs}, self.viewer)
                ]
            if value is not None:
                self.returned.add(f"{type_name}.{name}")
            if collected.selections is None:
                continue
            child = get_named_type(type_.fields[name].type).name
            record = self.policy.record(child)
            below: list[tuple[Any, Where]] = []
            flatten(value, None, below)
            for item, where in below:
                if not isinstance(item, dict):
                    continue
                item_path = [*here, *spelled(where)]
                if record is None:
                    self._object(child, item, collected.selections, view.part(edition), item_path)
                    continue
                key = item.pop(KEY_ALIAS, None)
                owners = read_owners(item, record)
                item.clear()  # the key and owners were fetched for the gateway, not the client
                if key is not None:
                    self.reached.append(
                        Reached(
                            child,
                            str(key),
                            owners,
                            item,
                            collected.selections,
                            item_path,
                            f"{type_name}.{name}",
                            edition,
                            view.history,
                        )
                    )
