"""Hot reload: a real `creditgraph serve` under concurrent load takes a new policy and a new
configuration on SIGHUP (or, with --watch, when a file changes) without failing a request,
and refuses a broken file with one log line, serving on with what it had; a key removed from
a JWKS file is refused once the file is read again.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from creditgraph.access.tokens import mint_demo_token
from creditgraph.resources import policy_path
from creditgraph.seed.personas import PERSONA
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from tests.cli_helpers import cli_env, free_port, stop_cli, wait_for_http
from tests.jwks_server import SigningKey

WIFE = PERSONA["wife"]
QUERY = {"query": "{ me { name birthDate } }"}
SHOWN = 'birthDate = ["SUBJECT", "BANK"]'
HIDDEN = 'birthDate = ["BANK"]'


class ServerLog:
    """The server's output lines as they come, for a test to wait on."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, fragment: str, after: int = 0, timeout: float = 60) -> str:
        """The first line from `after` on that holds `fragment`, once it is written."""

        def found() -> str | None:
            return next((line for line in self.lines[after:] if fragment in line), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no {fragment!r} in the log:\n" + "\n".join(self.lines))
            line = found()
        assert line is not None
        return line


def _start(home: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "creditgraph", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    return proc, f"http://127.0.0.1:{port}"


@dataclass
class Load:
    """Clients sending the query without pause, each answer kept with the phase of the test
    its request was sent in (the test moves `phase` on once it has seen a reload logged)."""

    url: str
    headers: dict[str, str]
    answers: list[tuple[int, int, Any]] = field(default_factory=list)
    """(phase when sent, status, body) in the order answered."""
    phase: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    answered: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                phase = self.phase
                response = client.post(self.url, json=QUERY, headers=self.headers)
                with self.answered:
                    self.answers.append((phase, response.status_code, response.json()))
                    self.answered.notify_all()

    def wait_for_answers(self, count: int, timeout: float = 60) -> None:
        with self.answered:
            assert self.answered.wait_for(lambda: len(self.answers) >= count, timeout)

    def sent_in(self, phase: int) -> list[Any]:
        """The bodies answered to requests sent in `phase`."""
        return [body for sent, _, body in self.answers if sent == phase]


def _shows_birth_date(answer: Any) -> bool:
    """True for the old policy's answer, False for the new one's; anything else fails."""
    assert answer["data"]["me"]["name"] == WIFE.name, answer
    if answer["data"]["me"]["birthDate"] is not None:
        assert "errors" not in answer, answer
        return True
    (denied,) = answer["errors"]
    assert denied["extensions"]["code"] == "FORBIDDEN_FIELD", answer
    assert denied["path"] == ["me", "birthDate"], answer
    return False


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.toml"
    text = policy_path().read_text(encoding="utf-8")
    assert text.count(SHOWN) == 1
    policy.write_text(text, encoding="utf-8")
    return policy


def test_sighup_reloads_the_policy_under_load_and_refuses_a_broken_one(
    tmp_path: Path, writable_seeded_database_url: str, policy_file: Path
) -> None:
    config = tmp_path / "creditgraph.toml"
    config.write_text(f'[gateway]\npolicy = "{policy_file}"\n', encoding="utf-8")
    env = cli_env(home=tmp_path, database_url=writable_seeded_database_url)
    env["CREDITGRAPH_CONFIG"] = str(config)
    proc, base = _start(tmp_path, env, "--in-process")
    log = ServerLog(proc)
    try:
        wait_for_http(proc, f"{base}/healthz")
        token = mint_demo_token(tmp_path, "SUBJECT", WIFE.identifier, None, env={})
        load = Load(f"{base}/graphql", {"authorization": f"Bearer {token}"})
        clients = [threading.Thread(target=load.run) for _ in range(4)]
        for client in clients:
            client.start()
        try:
            load.wait_for_answers(20)
            # a new policy: the subject's own birth date hidden from the subject
            policy_file.write_text(
                policy_file.read_text(encoding="utf-8").replace(SHOWN, HIDDEN), encoding="utf-8"
            )
            before = len(log.lines)
            proc.send_signal(signal.SIGHUP)
            log.wait_for("reloaded the configuration", after=before)
            load.phase = 1
            load.wait_for_answers(len(load.answers) + 20)

            # a broken policy is refused with one line, and the new one stays
            policy_file.write_text("[types.Subject\nname = ", encoding="utf-8")
            before = len(log.lines)
            proc.send_signal(signal.SIGHUP)
            refusal = log.wait_for("reload refused", after=before)
            load.phase = 2
            load.wait_for_answers(len(load.answers) + 20)
        finally:
            load.stop.set()
            for client in clients:
                client.join()
        assert proc.poll() is None, "SIGHUP must never stop the server"
    finally:
        output = stop_cli(proc)

    assert str(policy_file) in refusal, refusal
    assert json.loads(refusal)["level"] == "error"
    assert all(status == 200 for _, status, _ in load.answers), "a request failed during reload"
    shown = [_shows_birth_date(body) for _, _, body in load.answers]
    assert all(shown[:20]), "the first policy showed the birth date"
    # a request sent before the reload was logged may be answered by either policy; every
    # request sent after it is answered by the new one
    reloaded, kept = load.sent_in(1), load.sent_in(2)
    assert reloaded
    assert not any(map(_shows_birth_date, reloaded)), "the new policy holds once reloaded"
    assert kept
    assert not any(map(_shows_birth_date, kept)), "the broken file left the new policy serving"
    assert "Traceback" not in output


def test_watch_reloads_a_changed_configuration_file(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    config = tmp_path / "creditgraph.toml"
    config.write_text("[gateway]\ntrusted_only = false\n", encoding="utf-8")
    env = cli_env(home=tmp_path)
    env["CREDITGRAPH_CONFIG"] = str(config)
    overrides = [f"--subgraph={name}={dead}" for name in SUBGRAPH_NAMES]
    proc, base = _start(tmp_path, env, "--no-policy", "--watch", *overrides)
    log = ServerLog(proc)
    try:
        wait_for_http(proc, f"{base}/healthz")
        ask = {"query": "{ __typename }"}
        assert httpx.post(f"{base}/graphql", json=ask).json() == {"data": {"__typename": "Query"}}

        before = len(log.lines)
        config.write_text("[gateway]\ntrusted_only = true\n", encoding="utf-8")
        log.wait_for("reloaded the configuration", after=before)
        refused = httpx.post(f"{base}/graphql", json=ask).json()
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

        before = len(log.lines)
        held = "[database]\nstatement_timeout = 9\n[gateway]\ntrusted_only = true\n"
        config.write_text(held, encoding="utf-8")
        restart = log.wait_for("take effect at the next start only", after=before)
        assert restart.endswith('only: CREDITGRAPH_DB_STATEMENT_TIMEOUT"}'), restart
        log.wait_for("reloaded the configuration", after=before)

        before = len(log.lines)
        config.write_text("[gateway]\ntrusted_only = 'sometimes'\n", encoding="utf-8")
        refusal = log.wait_for("reload refused", after=before)
        assert "gateway.trusted_only must be true or false" in refusal
        still = httpx.post(f"{base}/graphql", json=ask).json()
        assert still["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    finally:
        stop_cli(proc)


def test_a_key_removed_from_the_jwks_file_is_refused_after_a_reload(
    tmp_path: Path, database_url: str
) -> None:
    old, new = SigningKey("2026-01"), SigningKey("2026-02")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [old.jwk(), new.jwk()]}), encoding="utf-8")
    env = cli_env(home=tmp_path, database_url=database_url)
    env["CREDITGRAPH_JWT_JWKS"] = str(jwks)
    proc, base = _start(tmp_path, env, "--in-process", "--watch")
    log = ServerLog(proc)

    def ask(key: SigningKey) -> httpx.Response:
        headers = {"authorization": f"Bearer {key.bank_token()}"}
        return httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, headers=headers)

    try:
        wait_for_http(proc, f"{base}/healthz")
        assert ask(old).status_code == 200
        before = len(log.lines)
        jwks.write_text(json.dumps({"keys": [new.jwk()]}), encoding="utf-8")
        log.wait_for("reloaded the configuration", after=before)
        refused = ask(old)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["message"] == "token signing key (kid) unknown"
        assert ask(new).status_code == 200
    finally:
        stop_cli(proc)


