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

from creditgraph.access.masks import FILTERS, MASKS, Filter, Mask, Viewer
from creditgraph.access.policy import Policy, RecordRule
from creditgraph.access.views import KEY_ALIAS, View, guess, holder, read_need, read_owners
from creditgraph.gateway.cache import LRUCache
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
    # the view it was fetched ahead in (views.guess), and what that fetch gave beside its key
    # and owners: walked only if its decided view fetches as that one (Restrictor.fetches_as)
    guess: View | None = None
    ahead: dict[str, Any] | None = None


def denial(type_name: str, name: str, view: View, policy: Policy, path: Path) -> dict[str, Any]:
    """The error at a withheld field: what would open it, and the edition it was judged in."""
    shown = view.shown_in(policy, type_name, name)
    months = view.beyond(policy, type_name, name)
    if shown is not None and months is not None:
        # the edition shows it; only a grant reaching further back would
        entry = error(
            f"{type_name}.{name} is derived from the last {months} months of history, "
            f"beyond the grant's data period of {view.history} months",
            CONSENT_REQUIRED,
            path,
        )
        entry["extensions"].update(
            edition=shown, dataPeriodMonths=view.history, windowMonths=months
        )
        return entry
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


@dataclass(frozen=True, slots=True)
class _Step:
    """One field of an object's selection, judged once for a type and view: whether the
    view shows it (`edition`, None when withheld), what is done to its value, and how what
    lies below it is walked (`below` for a part of the record, `record` for another one)."""

    key: str
    name: str
    coordinate: str
    edition: str | None
    opened: bool
    mask: Mask | None
    filter: Filter | None
    selections: list[Selection] | None
    child: str
    record: RecordRule | None
    below: _Shape | None
    # the view a record reached here is fetched ahead in
    guess: View | None


@dataclass(frozen=True, slots=True)
class _Shape:
    """An object's selection judged for its type and view, once per operation.

    `quiet`: nothing in it or below it is withheld, masked, filtered, opened by the
    requester's own entitlement or another record, so walking an object of it only notes
    the coordinates that hold a value (`coordinates`, every one it can note): once all are
    noted, such an object is not walked at all. The walk's cost thus follows what is
    withheld, masked and reached, not the size of the answer.
    """

    type_name: str
    view: View
    steps: tuple[_Step, ...]
    quiet: bool
    coordinates: frozenset[str]


class Shapes:
    """The shapes of one operation's records, by type, selection (by identity: the
    operation holds its selections) and view; bounded, as views depend on the data."""

    def __init__(self, size: int = 256) -> None:
        self._found: LRUCache[tuple[str, int, View], _Shape] = LRUCache(size)

    def get(
        self,
        walk: Walk,
        type_name: str,
        selections: list[Selection],
        view: View,
    ) -> _Shape:
        key = (type_name, id(selections), view)
        found = self._found.get(key)
        if found is None:
            found = _compile(walk, type_name, selections, view, holder(view))
            self._found.put(key, found)
        return found


def _compile(
    walk: Walk, type_name: str, selections: list[Selection], view: View, owner: str | None
) -> _Shape:
    """The shape of `selections` on an object of `type_name` seen in `view`, in a record
    whose view rests on an entitlement of the requester's in edition `owner` (None: none)."""
    policy = walk.policy
    type_ = walk.schema.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    steps: list[_Step] = []
    quiet = True
    coordinates: set[str] = set()
    for collected in walk.operation.collect(selections, type_name, walk.possible):
        key, name = collected.response_key, collected.name
        if name == "__typename":
            continue
        coordinate = f"{type_name}.{name}"
        child = get_named_type(type_.fields[name].type).name
        edition = view.edition_of(policy, type_name, name)
        if edition is None:
            steps.append(
                _Step(key, name, coordinate, None, False, None, None, None, child, None, None, None)
            )
            quiet = False
            continue
        rule = policy.rule(type_name, name)
        mask_name = rule.masks.get(edition)
        filter_name = rule.filters.get(edition)
        opened = view.opened_by_own(policy, type_name, name)
        record = policy.record(child) if collected.selections is not None else None
        below = None
        guessed = None
        if record is not None:
            guessed = guess(policy, coordinate, child, edition, view.history, owner)
        if collected.selections is not None and record is None:
            below = _compile(walk, child, collected.selections, view.part(edition), owner)
            coordinates |= below.coordinates
            quiet = quiet and below.quiet
        steps.append(
            _Step(
                key,
                name,
                coordinate,
                edition,
                opened,
                None if mask_name is None else MASKS[mask_name],
                None if filter_name is None else FILTERS[filter_name],
                collected.selections,
                child,
                record,
                below,
                guessed,
            )
        )
        coordinates.add(coordinate)
        quiet = quiet and not (
            opened or mask_name is not None or filter_name is not None or record is not None
        )
    return _Shape(type_name, view, tuple(steps), quiet, frozenset(coordinates))


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
    # the operation's shapes, judged once and kept across walks (the caller's to share)
    shapes: Shapes = field(default_factory=Shapes)

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
        self._object(self.shapes.get(self, type_name, selections, view), data, path)
        return self.opened

    def _object(self, shape: _Shape, data: dict[str, Any], path: Path) -> None:
        returned = self.returned
        if shape.quiet and shape.coordinates <= returned:
            return
        for step in shape.steps:
            key = step.key
            if step.edition is None:
                data.pop(key, None)
                self.errors.append(
                    denial(shape.type_name, step.name, shape.view, self.policy, [*path, key])
                )
                continue
            if step.opened:
                self.opened = True
            value = data.get(key)
            mask = step.mask
            if mask is not None:
                needed = {need: read_need(data, need) for need in mask.needs}
                value = data[key] = mask.apply(step.name, value, needed, self.viewer)
            keep = step.filter
            if keep is not None and isinstance(value, list):
                value = data[key] = [
                    item
                    for item in value
                    if not isinstance(item, dict)
                    or keep.keep({need: read_need(item, need) for need in keep.needs}, self.viewer)
                ]
            if value is None:
                continue
            returned.add(step.coordinate)
            if step.selections is None:
                continue
            below = step.below
            if below is not None and below.quiet and below.coordinates <= returned:
                continue
            items: list[tuple[Any, Where]] = []
            flatten(value, None, items)
            for item, where in items:
                if not isinstance(item, dict):
                    continue
                item_path = [*path, key, *spelled(where)]
                if below is not None:
                    self._object(below, item, item_path)
                    continue
                record = step.record
                assert record is not None
                found = item.pop(KEY_ALIAS, None)
                owners = read_owners(item, record)
                # nothing fetched of it is the client's before its view is decided
                ahead = dict(item)
                item.clear()
                if found is not None:
                    self.reached.append(
                        Reached(
                            step.child,
                            str(found),
                            owners,
                            item,
                            step.selections,
                            item_path,
                            f"{shape.type_name}.{step.name}",
                            step.edition,
                            shape.view.history,
                            step.guess,
                            ahead,
                        )
                    )
