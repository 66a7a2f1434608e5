"""Running the real `creditgraph` command in a child process, as a user would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from creditgraph.subgraphs.registry import SUBGRAPH_NAMES


def cli_env(*, home: Path | None = None, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CREDITGRAPH_HOME"}}
    if home is not None:
        env["CREDITGRAPH_HOME"] = str(home)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "creditgraph", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands to outgoing connections (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PORTS_FROM = 10000
_ISSUED: set[int] = set()


def free_port() -> int:
    """A port for a test's server that nothing else will take before the server binds it.

    A port the kernel picked (binding port 0) lies in the range it also gives to outgoing
    connections: between the probe closing and the server binding, any client socket in
    the run could take it, and the server then fails to start. Ports below that range
    are never given out that way; each pytest-xdist worker draws from its own slice of
    them, and no process is given the same port twice.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    width = (_ephemeral_floor() - _PORTS_FROM) // max(workers, 1)
    low = _PORTS_FROM + width * int(worker or 0)
    start = low + (os.getpid() * 7919 + len(_ISSUED)) % width
    for step in range(width):
        port = low + (start - low + step) % width
        if port in _ISSUED:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ISSUED.add(port)
        return port
    raise RuntimeError("no free port below the kernel's ephemeral range")


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A bad input is reported as one plain line on stderr, never a traceback."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """The command running in the background, its output kept for when it fails."""
    return subprocess.Popen(
        [sys.executable, "-m", "creditgraph", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def wait_for_http(proc: subprocess.Popen[str], url: str, timeout: float = 120) -> None:
    """Return once `url` answers 200; fail with the process's output if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the server exited early ({proc.returncode}):\n{output}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"{url} did not answer within {timeout:.0f} s")


def stop_cli(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C the command, as a user would; kill it if it does not stop. Its output."""
    proc.send_signal(signal.SIGINT)
    try:
        output, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return output or ""


def serve_over_unreachable_subgraphs(home: Path) -> tuple[subprocess.Popen[str], str]:
    """`creditgraph serve --no-policy` (no database) whose every subgraph URL points at a
    port nobody listens on, once it answers; with its base URL."""
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    port = free_port()
    overrides = [f"--subgraph={name}={dead}" for name in SUBGRAPH_NAMES]
    proc = start_cli(
        "serve", "--no-policy", "--port", str(port), *overrides, env=cli_env(home=home)
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(proc, f"{base}/healthz")
    return proc, base
