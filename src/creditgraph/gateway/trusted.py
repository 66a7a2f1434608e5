"""The trusted operations: the documents our users run, one named operation a file.

They live in `graphql/operations/*.graphql`. A client may send one by the
SHA-256 of its file's exact text (the automatic-persisted-query hash) instead
of the text itself, and a gateway in trusted-only mode runs nothing else. The
hash is over the file's bytes as committed, so `sha256sum` on the file gives
the hash a client sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLError, OperationDefinitionNode, parse

from creditgraph.errors import ConfigurationError


def sha256_hex(text: str) -> str:
    """The persisted-query hash of a document: lowercase hex SHA-256 of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustedOperation:
    name: str
    path: Path
    text: str
    sha256: str


class TrustedOperations(Mapping[str, TrustedOperation]):
    """The trusted operations by hash; also answers whether a text is one of them."""

    def __init__(self, operations: list[TrustedOperation]) -> None:
        self._by_hash = {operation.sha256: operation for operation in operations}

    @classmethod
    def load(cls, directory: Path) -> TrustedOperations:
        """Every `*.graphql` under `directory`; refuses a file that is not one named operation."""
        if not directory.is_dir():
            raise ConfigurationError(f"no trusted operations directory at {directory}")
        return cls([_read(path) for path in sorted(directory.glob("*.graphql"))])

    def __getitem__(self, sha256: str) -> TrustedOperation:
        return self._by_hash[sha256]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_hash)

    def __len__(self) -> int:
        return len(self._by_hash)

    def holds_text(self, text: str) -> bool:
        """Whether `text` is, character for character, one of the trusted operations."""
        found = self._by_hash.get(sha256_hex(text))
        return found is not None and found.text == text


def _read(path: Path) -> TrustedOperation:
    text = path.read_bytes().decode("utf-8")  # no newline translation: the hash is the file's
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise ConfigurationError(f"trusted operation {path.name}: {exc.message}") from None
    definitions = document.definitions
    if len(definitions) != 1 or not isinstance(definitions[0], OperationDefinitionNode):
        raise ConfigurationError(f"trusted operation {path.name} must hold exactly one operation")
    name = definitions[0].name
    if name is None:
        raise ConfigurationError(f"trusted operation {path.name} must be named")
    return TrustedOperation(name.value, path, text, sha256_hex(text))
