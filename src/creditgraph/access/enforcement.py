"""The policy layer: every owned record reached is a checkpoint.

A query is answered in waves. Each wave takes the records whose view is
known (the root subject first), fetches for each only what its view allows
(one synthetic operation per wave, with a root field for each record type,
selection and view, through the bureau's internal root for that type, such
as `subjects(identifiers:)` or `creditAccounts(ids:)`, so the planner sends
each subgraph one fetch for the whole wave), then walks what came back
(access/walk.py: masks and filters applied, withheld fields explained, and
the records reached below collected with their keys and owners only).
Their views are decided together from their owners (graphql/policy.toml's
`[records]`), and they form the next wave.
Nothing of a record is requested before what the requester may see of it is
decided: a subject, an account, a guarantee alike.

The response is then shaped from the client's own operation, so the
gateway's keys and aliases never leave it. Every request ends in the audit
log, with the inquiries it made, in one transaction, written by the record
stage (`PolicyGateway.record`) before the answer leaves, or, for a mutation,
in the transaction of its writes: if that write fails, no data is returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final
from weakref import WeakKeyDictionary

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from graphql import (
    ArgumentNode,
    GraphQLArgument,
    GraphQLObjectType,
    NameNode,
    ObjectTypeDefinitionNode,
    TypeNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    value_from_ast,
)

from creditgraph.access import audit, editions, recording
from creditgraph.access.editions import Entitlement, KnownRequester
from creditgraph.access.masks import Viewer
from creditgraph.access.policy import SUBJECT_TYPE, Policy, PolicyError
from creditgraph.access.views import Restrictor, View
from creditgraph.access.walk import CONSENT_REQUIRED, FORBIDDEN_FIELD, Reached, Shapes, Walk
from creditgraph.db.faults import database_fault
from creditgraph.eligibility import answers as answering
from creditgraph.eligibility import catalogue
from creditgraph.gateway import writes
from creditgraph.gateway.aliases import POLICY, RESERVED, alias, uses_reserved_key
from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.engine import Gateway, PreparedOperation
from creditgraph.gateway.errors import (
    BAD_USER_INPUT,
    SUBGRAPH_UNAVAILABLE,
    Path,
    RequestError,
    error,
    response,
)
from creditgraph.gateway.executor import Execution
from creditgraph.gateway.introspection import needs_no_subgraph
from creditgraph.gateway.operation import (
    CollectedField,
    Field,
    Operation,
    Selection,
    normalize,
)
from creditgraph.gateway.persisted_queries import owner_of
from creditgraph.gateway.plan import Plan
from creditgraph.gateway.stages.execute import ExecuteStage
from creditgraph.gateway.stages.plan import PlanStage
from creditgraph.gateway.stages.record import Ran
from creditgraph.gateway.stages.shape import ShapeStage
from creditgraph.gateway.supergraph import Supergraph
from creditgraph.gateway.tree import copied
from creditgraph.identifiers import InvalidIdentifier, normalise_identifier, validate_identifier
from creditgraph.requester import Requester

UNAUTHENTICATED: Final = "UNAUTHENTICATED"
INTERNAL: Final = "INTERNAL_SERVER_ERROR"
RECORDS_KEY: Final = alias(POLICY, "records")
# the distinct wave operations kept per client operation
_WAVES_PER_OPERATION: Final = 64
KEYS_VARIABLE: Final = alias(POLICY, "keys")
# when one requester is entitled to several owners of a record, the edition that shows most
_PREFERENCE: Final = ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT")


# the root field answering a yes/no question the subject shared (eligibility/)
ELIGIBILITY: Final = "eligibility"
ELIGIBILITY_RESULT: Final = "EligibilityResult"


@dataclass(frozen=True, slots=True)
class _Fetch:
    """How the records of one type are fetched by key: the internal root and its keys
    argument (checked at start)."""

    field: str
    argument: NameNode
    type: TypeNode

    def arguments(self, variable: str = KEYS_VARIABLE) -> tuple[ArgumentNode, ...]:
        """The root's argument: its keys from `variable`. A view's history limit is not an
        argument of the root: it travels with the requester to every fetch (`_fetch_groups`)."""
        keys = ArgumentNode(name=self.argument, value=VariableNode(name=NameNode(value=variable)))
        return (keys,)

    def declaration(self, variable: str = KEYS_VARIABLE) -> VariableDefinitionNode:
        """The declaration of the variable holding the keys."""
        return VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=variable)), type=self.type
        )


def _fetches(supergraph: Supergraph, policy: Policy) -> dict[str, _Fetch]:
    """Each record type's internal root, as the supergraph declares it; refuse one it lacks."""
    query = next(
        (
            item
            for item in supergraph.document.definitions
            if isinstance(item, ObjectTypeDefinitionNode) and item.name.value == "Query"
        ),
        None,
    )
    roots = {item.name.value: item for item in (query.fields or () if query else ())}
    found: dict[str, _Fetch] = {}
    for type_name, record in policy.records.items():
        root = roots.get(record.fetch)
        arguments = {item.name.value: item for item in ((root.arguments or ()) if root else ())}
        if root is None or len(arguments) != 1:
            raise PolicyError(
                f"records.{type_name}: the supergraph has no root {record.fetch} taking one "
                "list of keys"
            )
        (argument,) = arguments.values()
        found[type_name] = _Fetch(record.fetch, argument.name, argument.type)
    return found


# a wave's groups, as its operation is cached: each group's record type, the identity of the
# client's selection under it, and its view
_Sites = tuple[tuple[str, int, View], ...]


@dataclass(slots=True)
class _Compiled:
    """What is derived once from a client operation: whether it uses a reserved response key,
    the operations fetching its waves, keyed by each group's type, selection identity and
    view (bounded: which groups a wave holds depends on the data), and the shapes its records
    are walked in."""

    reserved_key: bool
    waves: LRUCache[_Sites, PreparedOperation] = field(
        default_factory=lambda: LRUCache(_WAVES_PER_OPERATION)
    )
    shapes: Shapes = field(default_factory=Shapes)
    # whether a record fetched ahead in one view (the second) was fetched as the view its
    # owners decided (the first) fetches it, by type and selection identity
    fetched_as: LRUCache[tuple[str, int, View, View], bool] = field(
        default_factory=lambda: LRUCache(_WAVES_PER_OPERATION)
    )


