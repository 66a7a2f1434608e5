"""A view: what one record's part of a response may hold, and the selection that fetches it.

A record is anything the policy gives owners (a subject, an account, a
guarantee). Its view is an edition, narrowed to the policy's view of the edge
that reached it when the requester has no entitlement of its own to any of
its owners. `Restrictor` turns the client's selection under a record into the
selection the gateway sends: denied fields removed (so they are never
requested from a subgraph), the fields masks and filters read added under the
gateway's own aliases, and every record reached below fetched with its key and
its owners, in the view it is guessed to get (`guess`): one that never shows
more than the requester may see of it. Its owners then decide its view; the
part fetched ahead is used only when that view would fetch exactly the same
(`Restrictor.fetches_as`), else the record is fetched again in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from creditgraph.access.masks import FILTERS, MASKS, NeedPath
from creditgraph.access.policy import Policy, RecordRule
from creditgraph.gateway.aliases import POLICY, alias
from creditgraph.gateway.operation import Field, Fragment, Selection

# the key a record is fetched under, beside its owners and the values masks read (need_alias),
# all in the policy's own namespace of the gateway's names (gateway/aliases.py)
KEY_ALIAS: Final = alias(POLICY, "key")


@dataclass(frozen=True, slots=True)
class View:
    """How one record's part is seen.

    `edition` alone: the whole edition. With `linked` (a record reached from another
    subject's report, of type `record`): those fields of the record, as that report's
    `edition` shows them; the rest only through `own`, the edition of the requester's own
    entitlement to one of the record's owners, if it has one. A reached record thus gets
    what the report it was reached from shows of it *and* what its owners' grants open: a
    weaker grant of its own (SOCIAL) never hides what the report shows.
    """

    edition: str
    linked: frozenset[str] | None = None
    own: str | None = None
    record: str | None = None
    # the most months of history the entitlements behind this view allow (a grant's data
    # period); None: no limit but the data's
    history: int | None = None

    def part(self, edition: str) -> View:
        """The view of what lies below a field this view shows in `edition`."""
        return View(edition, history=self.history)

    def edition_of(self, policy: Policy, type_name: str, field: str) -> str | None:
        """The edition whose rules show this field (masks, filters, what lies below), or None.

        None too for a value derived from more history than the view's data period allows
        (`beyond`): whichever edition would show it, it is withheld.
        """
        edition = self.shown_in(policy, type_name, field)
        if edition is None or self.beyond(policy, type_name, field) is not None:
            return None
        return edition

    def shown_in(self, policy: Policy, type_name: str, field: str) -> str | None:
        """The edition whose rules show this field, the data period aside."""
        if self.linked is None or type_name != self.record:
            return self.edition if policy.sees(type_name, field, self.edition) else None
        if field in self.linked and policy.sees(type_name, field, self.edition):
            return self.edition
        if self.own is not None and policy.sees(type_name, field, self.own):
            return self.own
        return None

    def beyond(self, policy: Policy, type_name: str, field: str) -> int | None:
        """The field's window (months) when this view's data period falls short of it."""
        return policy.beyond(type_name, field, self.history)

    def opened_by_own(self, policy: Policy, type_name: str, field: str) -> bool:
        """Whether only the requester's own entitlement shows this field: a look at the
        record's owner, where what the report shows anyway is none."""
        if self.linked is None or self.own is None or type_name != self.record:
            return False
        shown_anyway = field in self.linked and policy.sees(type_name, field, self.edition)
        return not shown_anyway and policy.sees(type_name, field, self.own)


def need_alias(path: NeedPath) -> str:
    return alias(POLICY, "need_" + "_".join(path))


def need_field(path: NeedPath) -> Field:
    """`path` as a selection, aliased at every level so it never meets a client key."""
    head, *rest = path
    return Field(
        response_key=need_alias((head,)) if rest else need_alias(path),
        name=head,
        arguments=(),
        selections=[need_field(tuple(rest))] if rest else None,
    )


def read_need(source: dict[str, object], path: NeedPath) -> object:
    head, *rest = path
    if not rest:
        return source.get(need_alias(path))
    inner = source.get(need_alias((head,)))
    return read_need(inner, tuple(rest)) if isinstance(inner, dict) else None


def read_owners(source: dict[str, object], record: RecordRule) -> tuple[str, ...]:
    """Every owner's identifier the fetched record holds, whatever lists lie on the way."""
    found: dict[str, None] = {}
    for path in record.owners.values():
        found.update(dict.fromkeys(_read_all(source, path)))
    return tuple(found)


def _read_all(source: object, path: NeedPath) -> list[str]:
    if isinstance(source, list):
        return [item for inner in source for item in _read_all(inner, path)]
    if not isinstance(source, dict):
        return []
    head, *rest = path
    if not rest:
        value = source.get(need_alias(path))
        return [value] if isinstance(value, str) else []
    return _read_all(source.get(need_alias((head,))), tuple(rest))


def checkpoint_selection(record: RecordRule) -> list[Selection]:
    """What is fetched of a record before its view is decided: its key and its owners."""
    return [Field(KEY_ALIAS, record.key, (), None), *map(need_field, record.owners.values())]


def holder(view: View) -> str | None:
    """The edition of the requester's own entitlement a record's `view` rests on: the
    edition of a record asked for, the `own` one of a record reached (None: none)."""
    return view.edition if view.linked is None else view.own


def guess(
    policy: Policy, edge: str, child: str, edition: str, history: int | None, owner: str | None
) -> View:
    """The view a record of type `child` reached through `edge` is fetched ahead in: the
    edge's view of it in `edition` (that of the field reaching it), the least any view
    decided for it shows; through an edge along which it is always the reaching record's
    owner's own, also the edition of the requester's entitlement to that owner (`owner`,
    from `holder`), which its owners' decision then gives it (or one that shows more)."""
    record = policy.record(child)
    assert record is not None, "only records are guessed"
    own = owner if edge in record.owned_through else None
    return View(edition, policy.view(edge), own, child, history)


class Restrictor:
    """Builds the fetched selection for a view; pure, so its results can be cached.

    `ahead`: each record reached below is fetched in its guessed view (`guess`) beside its
    key and owners; without it, only its key and owners (each then fetched in a wave of its
    own once its view is decided)."""

    def __init__(self, schema: GraphQLSchema, policy: Policy, *, ahead: bool = True) -> None:
        self.schema = schema
        self.policy = policy
        self.ahead = ahead

    def record(self, type_name: str, selections: list[Selection], view: View) -> list[Selection]:
        """The selection fetching a record's view; its key always, so it is never empty."""
        record = self.policy.record(type_name)
        assert record is not None, "only records are fetched by view"
        return [
            Field(KEY_ALIAS, record.key, (), None),
            *self._restrict(type_name, selections, view, holder(view)),
        ]

    def fetches_as(
        self, type_name: str, selections: list[Selection], decided: View, guessed: View
    ) -> bool:
        """Whether a record fetched in `guessed` was fetched as `decided` fetches it: the
        same selection, records below guessed alike, under the same history limit. Only
        then may its part fetched ahead be walked in `decided`; else it is fetched again."""
        if decided == guessed:
            return True
        if decided.history != guessed.history:
            return False
        return _spelled(self.record(type_name, selections, decided)) == _spelled(
            self.record(type_name, selections, guessed)
        )

    def _restrict(
        self, type_name: str, selections: list[Selection], view: View, owner: str | None
    ) -> list[Selection]:
        """`selections` as `view` lets them be fetched; `owner`, the edition of the
        entitlement the enclosing record's view rests on (`holder`), for the guesses."""
        type_ = self.schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        kept: list[Selection] = []
        needs: dict[NeedPath, None] = {}
        for item in selections:
            if isinstance(item, Fragment):
                condition = item.type_condition or type_name
                kept.append(
                    Fragment(condition, self._restrict(condition, item.selections, view, owner))
                )
                continue
            if item.name == "__typename":
                kept.append(item)
                continue
            edition = view.edition_of(self.policy, type_name, item.name)
            if edition is None:
                continue
            rule = self.policy.rule(type_name, item.name)
            mask = rule.masks.get(edition)
            if mask is not None:
                needs.update(dict.fromkeys(MASKS[mask].needs))
            child = get_named_type(type_.fields[item.name].type).name
            if item.selections is None:
                kept.append(item)
                continue
            record = self.policy.record(child)
            if record is not None:
                inner = checkpoint_selection(record)
                if self.ahead:
                    edge = f"{type_name}.{item.name}"
                    ahead = guess(self.policy, edge, child, edition, view.history, owner)
                    inner += self._restrict(child, item.selections, ahead, holder(ahead))
            else:
                inner = self._restrict(child, item.selections, view.part(edition), owner)
                filter_ = rule.filters.get(edition)
                if filter_ is not None:
                    inner += [need_field(path) for path in FILTERS[filter_].needs]
            kept.append(Field(item.response_key, item.name, item.arguments, inner))
        kept += [need_field(path) for path in needs]
        return kept


Spelled = tuple[object, ...]


def _spelled(selections: list[Selection]) -> Spelled:
    """A selection as a value, comparable with another: what it fetches, field by field."""
    return tuple(
        (
            "...",
            item.type_condition,
            _spelled(item.selections),
        )
        if isinstance(item, Fragment)
        else (
            item.response_key,
            item.name,
            item.arguments,
            None if item.selections is None else _spelled(item.selections),
        )
        for item in selections
    )
