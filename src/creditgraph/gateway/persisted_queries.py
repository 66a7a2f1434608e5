"""Automatic persisted queries (Apollo's APQ protocol) and the trusted-only mode.

A client may send `extensions.persistedQuery = {version: 1, sha256Hash}` in
place of the query text, saving the bytes of a report-sized document on every
request:

- the hash is known: the stored text runs;
- the hash comes with the text: the text must hash to it (else
  `BAD_USER_INPUT`); it is remembered once it parses and validates, and runs;
- the hash is unknown and comes alone: `PERSISTED_QUERY_NOT_FOUND`, on which
  an APQ client sends the hash again with the text.

The trusted operations (graphql/operations) are always known by hash. Other
remembered texts live in a bounded LRU store, one per gateway: clients choose
the hashes, so an unbounded store would be memory any client could fill.

The store reveals nothing across requesters: a text is remembered for the
requester who sent it (`owner`), and only that requester finds it by hash;
to anyone else the hash is `PERSISTED_QUERY_NOT_FOUND`, exactly as if nobody
had sent it, so nobody can learn what another asked by probing hashes. An
anonymous caller of a gateway under a policy has no store at all. A gateway
serving without a policy has no requesters, so its callers share one
(`SHARED`), as in Apollo's gateway.

The documents of the client manifests the gateway was given (gateway/manifests.py,
Apollo's and Relay's) are known too: by their id, sent as `documentId` (the
GraphQL-over-HTTP persisted documents form, which Relay's clients use) or, for an id
that is a SHA-256, as `extensions.persistedQuery.sha256Hash` (Apollo Client's
persisted-query link). `documentId` also finds a trusted operation by its hash
(plain, or `sha256:<hash>`). `documentId` goes alone: with a query or a
persistedQuery it is `BAD_USER_INPUT`; unknown, it is `PERSISTED_QUERY_NOT_FOUND`.

In trusted-only mode the gateway runs the trusted operations and the manifests'
documents, and nothing else: by hash or id, or as their exact text. An unknown hash is still
`PERSISTED_QUERY_NOT_FOUND` (nothing is learnt from clients); any other text
is `BAD_USER_INPUT`, not `PERSISTED_QUERY_NOT_FOUND`, because resending it
cannot help and an APQ client would only retry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.errors import BAD_USER_INPUT
from creditgraph.gateway.manifests import ManifestOperation, load_manifests
from creditgraph.gateway.trusted import TrustedOperations, sha256_hex
from creditgraph.resources import operations_root

PERSISTED_QUERY_NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
SUPPORTED_VERSION: Final = 1
DEFAULT_SIZE: Final = 1000
_SHA256 = re.compile(r"[0-9a-f]{64}")
# the one owner every caller of a gateway without requesters (no policy) shares
SHARED: Final = ""


class QueryRefused(Exception):
    """A request the persisted-query layer will not run.

    `malformed` marks a request that breaks the protocol (bad version, hash that
    does not match its text): 400 whatever the media type. The others are
    well-formed requests refused, answered like a document that fails validation.
    """

    def __init__(self, message: str, code: str, *, malformed: bool) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.malformed = malformed


@dataclass(frozen=True, slots=True)
class Resolved:
    """The text to run, and the hash to remember it by once it has prepared cleanly."""

    query: str
    remember: tuple[str, str] | None = None


class PersistedQueries:
    def __init__(
        self,
        trusted: TrustedOperations,
        *,
        trusted_only: bool = False,
        size: int = DEFAULT_SIZE,
        manifests: Mapping[str, ManifestOperation] | None = None,
    ) -> None:
        self.trusted = trusted
        self.trusted_only = trusted_only
        self.manifests = dict(manifests or {})
        self._manifest_texts = frozenset(operation.text for operation in self.manifests.values())
        # keyed by (owner, hash): one requester's texts are never another's to find
        self.store: LRUCache[tuple[str, str], str] = LRUCache(size)

    def resolve(
        self,
        query: str | None,
        extensions: dict[str, Any] | None,
        *,
        owner: str | None,
        document_id: str | None = None,
    ) -> Resolved:
        """The document a request asks to run, from its query text, its extensions and its
        `documentId`.

        `owner` says whose remembered texts the request may find and add to: a requester's
        own key (`owner_of`), `SHARED` on a gateway without requesters, or None for a
        caller with no store (anonymous under a policy).
        """
        if document_id is not None:
            if query is not None or (extensions is not None and "persistedQuery" in extensions):
                raise QueryRefused(
                    "send documentId alone, without query or extensions.persistedQuery",
                    BAD_USER_INPUT,
                    malformed=True,
                )
            return Resolved(self._by_document_id(document_id))
        sha256 = _requested_hash(extensions)
        if sha256 is None:
            if query is None:
                raise QueryRefused("the request has no query", BAD_USER_INPUT, malformed=True)
            self._check_trusted_text(query)
            return Resolved(query)
        if query is None:
            return Resolved(self._known(sha256, owner))
        if sha256_hex(query) != sha256:
            raise QueryRefused(
                "persistedQuery.sha256Hash is not the SHA-256 of the query",
                BAD_USER_INPUT,
                malformed=True,
            )
        self._check_trusted_text(query)
        if sha256 in self.trusted or owner is None:
            return Resolved(query)
        return Resolved(query, (owner, sha256))

    def remember(self, resolved: Resolved) -> None:
        if resolved.remember is not None:
            self.store.put(resolved.remember, resolved.query)

    def _known(self, sha256: str, owner: str | None) -> str:
        trusted = self.trusted.get(sha256)
        if trusted is not None:
            return trusted.text
        listed = self.manifests.get(sha256)
        if listed is not None:
            return listed.text
        stored = None if self.trusted_only or owner is None else self.store.get((owner, sha256))
        if stored is None:
            raise _not_found()
        return stored

    def _by_document_id(self, document_id: str) -> str:
        """A manifest's document by its id, or a trusted operation by its (prefixed) hash."""
        listed = self.manifests.get(document_id)
        if listed is not None:
            return listed.text
        trusted = self.trusted.get(document_id.removeprefix("sha256:").lower())
        if trusted is not None:
            return trusted.text
        raise _not_found()

    def _check_trusted_text(self, query: str) -> None:
        if self.trusted_only and not (
            self.trusted.holds_text(query) or query in self._manifest_texts
        ):
            raise QueryRefused(
                "this gateway runs only its trusted operations (graphql/operations) and its "
                "client manifests' documents: send one by its persistedQuery sha256Hash, its "
                "documentId, or as its exact text",
                BAD_USER_INPUT,
                malformed=False,
            )