@dataclass(slots=True)
class _Checkpoint:
    """A record whose view is decided and whose part is still to fetch."""

    type_name: str
    key: str
    owners: tuple[str, ...]
    view: View
    selections: list[Selection]
    target: dict[str, Any]
    path: Path
    purpose: str
    # the requester's own entitlement the view rests on, and the owner it is to
    entitlement: Entitlement | None
    owner: str | None
    # its part as fetched ahead with the record that reached it, when that fetch was the
    # one its view makes: walked as it is, not fetched again
    ahead: dict[str, Any] | None = None


@dataclass(slots=True)
class _Request:
    """Everything one request accumulates on its way through the waves."""

    operation: Operation
    variables: dict[str, Any]
    coerced: dict[str, Any]
    known: KnownRequester
    viewer: Viewer
    errors: list[dict[str, Any]] = field(default_factory=list)
    looked: dict[tuple[str, str], Entitlement] = field(default_factory=dict)
    # every (subject, purpose) decided so far: None where the requester is entitled to nothing
    entitled: dict[tuple[str, str], Entitlement | None] = field(default_factory=dict)
    subjects: dict[str, None] = field(default_factory=dict)
    returned: set[str] = field(default_factory=set)
    denied: int = 0
    # the eligibility answers given, recorded with the request
    answers: list[answering.Answer] = field(default_factory=list)
    # the data periods (months) the request's fetches were made under: the answer names them
    periods: set[int] = field(default_factory=set)


