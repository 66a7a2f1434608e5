"""Random keys that creditgraph creates once under CREDITGRAPH_HOME and reuses ever after.

A demo installation needs secrets nobody configured: the internal credential shared by the
gateway and its subgraphs, and the key that signs demo requester tokens. Each is made the first
time it is needed and kept in its own file, readable by its owner only, so that every process
started from the same home (the gateway, a subgraph, `creditgraph token`) agrees on it without
any setup. The creation is the subtle part, which is why it lives here once: two processes
starting at the same moment must end up with the same key, and neither may ever read half of one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from creditgraph.errors import ConfigurationError

#: Random bytes behind each new key; token_urlsafe spells them in 64 characters.
_NEW_KEY_BYTES = 48


def load_or_create_secret(path: Path, *, min_bytes: int) -> bytes:
    """The key stored at `path`, created there first (mode 0600) if there is none yet.

    The directory must exist. A key shorter than `min_bytes` is refused rather than replaced:
    replacing it silently would invalidate whatever was signed with it, so the message tells
    the owner to delete it instead.
    """
    try:
        if not path.exists():
            _create(path)
        secret = path.read_bytes().strip()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"cannot use the key file {path}: {reason}") from None
    if len(secret) < min_bytes:
        raise ConfigurationError(f"{path} holds too short a key; delete it to make a new one")
    return secret


def _create(path: Path) -> None:
    # Written whole under a private name, then linked into place: a process starting at the
    # same moment sees no key or the whole key, never half of one, and link (unlike rename)
    # fails instead of replacing a key another process put there first. The draft's name is
    # unique to this attempt, so two threads of one process cannot share a draft either.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(_NEW_KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race; use its key
            os.link(draft, path)
    finally:
        draft.unlink()