def _not_found() -> QueryRefused:
    return QueryRefused("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND, malformed=False)


def _requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The persisted query's hash, when the request names one; refuses a malformed one."""
    if extensions is None or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise QueryRefused(
            "extensions.persistedQuery must be an object", BAD_USER_INPUT, malformed=True
        )
    version = persisted.get("version")
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        raise QueryRefused(
            f"persisted query version {version!r} is not supported; use {SUPPORTED_VERSION}",
            BAD_USER_INPUT,
            malformed=True,
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
        raise QueryRefused(
            "persistedQuery.sha256Hash must be a SHA-256 in hex", BAD_USER_INPUT, malformed=True
        )
    return sha256.lower()


def owner_of(role: str, identifier: str, operator: str | None) -> str:
    """A requester's own corner of the store: per subject, or per institution and operator."""
    return "\x1f".join((role, identifier, operator or ""))


def load_persisted_queries(
    *,
    trusted_only: bool = False,
    manifests: tuple[Path, ...] = (),
    check: Callable[[str], object] | None = None,
) -> PersistedQueries:
    """A store that knows creditgraph's trusted operations and the client `manifests`, read
    now, at start; `check` prepares each manifest document as a request's would be (see
    gateway/manifests.py), and is needed when there are manifests."""
    paths = list(manifests)
    if paths and check is None:
        raise ValueError("client manifests are checked against the gateway's schema: give check")
    listed = load_manifests(paths, check) if check is not None else {}
    return PersistedQueries(
        TrustedOperations.load(operations_root()), trusted_only=trusted_only, manifests=listed
    )