class PolicyGateway:
    """The gateway with the edition policy enforced in front of planning."""

    def __init__(
        self, gateway: Gateway, policy: Policy, pool: asyncpg.Pool, *, fetch_ahead: bool = True
    ) -> None:
        """`fetch_ahead`: each reached record is fetched with the record reaching it, in the
        view it is guessed to get, and again only when its decided view fetches otherwise
        (access/views.py); without it, each is fetched once its view is decided, in a wave
        of its own (the design fetching ahead replaced, kept to hold it to)."""
        policy.check(gateway.schema)
        self.fetches = _fetches(gateway.supergraph, policy)
        self.gateway = gateway
        # the stages this one runs its waves, predicates and mutations through, the same
        # objects the pipeline names after it (gateway/stages/pipeline.py's `Access`)
        self.planning: PlanStage = gateway.planning
        self.executor: ExecuteStage = gateway.executor
        self.shaper: ShapeStage = gateway.shaper
        self.policy = policy
        self.pool = pool
        # every query's and refusal's record goes through it: one transaction per group
        self.recorder = recording.GroupCommit(pool)
        self.restrictor = Restrictor(gateway.schema, policy, ahead=fetch_ahead)
        # per client operation (bounded by the gateway's operation cache, which holds them):
        # what is derived from it once, its wave operations and its records' shapes
        self.compiled: WeakKeyDictionary[Operation, _Compiled] = WeakKeyDictionary()
        # per client mutation, likewise: its own plan
        self.mutations: WeakKeyDictionary[Operation, Plan] = WeakKeyDictionary()
        self.predicates = self._predicates()
        self.purposes = catalogue.shipped().purposes if self.predicates else {}

    def _predicates(self) -> dict[str, tuple[catalogue.Predicate, PreparedOperation]]:
        """Each shareable predicate with the fetch that reads its data, planned once.

        Only where the schema serves `eligibility`: the catalogue is checked against the
        schema and this policy first, so a predicate that could not be answered stops the
        gateway at start. Each reads the subject through the internal root that fetches
        subjects by key, in the SUBJECT edition's view, and reaches no record of another
        owner (checked), so the one fetch is all an answer needs.
        """
        query = self.gateway.schema.query_type
        if query is None or ELIGIBILITY not in query.fields:
            return {}
        found = catalogue.shipped()
        found.check(self.gateway.schema, self.policy)
        fetch = self.fetches[SUBJECT_TYPE]
        plans: dict[str, tuple[catalogue.Predicate, PreparedOperation]] = {}
        for predicate in found.predicates.values():
            parsed = normalize(parse(f"{{ me {{ {predicate.select} }} }}"), None, {})
            (me,) = parsed.selections
            assert isinstance(me, Field)
            assert me.selections is not None
            root = Field(RECORDS_KEY, fetch.field, fetch.arguments(), me.selections)
            synthetic = Operation(
                kind="query",
                name=None,
                selections=[root],
                variable_definitions={KEYS_VARIABLE: fetch.declaration()},
                definition=parsed.definition,
                fragments={},
            )
            plans[predicate.code] = (
                predicate,
                PreparedOperation(synthetic, self.planning.plan(synthetic)),
            )
        return plans

    async def confirm(self, requester: Requester) -> None:
        """The token's claims only the database can check, checked (editions.confirm): for the
        ways in that act on a token without running an operation (`GET /live`)."""
        async with self.pool.acquire() as conn:
            await editions.confirm(conn, requester)

    def prepare(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None
    ) -> Operation:
        """The client's operation, validated and normalised but not planned.

        A query is never fetched as the client wrote it: each subject reached is fetched
        through a view operation planned for it (`_view_operation`). Only a mutation runs
        as written, and is planned when it first runs (`_planned`).
        """
        _, operation, _ = self.gateway.operation(query, variables, operation_name)
        return operation

    def operation(self, prepared: Operation) -> Operation:
        """What `prepare` keeps of an operation is the operation itself."""
        return prepared

    def query_owner(self, requester: Requester | None) -> str | None:
        """Whose persisted queries `requester` may use: its own (gateway/persisted_queries.py);
        an anonymous request none, nor anyone else's."""
        if requester is None:
            return None
        return owner_of(requester.role, requester.identifier, requester.operator)

    async def run(
        self,
        operation: Operation,
        variables: dict[str, Any],
        requester: Requester | None,
        request_id: str,
        inquired: set[tuple[str, str]] | None = None,
    ) -> Ran[recording.Record]:
        """The answer to the client's operation (from `prepare`); `variables` as sent; with
        the record the record stage writes before the answer may leave (`record`).

        Every argument the policy reads (the subject asked for, the purpose, a mutation's
        subject) is read from `variables`, the ones this request passes: one source, whatever
        `prepare` was given.

        `inquired`: the (subject, purpose) looks an earlier part of the same request has
        recorded as inquiries (a deferred fragment's part: gateway/defer.py), not recorded
        again; the looks this run records are added to it. Each part has its audit entry."""
        if requester is None:
            if _only_introspection(operation, self.gateway):
                return await self._introspection_only(operation, variables, request_id)
            errors = [error("send a bearer token to see any report", UNAUTHENTICATED)]
            return _refused(request_id, None, operation.name, errors)
        if self._compiled(operation).reserved_key:
            errors = [error(f"response keys starting {RESERVED} are reserved", BAD_USER_INPUT)]
            return _refused(request_id, requester, operation.name, errors)
        if requester.role == "FURNISHER" and operation.kind != "mutation":
            message = (
                "a furnisher's token reports records (the furnishing mutations) and reads nothing"
            )
            errors = [error(message, FORBIDDEN_FIELD)]
            return _refused(request_id, requester, operation.name, errors)
        try:
            coerced = self.gateway.coerce(operation, variables)
        except RequestError as exc:
            return _refused(request_id, requester, operation.name, exc.formatted())
        if operation.kind == "mutation":
            async with self.pool.acquire() as conn:
                who = await editions.known_requester(conn, requester)
            return await self._mutation(operation, variables, coerced, who, request_id)
        # who asks is read with the root fields' entitlements (`_who`), before anything else
        # of the request is looked at; until then the requester counts as one not on record
        unread = KnownRequester(requester, None, None)
        request = _Request(operation, variables, coerced, unread, _viewer(unread))
        data = await self._query(request)
        errors = request.errors
        answer = self.shaper.respond(operation, data, errors)
        if request.periods:
            answer.setdefault("extensions", {})["dataPeriods"] = _data_periods(request)
        record = _record(request, request_id, inquired or set())
        if inquired is not None:
            inquired.update(request.looked)
        return Ran(answer, record)

    # -- queries ---------------------------------------------------------------------------

    async def _query(self, request: _Request) -> dict[str, Any]:
        operation = request.operation
        data: dict[str, Any] = {}
        roots: list[tuple[CollectedField, str, str, Path]] = []
        eligible: list[CollectedField] = []
        fields = self.gateway.collect(operation, operation.selections, "Query")
        for collected in fields:
            if collected.name == ELIGIBILITY:
                data[collected.response_key] = None
                eligible.append(collected)
            elif not needs_no_subgraph(collected.name):
                key = collected.response_key
                asked = self._root_subject(request, collected)
                data[key] = None
                if asked is not None:
                    request.subjects[asked[0]] = None  # asked for: recorded, refused or not
                    roots.append((collected, *asked, [key]))
        await self._who(request, roots)
        request.errors += await self._schema_fields(operation, request.variables, data)
        for collected in eligible:
            await self._eligibility(request, collected, data)
        wave = await self._entitle_roots(request, roots, data)
        while wave:
            # a record whose part came with the record reaching it is walked as it came
            fetched = [checkpoint for checkpoint in wave if checkpoint.ahead is None]
            reached = await self._fetch_wave(request, fetched)
            for ready in _by_purpose(item for item in wave if item.ahead is not None):
                reached += self._walk_group(request, [(item, item.ahead) for item in ready])
            wave = await self._entitle_reached(request, reached)
        return data

    async def _who(
        self, request: _Request, roots: Sequence[tuple[CollectedField, str, str, Path]]
    ) -> None:
        """Who asks, as the gateway's records know them; with it, when the root fields ask
        for one purpose (as a report does), the requester's entitlements to the subjects
        they name, read in the same round trip (editions.known_and_decided)."""
        requester = request.known.requester
        purposes = {purpose for _, _, purpose, _ in roots}
        async with self.pool.acquire() as conn:
            if len(purposes) == 1:
                (purpose,) = purposes
                identifiers = [identifier for _, identifier, _, _ in roots]
                who, decided = await editions.known_and_decided(
                    conn, requester, identifiers, purpose
                )
                request.entitled.update(
                    {(item, purpose): decided.get(item) for item in identifiers}
                )
            else:
                who = await editions.known_requester(conn, requester)
        request.known = who
        request.viewer = _viewer(who)

    def _root_subject(self, request: _Request, root: CollectedField) -> tuple[str, str] | None:
        """The identifier and purpose a root field asks for, or None with the reason why not."""
        requester = request.known.requester
        path: Path = [root.response_key]
        if root.name == "me":
            if requester.role != "SUBJECT":
                request.errors.append(
                    error(
                        "`me` is a subject's own report; an institution asks for `subject`",
                        FORBIDDEN_FIELD,
                        path,
                    )
                )
                request.denied += 1
                return None
            return requester.identifier, editions.SELF
        arguments = self._arguments(request, root, self.gateway.schema.query_type)
        raw = arguments.get("identifier")
        try:
            identifier = normalise_identifier(str(raw))
            validate_identifier(identifier)
        except InvalidIdentifier as exc:
            request.errors.append(error(f"identifier: {exc}", BAD_USER_INPUT, path))
            return None
        return identifier, str(arguments.get("purpose"))

    async def _eligibility(
        self, request: _Request, root: CollectedField, data: dict[str, Any]
    ) -> None:
        """Answer one `eligibility` ask into `data`, or leave it null with the refusal.

        Fails closed at every step: only an institution asks; the subject, predicate and
        purpose must be ones there are; a live share from the subject to this institution
        for this predicate and purpose must exist (CONSENT_REQUIRED, saying why not); the
        data the predicate reads must all be there (SUBGRAPH_UNAVAILABLE: no answer is
        better than one on missing data). Only the answer leaves: the data it was read from
        is never put in the response.
        """
        path: Path = [root.response_key]
        who = request.known
        requester = who.requester
        if requester.role == "SUBJECT":
            request.errors.append(
                error(
                    "eligibility is asked by an institution a subject shared an answer with; "
                    "your own report is `me`",
                    FORBIDDEN_FIELD,
                    path,
                )
            )
            request.denied += 1
            return
        arguments = self._arguments(request, root, self.gateway.schema.query_type)
        try:
            identifier = normalise_identifier(str(arguments.get("subject")))
            validate_identifier(identifier)
        except InvalidIdentifier as exc:
            request.errors.append(error(f"subject: {exc}", BAD_USER_INPUT, path))
            return
        code = str(arguments.get("predicate")).strip().upper()
        purpose = str(arguments.get("purpose")).strip().upper()
        for argument, value, known in (
            ("predicate", code, self.predicates),
            ("purpose", purpose, self.purposes),
        ):
            if value not in known:
                request.errors.append(
                    error(f"{argument} must be one of {', '.join(known)}", BAD_USER_INPUT, path)
                )
                return
        request.subjects[identifier] = None  # asked about: recorded, refused or not
        try:
            async with self.pool.acquire() as conn:
                share = await answering.live_share(conn, identifier, who.id, code, purpose)
        except answering.NoLiveShare as refused:
            request.errors.append(error(str(refused), CONSENT_REQUIRED, path))
            request.denied += 1
            return
        assert who.id is not None  # a live share names an institution on record
        holds = await self._holds(code, identifier)
        if holds is None:
            request.errors.append(
                error(
                    "the data this answer rests on could not all be read: no answer is given",
                    SUBGRAPH_UNAVAILABLE,
                    path,
                )
            )
            return
        answer = answering.Answer(
            uuid.uuid4(),
            share,
            identifier,
            who.id,
            requester.actor,
            code,
            purpose,
            holds,
            datetime.now(UTC),
        )
        request.answers.append(answer)
        request.returned.add(f"Query.{ELIGIBILITY}")
        result = answer.result()
        found = self.gateway.collect(request.operation, root.sub_selections(), ELIGIBILITY_RESULT)
        data[root.response_key] = {item.response_key: result[item.name] for item in found}

    async def _holds(self, code: str, identifier: str) -> bool | None:
        """Whether the predicate holds of the subject; None when its data could not all be
        read (a subgraph failed, or a value it reads is null)."""
        predicate, prepared = self.predicates[code]
        execution = await self.executor.execute(prepared.plan, {KEYS_VARIABLE: [identifier]})
        if execution.errors:
            return None
        (fetched,) = execution.data.get(RECORDS_KEY) or [None]
        try:
            return predicate.holds(fetched or {})
        except catalogue.Unanswerable:
            return None

    def _arguments(
        self, request: _Request, root: CollectedField, parent: GraphQLObjectType | None
    ) -> dict[str, Any]:
        """A root field's arguments, variables read as coerced (an absent one takes its default)."""
        assert parent is not None  # a root field was collected, so its root type exists
        definition = parent.fields[root.name]
        found: dict[str, Any] = {}
        for argument in root.arguments:
            target: GraphQLArgument = definition.args[argument.name.value]
            found[argument.name.value] = value_from_ast(
                argument.value, target.type, request.coerced
            )
        return found

    async def _entitle_roots(
        self,
        request: _Request,
        roots: Sequence[tuple[CollectedField, str, str, Path]],
        data: dict[str, Any],
    ) -> list[_Checkpoint]:
        wave: list[_Checkpoint] = []
        for root, identifier, purpose, path in roots:
            found = (await self._entitlements(request, [identifier], purpose))[identifier]
            if found is None:
                request.errors.append(
                    error(
                        f"no live consent or mandate lets you see this subject for {purpose}",
                        CONSENT_REQUIRED,
                        path,
                    )
                )
                request.denied += 1
                continue
            target: dict[str, Any] = {}
            data[root.response_key] = target
            wave.append(
                _Checkpoint(
                    SUBJECT_TYPE,
                    identifier,
                    (identifier,),
                    View(found.edition, history=found.data_period_months),
                    root.selections or [],
                    target,
                    path,
                    purpose,
                    found,
                    identifier,
                )
            )
        return wave

    async def _entitlements(
        self, request: _Request, identifiers: Sequence[str], purpose: str
    ) -> dict[str, Entitlement | None]:
        """The requester's own entitlement to each subject for `purpose`, decided once a request."""
        missing = [
            item for item in dict.fromkeys(identifiers) if (item, purpose) not in request.entitled
        ]
        if missing:
            async with self.pool.acquire() as conn:
                decided = await editions.decide(conn, request.known, missing, purpose)
            request.entitled.update({(item, purpose): decided.get(item) for item in missing})
        return {item: request.entitled[(item, purpose)] for item in identifiers}

    async def _entitle_reached(
        self, request: _Request, reached: list[tuple[Reached, str]]
    ) -> list[_Checkpoint]:
        """Reached records are seen as their owners' entitlements allow, for the purpose of the
        report they were reached from; without one, as the edge's view shows another's record."""
        by_purpose: dict[str, list[str]] = {}
        for item, purpose in reached:
            by_purpose.setdefault(purpose, []).extend(item.owners)
        for purpose, owners in by_purpose.items():
            await self._entitlements(request, owners, purpose)
        wave = []
        for item, purpose in reached:
            owned = [
                (owner, found)
                for owner in item.owners
                if (found := request.entitled[(owner, purpose)]) is not None
            ]
            owner, found = min(
                owned, key=lambda pair: _PREFERENCE.index(pair[1].edition), default=(None, None)
            )
            history = item.history
            for _, other in owned:
                # each owner's grant showing as much limits it: the shortest data period holds
                if found is not None and other.edition == found.edition:
                    history = _tighter(history, other.data_period_months)
            view = View(
                item.parent,
                self.policy.view(item.edge),
                found.edition if found else None,
                item.type_name,
                history,
            )
            ahead = None
            if item.guess is not None and self._fetched_as(request, item, view):
                ahead = item.ahead
            wave.append(
                _Checkpoint(
                    item.type_name,
                    item.key,
                    item.owners,
                    view,
                    item.selections,
                    item.target,
                    item.path,
                    purpose,
                    found,
                    owner,
                    ahead,
                )
            )
        return wave

    def _fetched_as(self, request: _Request, item: Reached, view: View) -> bool:
        """Whether `item` was fetched ahead as `view`, its decided view, fetches it."""
        if not self.restrictor.ahead or item.ahead is None or item.guess is None:
            return False
        cache = self._compiled(request.operation).fetched_as
        key = (item.type_name, id(item.selections), view, item.guess)
        found = cache.get(key)
        if found is None:
            found = self.restrictor.fetches_as(item.type_name, item.selections, view, item.guess)
            cache.put(key, found)
        return found

    async def _fetch_wave(
        self, request: _Request, wave: list[_Checkpoint]
    ) -> list[tuple[Reached, str]]:
        """Fetch a wave's records, then walk each record's part.

        The records are grouped by type, selection, view and purpose; each group is one
        root field of a synthetic operation (its own alias and keys variable), so the
        planner sends each subgraph one fetch for all the groups of the operation, and a
        subgraph's loaders batch the keys of every group alike (a subject reached as a
        spouse and one reached as a guarantor are read by one statement). Each group still
        requests only what its view allows.

        The groups whose views hold the history to the same number of months (a grant's
        data period, or none) share an operation; groups with different limits go in
        operations of their own, fetched side by side, each on behalf of the requester
        carrying its limit (`_fetch_groups`): every fetch of the operation's plan carries
        it, a root field's and an `_entities` fetch after another subgraph's alike, so each
        subject's history stays within its own grant's period whatever shape the plan has.
        """
        grouped: dict[tuple[str, int, View, str], list[_Checkpoint]] = {}
        for checkpoint in wave:
            key = (
                checkpoint.type_name,
                id(checkpoint.selections),
                checkpoint.view,
                checkpoint.purpose,
            )
            grouped.setdefault(key, []).append(checkpoint)
        by_history: dict[int | None, list[list[_Checkpoint]]] = {}
        for group in grouped.values():
            by_history.setdefault(group[0].view.history, []).append(group)
        operations = list(by_history.values())
        executions = await asyncio.gather(
            *(self._fetch_groups(request, groups) for groups in operations)
        )
        # walked in the wave's order, whichever fetch answered first
        reached: list[tuple[Reached, str]] = []
        for groups, (keys, execution) in zip(operations, executions, strict=True):
            reached += self._walk_groups(request, groups, keys, execution)
        return reached

    async def _fetch_groups(
        self, request: _Request, groups: list[list[_Checkpoint]]
    ) -> tuple[list[list[str]], Execution]:
        """One operation fetching `groups`: the keys of each group, and what came back.

        Fetched on behalf of the requester holding the groups' history limit (one limit an
        operation: `_fetch_wave`), which the transport hands every subgraph fetch of the
        plan with the requester itself (in its credential, over HTTP)."""
        prepared = self._wave_operation(
            request.operation,
            tuple((group[0].type_name, group[0].selections, group[0].view) for group in groups),
        )
        keys = [list(dict.fromkeys(member.key for member in group)) for group in groups]
        variables = dict(request.variables)
        for index, found in enumerate(keys):
            variables[_keys_variable(index)] = found
        history = groups[0][0].view.history
        if history is not None:
            request.periods.add(history)
        limited = replace(request.known.requester, history_months=history)
        execution = await self.executor.execute(prepared.plan, variables, limited)
        return keys, execution

    def _walk_groups(
        self,
        request: _Request,
        groups: list[list[_Checkpoint]],
        keys: list[list[str]],
        execution: Execution,
    ) -> list[tuple[Reached, str]]:
        """Walk what one operation fetched for `groups`; the records reached below."""
        # the subgraphs' errors, each under the root field (the group) it is about
        problems: dict[str, list[dict[str, Any]]] = {}
        for problem in execution.errors:
            path = problem.get("path")
            problems.setdefault(str(path[0]) if path else "", []).append(problem)
        reached: list[tuple[Reached, str]] = []
        for index, group in enumerate(groups):
            root = _records_key(index)
            for problem in problems.pop(root, []):
                request.errors += _relocated(problem, keys[index], group)
            by_key = dict(zip(keys[index], execution.data.get(root) or [], strict=False))
            # a record reached at several places is walked at each, on a part of its own
            # (gateway/tree.py): the first takes the part fetched, the others copies
            taken: set[str] = set()
            members: list[tuple[_Checkpoint, Any]] = []
            for member in group:
                fetched = by_key.get(member.key)
                members.append((member, copied(fetched) if member.key in taken else fetched))
                taken.add(member.key)
            reached += self._walk_group(request, members)
        # an error about none of the groups (the gateway's keys never reach the client)
        request.errors += [
            {key: value for key, value in problem.items() if key != "path"}
            for found in problems.values()
            for problem in found
        ]
        return reached

    def _walk_group(
        self, request: _Request, members: list[tuple[_Checkpoint, Any]]
    ) -> list[tuple[Reached, str]]:
        """Walk the fetched part of each record of one group (records of one purpose, each
        with what was fetched of it); the records reached below."""
        walk = Walk(
            self.gateway.schema,
            self.policy,
            request.operation,
            self.gateway.possible,
            request.viewer,
            returned=request.returned,
            shapes=self._compiled(request.operation).shapes,
        )
        for member, fetched in members:
            request.subjects.update(dict.fromkeys(member.owners))
            opened = False
            if isinstance(fetched, dict):
                member.target.update(fetched)
                opened = walk.record(
                    member.type_name, member.target, member.selections, member.view, member.path
                )
            # a look at the subject asked for, or at an owner whose own entitlement showed more
            # than the report it was reached from shows anyway
            asked = member.view.linked is None
            if member.entitlement is not None and member.owner is not None and (asked or opened):
                request.looked.setdefault((member.owner, member.purpose), member.entitlement)
        request.errors += walk.errors
        return [(item, members[0][0].purpose) for item in walk.reached]

    def _compiled(self, operation: Operation) -> _Compiled:
        found = self.compiled.get(operation)
        if found is None:
            # the walk of every selection, once an operation rather than once a request
            found = self.compiled[operation] = _Compiled(uses_reserved_key(operation.selections))
        return found

    def _wave_operation(
        self, operation: Operation, sites: tuple[tuple[str, list[Selection], View], ...]
    ) -> PreparedOperation:
        """The synthetic operation fetching a wave: one root field per site (a record type,
        the client's selection under it and a view), each the view's selection of the
        records whose keys its own variable holds; planned once per operation and sites."""
        cache = self._compiled(operation).waves
        key = tuple((type_name, id(selections), view) for type_name, selections, view in sites)
        found = cache.get(key)
        if found is None:
            roots: list[Selection] = []
            declarations = dict(operation.variable_definitions)
            for index, (type_name, selections, view) in enumerate(sites):
                fetch = self.fetches[type_name]
                variable = _keys_variable(index)
                roots.append(
                    Field(
                        _records_key(index),
                        fetch.field,
                        fetch.arguments(variable),
                        self.restrictor.record(type_name, selections, view),
                    )
                )
                declarations[variable] = fetch.declaration(variable)
            synthetic = Operation(
                kind="query",
                name=None,
                selections=roots,
                variable_definitions=declarations,
                definition=operation.definition,
                fragments={},
            )
            found = PreparedOperation(synthetic, self.planning.plan(synthetic))
            cache.put(key, found)
        return found

    # -- mutations -------------------------------------------------------------------------

    async def _mutation(
        self,
        operation: Operation,
        variables: dict[str, Any],
        coerced: dict[str, Any],
        who: KnownRequester,
        request_id: str,
    ) -> Ran[recording.Record]:
        """A mutation runs only when the policy lets the requester's role call every field of
        it; one refused is recorded by the record stage, one that ran with its write."""
        requester = who.requester
        fields = self.gateway.collect(operation, operation.selections, "Mutation")
        refused = [
            item
            for item in fields
            if item.name != "__typename" and not self.policy.may_call(item.name, requester.role)
        ]
        request = _Request(operation, variables, coerced, who, _viewer(who))
        called = [item for item in fields if item.name != "__typename"]
        # whose file each write changes: a subject's own, or the subject a bank names
        if requester.role == "SUBJECT":
            request.subjects[requester.identifier] = None
        for item in called:
            named = self._arguments(request, item, self.gateway.schema.mutation_type).get("subject")
            if isinstance(named, str):
                request.subjects[named] = None
        if refused:
            request.errors = [
                error(
                    f"a {requester.role.lower()} may not call {item.name}",
                    FORBIDDEN_FIELD,
                    [item.response_key],
                )
                for item in refused
            ]
            request.denied = len(refused)
            return Ran(response(None, request.errors), _record(request, request_id))
        apart = _apart(self._planned(operation))
        if apart is not None:
            first, again = apart
            message = (
                f"{first} and {again} write through one service, in one transaction there: "
                "put them next to each other in the mutation"
            )
            request.errors = [error(message, BAD_USER_INPUT, [again])]
            return Ran(response(None, request.errors), _record(request, request_id))
        return await self._write(request, called, request_id)

    async def _write(
        self, request: _Request, called: Sequence[CollectedField], request_id: str
    ) -> Ran[recording.Record]:
        """Run a mutation so that its writes commit with its audit entry, or neither does.

        Its entry is written here, not by the record stage: it must commit in the transaction
        the writes are decided in, so that a write is never kept unrecorded nor recorded
        undone (the record stage commits its entries in groups: access/recording.py).

        A mutation is all or nothing: when a field of it failed and answered nothing (its own
        error, or a sibling's null spreading over every non-null root field), none of its
        writes is kept, the fields that succeeded included, and the answer has no data. A
        write whose answer the client never sees would otherwise stay, recorded as refused.
        That refusal is then the record stage's to write, as any other.

        The subgraphs write inside a unit the gateway lends them (gateway/writes.py): in
        process, this transaction itself; over HTTP, writes left pending under the unit's
        hold, decided in this transaction and committed once it has.
        """
        async with self.pool.acquire() as conn:
            unit = writes.WriteUnit(conn, uuid.uuid4().hex)
            try:
                await writes.settle(conn)
                async with conn.transaction():
                    with writes.lending(unit):
                        execution = await self.executor.execute(
                            self._planned(request.operation),
                            request.variables,
                            request.known.requester,
                        )
                    answer = self.shaper.respond(
                        request.operation, execution.data, execution.errors
                    )
                    request.errors = list(answer.get("errors") or [])
                    # what the write answered: a field refused (null, with its error) returned
                    # nothing, so a mutation refused whole is recorded as refused
                    data = answer.get("data") or {}
                    request.returned = {
                        f"Mutation.{item.name}"
                        for item in called
                        if data.get(item.response_key) is not None
                    }
                    _whole_or_undone(request, called, data)
                    held = await writes.pending(conn, unit)
                    await writes.decide(conn, held)
                    await recording.write(conn, [_record(request, request_id)])
            except _Undone:
                await _abandon(conn, unit)
                request.returned = set()
                return Ran(response(None, request.errors), _record(request, request_id))
            except (asyncpg.PostgresError, OSError) as exc:
                await _abandon(conn, unit)
                if database_fault(exc):
                    raise  # an outage, not a refusal: answered as one (gateway/http.py)
                return Ran(_unrecorded())
            except BaseException:
                await _abandon(conn, unit)
                raise
            # decided and recorded: a failure here leaves the writes to `writes.settle`
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await writes.finish(conn, held, "COMMIT")
        return Ran(answer)

    def _planned(self, operation: Operation) -> Plan:
        found = self.mutations.get(operation)
        if found is None:
            found = self.mutations[operation] = self.planning.plan(operation)
        return found

    # -- what needs no subgraph ------------------------------------------------------------------

    async def _schema_fields(
        self, operation: Operation, variables: dict[str, Any], data: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """`__typename`, `__schema` and `__type` at the root, answered into `data`."""
        fields = self.gateway.collect(operation, operation.selections, "Query")
        for collected in fields:
            if collected.name == "__typename":
                data[collected.response_key] = "Query"
        found, problems = await self.gateway.introspect(operation, variables)
        data.update(found)
        return problems

    async def _introspection_only(
        self, operation: Operation, variables: dict[str, Any], request_id: str
    ) -> Ran[recording.Record]:
        """An anonymous request for the schema alone: answered, as it reads no one's data,
        and recorded like any other request (no one's, the schema's fields)."""
        data: dict[str, Any] = {}
        errors = await self._schema_fields(operation, variables, data)
        answer = self.shaper.respond(operation, data, errors)
        roots = self.gateway.collect(operation, operation.selections, "Query")
        record = _entry(
            request_id,
            None,
            operation.name,
            "ERROR" if errors else "ALLOWED",
            {"errors": _codes(errors)},
            fields=tuple(sorted({f"Query.{root.name}" for root in roots})),
        )
        return Ran(answer, record)

    # -- the record ------------------------------------------------------------------------

    async def record(self, ran: Ran[recording.Record]) -> dict[str, Any]:
        """The record stage for an operation that ran: its inquiries and audit entry written
        together or not at all, before the answer leaves; `ran.answer` once written, else
        the one error saying the request could not be recorded, and no data. A database
        outage is raised, to be answered as one."""
        if ran.account is None:
            return ran.answer
        unrecorded = await self._durably(ran.account)
        return ran.answer if unrecorded is None else unrecorded

    async def _durably(self, record: recording.Record) -> dict[str, Any] | None:
        """None once `record` has committed (with its group), else the answer to give."""
        try:
            await self.recorder.record(record)
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
            if database_fault(exc):
                raise  # an outage, not a refusal: answered as one (gateway/http.py)
            return _unrecorded()
        except audit.AuditLogError:
            return _unrecorded()
        return None

    async def refuse(
        self,
        request_id: str,
        requester: Requester | None,
        operation: str | None,
        errors: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Record a request refused before it ran; the errors to answer it with.

        Every request is recorded, those refused before execution included (a bad token,
        an invalid document, an unknown persisted query): who asked, as far as is known,
        and the codes it was refused with. They are `errors` themselves, or, when the
        entry cannot be written, the one error saying so, as for a request that ran.
        """
        unrecorded = await self._durably(_refusal(request_id, requester, operation, errors))
        return errors if unrecorded is None else list(unrecorded["errors"])

    async def admit(
        self, request_id: str, requester: Requester, operation: str, follows: str
    ) -> list[dict[str, Any]] | None:
        """Record a request let follow `follows` (a live stream): ALLOWED, with what it
        follows; None once recorded, else the errors to refuse it with."""
        subjects = (follows,) if requester.role == "SUBJECT" else ()
        record = _entry(
            request_id, requester, operation, "ALLOWED", {"follows": follows}, subjects=subjects
        )
        unrecorded = await self._durably(record)
        return None if unrecorded is None else list(unrecorded["errors"])


def _apart(plan: Plan) -> tuple[str, str] | None:
    """Two response keys of a mutation written through one subgraph with another's write
    between them, else None.

    A subgraph takes a mutation's writes in one transaction a request, pending until the
    audit entry is written (subgraphs/writing.py); a second request to it under the same
    hold would wait for the locks the first keeps (a subject's file) until its own lock
    wait gives up. So each subgraph is reached once a mutation, in every deployment."""
    reached: dict[str, str] = {}
    last: str | None = None
    for fetch in plan.fetches():
        if fetch.entity or not fetch.visible_keys:
            continue
        if fetch.graph in reached and fetch.graph != last:
            return reached[fetch.graph], fetch.visible_keys[0]
        reached.setdefault(fetch.graph, fetch.visible_keys[-1])
        last = fetch.graph
    return None


class _Undone(Exception):
    """A mutation's transaction rolled back because a field of it failed (`_write`)."""


def _whole_or_undone(
    request: _Request, called: Sequence[CollectedField], data: Mapping[str, Any]
) -> None:
    """Raise `_Undone` when a field called failed and answered nothing (`_write`)."""
    if request.errors and any(data.get(item.response_key) is None for item in called):
        raise _Undone


def _refusal(
    request_id: str,
    requester: Requester | None,
    operation: str | None,
    errors: list[dict[str, Any]],
) -> recording.Record:
    """The audit entry of a request refused before it ran, or failed by a bug before its
    own entry (ERROR, not DENIED: nothing refused it): who asked, as far as is known, and
    the codes it was answered with."""
    codes = _codes(errors)
    decision: audit.Decision = "ERROR" if INTERNAL in codes else "DENIED"
    return _entry(request_id, requester, operation, decision, {"errors": codes})


def _entry(
    request_id: str,
    requester: Requester | None,
    operation: str | None,
    decision: audit.Decision,
    detail: dict[str, Any],
    *,
    subjects: tuple[str, ...] = (),
    fields: tuple[str, ...] = (),
) -> recording.Record:
    """The record of a request that made no look at anyone's report: its audit entry alone,
    naming who asked as far as is known."""
    entry = audit.AuditEntry(
        request_id=request_id,
        role=None if requester is None else requester.role,
        requester=None if requester is None else requester.identifier,
        operator=None if requester is None else requester.actor,
        operation=operation,
        subjects=subjects,
        fields=fields,
        decision=decision,
        detail=detail,
    )
    return recording.Record(entry)


def _refused(
    request_id: str,
    requester: Requester | None,
    operation: str | None,
    errors: list[dict[str, Any]],
) -> Ran[recording.Record]:
    """An operation refused once it was known (no token, a reserved key, variables that do
    not fit): no data, its errors, and its refusal for the record stage."""
    return Ran(response(None, errors), _refusal(request_id, requester, operation, errors))


def _record(
    request: _Request,
    request_id: str,
    inquired: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> recording.Record:
    """The inquiries and audit entry of `request`, but for the looks already `inquired`."""
    who = request.known
    requester = who.requester
    inquiries: tuple[recording.Inquiry, ...] = ()
    if who.id is not None:
        inquiries = tuple(
            (
                identifier,
                who.id,
                requester.actor,
                entitlement.purpose,
                entitlement.edition,
                entitlement.grant_id,
                entitlement.mandate_id,
                None,
            )
            for (identifier, purpose), entitlement in request.looked.items()
            if (identifier, purpose) not in inquired
        )
        inquiries += tuple(answer.inquiry() for answer in request.answers)
    detail: dict[str, Any] = {
        "editions": {
            identifier: found.edition for (identifier, _), found in request.looked.items()
        },
        "errors": _codes(request.errors),
    }
    if request.answers:
        detail["answers"] = [str(answer.id) for answer in request.answers]
    entry = audit.AuditEntry(
        request_id=request_id,
        role=requester.role,
        requester=requester.identifier,
        operator=requester.actor,
        operation=request.operation.name,
        subjects=tuple(request.subjects),
        fields=tuple(sorted(request.returned)),
        decision=_decision(request),
        detail=detail,
    )
    answered = tuple(answer.row() for answer in request.answers)
    return recording.Record(entry, inquiries, answered)


def _codes(errors: Sequence[Mapping[str, Any]]) -> list[str]:
    """The distinct error codes of a response's errors, as the audit entry keeps them."""
    return sorted({str(item.get("extensions", {}).get("code")) for item in errors})


#: The codes of a refusal: the request was answered, and told no (an outage or a fault is not).
_REFUSALS: Final = frozenset({FORBIDDEN_FIELD, CONSENT_REQUIRED, BAD_USER_INPUT})


def _decision(request: _Request) -> audit.Decision:
    """DENIED: refused, nothing returned (by the policy, or a subgraph refusing the input);
    PARTIAL: some returned, some refused or failed; ERROR: nothing returned for a failure."""
    refused = request.denied or any(
        item.get("extensions", {}).get("code") in _REFUSALS for item in request.errors
    )
    if refused:
        return "PARTIAL" if request.returned else "DENIED"
    if request.errors:
        return "ERROR" if not request.returned else "PARTIAL"
    return "ALLOWED"


async def _abandon(conn: PoolConnectionProxy[asyncpg.Record], unit: writes.WriteUnit) -> None:
    """Roll back what a mutation that could not be recorded left pending over HTTP.

    Undecided, they would be rolled back by `writes.settle` anyway; this only
    frees their locks now. A connection too broken to do it leaves them to that.
    """
    with contextlib.suppress(asyncpg.PostgresError, OSError):
        await writes.finish(conn, await writes.pending(conn, unit), "ROLLBACK")


def _unrecorded() -> dict[str, Any]:
    return response(
        None, [error("the request could not be recorded, so nothing is returned", INTERNAL)]
    )


def _by_purpose(checkpoints: Iterable[_Checkpoint]) -> list[list[_Checkpoint]]:
    """`checkpoints` in groups of one purpose, each in the order met."""
    groups: dict[str, list[_Checkpoint]] = {}
    for checkpoint in checkpoints:
        groups.setdefault(checkpoint.purpose, []).append(checkpoint)
    return list(groups.values())


def _data_periods(request: _Request) -> list[dict[str, Any]]:
    """The data periods an answer was read under, each with its first day, for the answer's
    `extensions.dataPeriods`: why its lists stop where they do. A period's months come from
    an entitlement (the tighter of two is one of them), which holds its first day as the
    database computed it (common.period_starts_on)."""
    starts = {
        found.data_period_months: found.data_period_starts_on
        for found in request.entitled.values()
        if found is not None and found.data_period_months is not None
    }
    periods = []
    for months in sorted(request.periods):
        start = starts.get(months)
        first = None if start is None else start.isoformat()
        periods.append(
            {
                "months": months,
                "firstDay": first,
                "message": (
                    f"answered under a data period of {months} months from {first}: a record "
                    "whose dated life ended before it (an account closed, a case concluded, an "
                    "inquiry made) is not listed or counted, and a value derived from more "
                    "history than it is withheld"
                ),
            }
        )
    return periods


def _tighter(first: int | None, second: int | None) -> int | None:
    """The stricter of two history limits (None: no limit)."""
    limits = [item for item in (first, second) if item is not None]
    return min(limits) if limits else None


def _viewer(who: KnownRequester) -> Viewer:
    """The requester as masks see it, with this response's own opaque references."""
    return Viewer(who.requester.identifier, who.name)


def _relocated(
    problem: dict[str, Any], keys: list[str], members: list[_Checkpoint]
) -> list[dict[str, Any]]:
    """A subgraph error about one group's root field, moved from the wave's operation to
    where the client sees it: under the one record it is about, or under each record of the
    group when it is about the group as a whole (the gateway's own keys never reach the
    client)."""
    path = problem["path"]
    if len(path) < 2 or not isinstance(path[1], int) or path[1] >= len(keys):
        return [{**problem, "path": list(member.path)} for member in members]
    key = keys[path[1]]
    return [
        {**problem, "path": [*member.path, *path[2:]]} for member in members if member.key == key
    ]


def _records_key(index: int) -> str:
    """The response key of a wave's `index`th group of records."""
    return alias(POLICY, f"records_{index}")


def _keys_variable(index: int) -> str:
    """The variable holding the keys of a wave's `index`th group of records."""
    return alias(POLICY, f"keys_{index}")


def _only_introspection(operation: Operation, gateway: Gateway) -> bool:
    fields = gateway.collect(operation, operation.selections, "Query")
    return operation.kind == "query" and all(needs_no_subgraph(item.name) for item in fields)