SHOP = """
schema @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) {{ query: Query }}
enum join__Graph {{
  SHOP @join__graph(name: "shop", url: "{url}")
}}
type Query @join__type(graph: SHOP) {{
{fields}
}}
"""


def test_sighup_reloads_the_supergraph(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    supergraph = tmp_path / "supergraph.graphql"
    hello = "  hello: String @join__field(graph: SHOP)"
    supergraph.write_text(SHOP.format(url=dead, fields=hello), encoding="utf-8")
    proc, base = _start(
        tmp_path, cli_env(home=tmp_path), "--no-policy", "--supergraph", str(supergraph)
    )
    log = ServerLog(proc)
    ask = {"query": "{ __schema { queryType { fields { name } } } }"}

    def root_fields() -> list[str]:
        answer = httpx.post(f"{base}/graphql", json=ask).json()
        return [field["name"] for field in answer["data"]["__schema"]["queryType"]["fields"]]

    try:
        wait_for_http(proc, f"{base}/healthz")
        assert root_fields() == ["hello"]

        goodbye = "  goodbye: String @join__field(graph: SHOP)"
        supergraph.write_text(SHOP.format(url=dead, fields=f"{hello}\n{goodbye}"), "utf-8")
        before = len(log.lines)
        proc.send_signal(signal.SIGHUP)
        log.wait_for("reloaded the configuration", after=before)
        assert root_fields() == ["hello", "goodbye"]

        supergraph.write_text("type Query {", encoding="utf-8")
        before = len(log.lines)
        proc.send_signal(signal.SIGHUP)
        refusal = log.wait_for("reload refused", after=before)
        assert f"{supergraph}: the supergraph is not valid GraphQL" in refusal, refusal
        assert root_fields() == ["hello", "goodbye"]
    finally:
        stop_cli(proc)
