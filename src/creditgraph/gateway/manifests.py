"""Client operation manifests: the documents a client application was built with, by id.

Front-end build tools extract every operation an application sends into a manifest, and the
application then sends only an id. Two formats are read, told apart by their shape:

- Apollo's persisted query manifest (`@apollo/generate-persisted-query-manifest`):
  `{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body",
  "name", "type"}]}`; Apollo Client's persisted-query link sends the id as
  `extensions.persistedQuery.sha256Hash` (by default it is the SHA-256 of the body);
- Relay's persisted queries file (relay-compiler's `persistConfig`): `{"<id>": "<text>"}`,
  the id an MD5 (or the hash relay was told to use), which the client sends as `documentId`.

Each document is checked when the manifest is loaded, exactly as a request's would be (parsed,
measured against the operation limits, validated against the gateway's schema): a manifest
whose entry would fail stops the start, or a reload, with one line naming the file, the id and
the reason, rather than refusing that client's every request later. What a document may see
is still decided per request by the policy, as for any other document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from creditgraph.errors import ConfigurationError
from creditgraph.gateway.errors import RequestError

APOLLO_FORMAT: Final = "apollo-persisted-query-manifest"
_APOLLO_VERSION: Final = 1
#: The longest id a manifest may hold, and so a request may send: ids are hashes.
MAX_ID_CHARS: Final = 256


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    id: str
    text: str
    source: Path


def load_manifests(
    paths: Iterable[Path], check: Callable[[str], object]
) -> dict[str, ManifestOperation]:
    """Every manifest's documents by id. `check` prepares a document as a request's would be
    (raising RequestError when it would be refused).

    Raises ConfigurationError, one line, for a file that cannot be read or is neither format,
    an entry that is malformed or would be refused, and an id two files give different texts.
    """
    found: dict[str, ManifestOperation] = {}
    for path in paths:
        for operation in _read(path):
            _check(operation, check)
            earlier = found.get(operation.id)
            if earlier is not None and earlier.text != operation.text:
                raise ConfigurationError(
                    f"{path}: id {operation.id!r} names another document in {earlier.source}"
                )
            found[operation.id] = operation
    return found


def _check(operation: ManifestOperation, check: Callable[[str], object]) -> None:
    try:
        check(operation.text)
    except RequestError as exc:
        raise ConfigurationError(
            f"{operation.source}: operation {operation.id!r} would be refused "
            f"({exc.code}): {exc.messages[0]}"
        ) from None


def _read(path: Path) -> list[ManifestOperation]:
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"cannot read the manifest {path}: {reason}") from None
    except ValueError:
        raise ConfigurationError(f"the manifest {path} is not JSON") from None
    if isinstance(document, dict) and "format" in document:
        return _apollo(path, document)
    if (
        isinstance(document, dict)
        and document
        and all(isinstance(text, str) for text in document.values())
    ):
        return [_entry(path, key, text) for key, text in document.items()]
    raise ConfigurationError(
        f"the manifest {path} is neither an Apollo persisted query manifest nor a Relay "
        "persisted queries file (an object of ids to documents)"
    )


def _apollo(path: Path, document: Mapping[str, Any]) -> list[ManifestOperation]:
    if document["format"] != APOLLO_FORMAT or document.get("version") != _APOLLO_VERSION:
        raise ConfigurationError(
            f"the manifest {path} is format {document['format']!r} version "
            f"{document.get('version')!r}; only {APOLLO_FORMAT!r} version {_APOLLO_VERSION} "
            "is read"
        )
    entries = document.get("operations")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f'the manifest {path} needs a non-empty "operations" list')
    operations = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{path}: operation {position} is not a JSON object")
        operations.append(_entry(path, entry.get("id"), entry.get("body"), position))
    return operations


def _entry(path: Path, key: object, text: object, position: int | None = None) -> ManifestOperation:
    where = f"{path}: operation {key!r}" if position is None else f"{path}: operation {position}"
    if not isinstance(key, str) or not key or len(key) > MAX_ID_CHARS or not key.isprintable():
        raise ConfigurationError(f"{where} needs an id of 1 to {MAX_ID_CHARS} characters")
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(f"{where} has no document")
    return ManifestOperation(key, text, path)
