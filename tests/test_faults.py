"""Faults answered in time, quiet logs, hygiene: the real `creditgraph up`, over real HTTP.

One `up` serves the whole module, with its embedded PostgreSQL and tight database limits
(1 s statements and acquires, 0.5 s lock waits). The tests run in order against it: what a
requester sees of no-store headers, NUL bytes and the persisted-query store; then the
database locked, frozen (SIGSTOP) and stopped under requests, each answered with a coded
GraphQL error and each recovered from without a restart; last, SIGTERM, its exit status,
and every JSON log line of the run scanned for identifiers, query text and values.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import httpx
import psutil
import pytest
from graphql import GraphQLError

from creditgraph.access.tokens import mint_demo_token
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.faults import database_fault
from creditgraph.gateway.trusted import sha256_hex
from creditgraph.observability.logs import JSONFormatter
from creditgraph.requester import Role
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA
from creditgraph.subgraphs import credential
from creditgraph.subgraphs.errors import BadUserInput
from creditgraph.subgraphs.masking import log_failures
from tests.cli_helpers import (
    assert_one_line_error,
    cli_env,
    free_port,
    run_cli,
    serve_over_unreachable_subgraphs,
    start_cli,
    wait_for_http,
)

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
# values a requester sends that no log line may repeat
MARKER_ALIAS = "zebraMarkerAlias"
STATEMENT = "quagga statement text that must stay out of logs"
BAD_IDENTIFIER = "11010519491231002Y"  # wrong check character
SELF = (
    "query($id: String!) { " + MARKER_ALIAS + ": subject(identifier: $id, purpose: SELF) { name } }"
)
ADD_STATEMENT = "mutation($text: String!) { addStatement(text: $text) { id text } }"
NO_CACHE = "no-store"
LIMITS = {
    "CREDITGRAPH_DB_STATEMENT_TIMEOUT": "1",
    "CREDITGRAPH_DB_LOCK_TIMEOUT": "0.5",
    "CREDITGRAPH_DB_ACQUIRE_TIMEOUT": "1",
}
# a request that hangs fails the test here instead of hanging it; the assertions are on codes
NO_HANG = 60.0


@dataclass
class Up:
    proc: subprocess.Popen[str]
    base: str
    home: Path
    output: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.home / "pgdata"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@/creditgraph?host={self.data_dir}&port=5432"

    def headers(self, role: Role, identifier: str, operator: str | None = None) -> dict[str, str]:
        token = mint_demo_token(self.home, role, identifier, operator, env={})
        return {"authorization": f"Bearer {token}"}

    def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(f"{self.base}/graphql", json=body, headers=headers, timeout=NO_HANG)

    def self_report(self) -> httpx.Response:
        variables = {"id": HUSBAND}
        return self.post({"query": SELF, "variables": variables}, self.headers("SUBJECT", HUSBAND))

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines so far (the rest of the output is `up`'s console for its operator)."""
        found = []
        for line in list(self.output):
            if line.startswith("{"):
                found.append(json.loads(line))
        return found


def _collect(proc: subprocess.Popen[str], into: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        into.append(line.rstrip("\n"))


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    home = tmp_path_factory.mktemp("faults")
    port = free_port()
    env = {**cli_env(home=home), **LIMITS}
    proc = start_cli("up", "--port", str(port), "--subjects", "10", env=env)
    running = Up(proc, f"http://127.0.0.1:{port}", home)
    reader = threading.Thread(target=_collect, args=(proc, running.output), daemon=True)
    reader.start()
    try:
        wait_for_http(proc, f"{running.base}/readyz")
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # a server a test restarted is the test's to stop when `up` did not
        EmbeddedPostgres(running.data_dir).stop()
        for leftover in _postgres(running.data_dir):
            leftover.kill()


def _postgres(data_dir: Path) -> list[psutil.Process]:
    """The postmaster serving data_dir and every backend it started."""
    pidfile = data_dir / "postmaster.pid"
    try:
        postmaster = psutil.Process(int(pidfile.read_text().splitlines()[0]))
    except (OSError, ValueError, IndexError, psutil.Error):
        return []
    return [postmaster, *postmaster.children(recursive=True)]


def _code(response: httpx.Response) -> str:
    found: str = response.json()["errors"][0]["extensions"]["code"]
    return found


def _unavailable(response: httpx.Response) -> None:
    """The gateway's answer when its database cannot answer: coded, 503, retry later."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert _code(response) == "SERVICE_UNAVAILABLE"
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["cache-control"] == NO_CACHE


# more requests at once than the gateway's pool has connections (10): none may wait it out
LOAD = 14


def _under_load(up: Up) -> list[httpx.Response]:
    with ThreadPoolExecutor(LOAD) as pool:
        return list(pool.map(lambda _: up.self_report(), range(LOAD)))


def _recovers(up: Up) -> None:
    """Without a restart of `up`, the report comes back once the database does."""
    for _ in range(100):
        response = up.self_report()
        if response.status_code == 200 and "errors" not in response.json():
            assert response.json()["data"][MARKER_ALIAS]["name"] == PERSONA["husband"].name
            return
        time.sleep(0.2)
    pytest.fail(f"no recovery: {response.status_code} {response.text}")


# -- hygiene -------------------------------------------------------------------------------


def test_every_graphql_answer_says_no_store(up: Up) -> None:
    post = up.self_report()
    assert post.status_code == 200
    assert "errors" not in post.json(), post.text
    get = httpx.get(
        f"{up.base}/graphql",
        params={"query": SELF, "variables": json.dumps({"id": HUSBAND})},
        headers=up.headers("SUBJECT", HUSBAND),
    )
    assert get.status_code == 200
    anonymous = up.post({"query": SELF, "variables": {"id": HUSBAND}})
    assert _code(anonymous) == "UNAUTHENTICATED"
    malformed = httpx.post(
        f"{up.base}/graphql", content=b"{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    unauthenticated = up.post({"query": SELF}, {"authorization": "Bearer not-a-token"})
    assert unauthenticated.status_code == 401
    for response in (post, get, anonymous, malformed, unauthenticated):
        assert response.headers["cache-control"] == NO_CACHE


@pytest.mark.parametrize("how", ["variable", "literal"])
def test_a_nul_in_text_is_bad_input_naming_the_argument_and_writes_nothing(
    up: Up, how: str
) -> None:
    subject = up.headers("SUBJECT", HUSBAND)
    if how == "variable":
        body = {"query": ADD_STATEMENT, "variables": {"text": "a\u0000b"}}
    else:
        body = {"query": 'mutation { addStatement(text: "a\\u0000b") { id text } }'}
    response = up.post(body, subject)
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "text" in error["message"]
    assert "NUL" in error["message"]
    statements = up.post({"query": "{ me { statements { text } } }"}, subject)
    assert "a\u0000b" not in [
        item["text"] for item in statements.json()["data"]["me"]["statements"]
    ]


def test_a_nul_in_any_argument_is_refused_the_same_way(up: Up) -> None:
    """Not one check per mutation: a query's argument, in another subgraph, is refused too."""
    query = "query($after: String) { me { accounts(after: $after) { nodes { role } } } }"
    response = up.post(
        {"query": query, "variables": {"after": "x\u0000"}}, up.headers("SUBJECT", HUSBAND)
    )
    codes = {error["extensions"]["code"] for error in response.json()["errors"]}
    assert codes == {"BAD_USER_INPUT"}, response.json()
    assert "after" in response.json()["errors"][0]["message"]


def test_a_persisted_query_is_found_only_by_the_requester_who_registered_it(up: Up) -> None:
    text = "query($id: String!) { subject(identifier: $id, purpose: SELF) { name kind } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(text)}}
    variables = {"id": HUSBAND}
    husband = up.headers("SUBJECT", HUSBAND)
    registered = up.post({"query": text, "variables": variables, "extensions": extensions}, husband)
    assert registered.status_code == 200
    assert "errors" not in registered.json(), registered.text

    probes = {
        "anonymous": None,
        "another subject": up.headers("SUBJECT", WIFE),
        "a bank": up.headers("BANK", EASTBRIDGE_BANK.code, "probe"),
    }
    never_sent = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(text + " ")}}
    unknown = up.post({"variables": variables, "extensions": never_sent}, husband)
    for who, headers in probes.items():
        probe = up.post({"variables": variables, "extensions": extensions}, headers)
        # exactly what a hash nobody ever sent gets: nothing to tell the two apart
        assert probe.status_code == unknown.status_code, who
        assert probe.json() == unknown.json(), who
    assert _code(unknown) == "PERSISTED_QUERY_NOT_FOUND"

    again = up.post({"variables": variables, "extensions": extensions}, husband)
    assert again.json() == registered.json()


# -- database faults -----------------------------------------------------------------------


async def _holding_the_audit_lock(up: Up) -> list[httpx.Response]:
    conn = await asyncpg.connect(up.dsn)
    try:
        async with conn.transaction():
            await conn.execute("lock table gateway.audit_log in access exclusive mode")
            return await asyncio.to_thread(_under_load, up)
    finally:
        await conn.close()


def test_a_locked_audit_table_is_answered_as_unavailable_not_waited_out(up: Up) -> None:
    for response in asyncio.run(_holding_the_audit_lock(up)):
        _unavailable(response)
    _recovers(up)


async def _holding_a_bureau_lock(up: Up) -> httpx.Response:
    conn = await asyncpg.connect(up.dsn)
    try:
        async with conn.transaction():
            await conn.execute("lock table bureau.subjects in access exclusive mode")
            return await asyncio.to_thread(up.self_report)
    finally:
        await conn.close()


def test_a_subgraph_whose_tables_are_locked_is_unavailable_and_the_rest_recorded(up: Up) -> None:
    """The gateway's own work succeeds, so the request is answered and recorded; only the
    bureau's part is missing, coded as that subgraph's outage."""
    response = asyncio.run(_holding_a_bureau_lock(up))
    assert response.status_code == 200, response.text
    body = response.json()
    codes = [error.get("extensions", {}).get("code") for error in body["errors"]]
    assert "SUBGRAPH_UNAVAILABLE" in codes, body
    assert body["data"] == {MARKER_ALIAS: None}
    assert response.headers["cache-control"] == NO_CACHE
    _recovers(up)


def test_a_frozen_database_is_answered_as_unavailable_then_recovered_from(up: Up) -> None:
    frozen = _postgres(up.data_dir)
    assert frozen
    for proc in frozen:
        proc.send_signal(signal.SIGSTOP)
    try:
        answers = _under_load(up)
        ready = httpx.get(f"{up.base}/readyz", timeout=NO_HANG)
    finally:
        for proc in frozen:
            proc.send_signal(signal.SIGCONT)
    for response in answers:
        _unavailable(response)
    assert ready.status_code == 503
    assert ready.json()["down"] == ["database"]
    assert ready.json()["database"].startswith("no answer")
    _recovers(up)


def test_a_stopped_database_is_answered_as_unavailable_then_recovered_from(up: Up) -> None:
    postmaster = _postgres(up.data_dir)[0]
    postmaster.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
    postmaster.wait(timeout=NO_HANG)
    answers = _under_load(up)
    ready = httpx.get(f"{up.base}/readyz", timeout=NO_HANG)
    for response in answers:
        _unavailable(response)
    assert ready.status_code == 503
    # in words, not an exception's class
    assert ready.json()["database"] in {"not running (no socket)", "connection refused"}
    EmbeddedPostgres(up.data_dir).start()
    _recovers(up)
    assert httpx.get(f"{up.base}/readyz", timeout=NO_HANG).status_code == 200


# -- last: stop it, then read everything it logged ------------------------------------------


def test_sigterm_exits_0_and_no_log_line_holds_an_identifier_query_or_value(up: Up) -> None:
    # ordinary user errors, to be answered but never logged as failures
    subject = up.headers("SUBJECT", HUSBAND)
    bad = up.post({"query": SELF, "variables": {"id": BAD_IDENTIFIER}}, subject)
    assert _code(bad) == "BAD_USER_INPUT"
    refused = up.post({"query": SELF, "variables": {"id": WIFE}}, subject)
    assert _code(refused) == "CONSENT_REQUIRED"
    wrong_id = up.post(
        {"query": 'mutation { liftFraudAlert(id: "' + BAD_IDENTIFIER + '") { id } }'}, subject
    )
    assert _code(wrong_id) == "BAD_USER_INPUT"
    added = up.post({"query": ADD_STATEMENT, "variables": {"text": STATEMENT}}, subject)
    assert "errors" not in added.json(), added.text

    up.proc.send_signal(signal.SIGTERM)
    assert up.proc.wait(timeout=NO_HANG) == 0
    time.sleep(0.2)  # the reader thread drains the last lines

    lines = up.log_lines()
    assert any(line.get("path") == "/graphql" for line in lines)
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in (HUSBAND, WIFE, BAD_IDENTIFIER, MARKER_ALIAS, STATEMENT, "subject(", "quagga"):
        assert secret not in text, secret
    # user errors are not failures: nothing logged with a stack, nothing at error level
    # but the request lines of answers that were the server's fault (503 while the database
    # was away)
    assert not [line for line in lines if "exception" in line]
    for line in lines:
        if line["level"] == "error":
            assert line["message"] == "request", line
            assert line["status"] >= 500, line
    # each database fault is one line, in words
    faults = [line for line in lines if line["message"].startswith("database unavailable")]
    assert faults
    assert all(line["level"] == "warning" for line in faults)


# -- a subgraph served alone, and `serve` ----------------------------------------------------

SUBGRAPH_SECRET = "faults-test-secret-of-at-least-32-bytes-long"
SUBJECTS = "query($ids: [String!]!) { subjects(identifiers: $ids) { name } }"


async def _locked_subject_lookup(dsn: str, url: str, token: str) -> httpx.Response:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("lock table bureau.subjects in access exclusive mode")
            return await asyncio.to_thread(
                httpx.post,
                url,
                json={"query": SUBJECTS, "variables": {"ids": [HUSBAND]}},
                headers={credential.HEADER: token},
                timeout=NO_HANG,
            )
    finally:
        await conn.close()


def test_a_subgraph_whose_database_is_locked_says_so_and_logs_it_once(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    port = free_port()
    env = {**cli_env(home=tmp_path, database_url=writable_seeded_database_url), **LIMITS}
    env["CREDITGRAPH_INTERNAL_SECRET"] = SUBGRAPH_SECRET
    proc = start_cli("subgraph", "bureau", "--port", str(port), env=env)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
        token = credential.issue(SUBGRAPH_SECRET.encode(), "bureau")
        locked = asyncio.run(_locked_subject_lookup(writable_seeded_database_url, url, token))
        nul = httpx.post(
            url,
            json={"query": SUBJECTS, "variables": {"ids": [HUSBAND + "\u0000"]}},
            headers={credential.HEADER: token},
            timeout=NO_HANG,
        )
        after = httpx.post(
            url,
            json={"query": SUBJECTS, "variables": {"ids": [HUSBAND]}},
            headers={credential.HEADER: token},
            timeout=NO_HANG,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=NO_HANG)
    assert proc.returncode == 0, output

    assert [error["extensions"]["code"] for error in locked.json()["errors"]] == [
        "SUBGRAPH_UNAVAILABLE"
    ]
    assert nul.json()["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "identifiers",
    }
    assert after.json() == {"data": {"subjects": [{"name": PERSONA["husband"].name}]}}

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert HUSBAND not in output
    assert not [line for line in lines if "exception" in line]
    failures = [line for line in lines if line.get("logger") == "creditgraph.subgraph"]
    assert [(line["level"], line["message"]) for line in failures] == [
        ("warning", "database unavailable: a lock it needs is held too long")
    ]


def test_serve_exits_0_on_sigterm(tmp_path: Path) -> None:
    proc, _ = serve_over_unreachable_subgraphs(tmp_path)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=NO_HANG)
    assert proc.returncode == 0, output
    assert "Traceback" not in output


# -- what a log line may hold ----------------------------------------------------------------


def _lookup(message: str) -> NoReturn:
    raise ValueError(message)


def _failed_with(message: str) -> GraphQLError:
    """A resolver's error as graphql-core makes it: the exception raised, with its traceback."""
    try:
        _lookup(message)
    except ValueError as exc:
        return GraphQLError("resolver failed", original_error=exc)


def test_a_failure_behind_many_fields_is_logged_once_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failure = _failed_with(f"no row for {HUSBAND}")
    sibling = GraphQLError("same batch", original_error=failure.original_error)
    refused = BadUserInput(f"identifier: {BAD_IDENTIFIER} is not valid", argument="identifier")
    with caplog.at_level(logging.INFO):
        log_failures([failure, sibling, refused, _failed_with("another")])
    records = [record for record in caplog.records if record.name == "creditgraph.subgraph"]
    assert [(record.levelname, record.getMessage()) for record in records] == [
        ("ERROR", "resolver failed"),
        ("ERROR", "resolver failed"),
    ]
    line = json.loads(JSONFormatter().format(records[0]))
    assert "ValueError" in line["exception"]
    assert "test_faults.py" in line["exception"]
    assert HUSBAND not in json.dumps(line)


def test_a_database_outage_is_logged_as_a_warning_in_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = GraphQLError("lost", original_error=ConnectionRefusedError(111, HUSBAND))
    with caplog.at_level(logging.INFO):
        log_failures([outage, outage])
    records = [record for record in caplog.records if record.name == "creditgraph.subgraph"]
    assert [(record.levelname, record.getMessage()) for record in records] == [
        ("WARNING", "database unavailable: connection refused")
    ]
    assert records[0].exc_info is None


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf", "3601"])
def test_a_database_limit_that_is_not_a_sane_number_of_seconds_stops_at_once(
    tmp_path: Path, value: str
) -> None:
    env = {**cli_env(home=tmp_path), "CREDITGRAPH_DB_LOCK_TIMEOUT": value}
    result = run_cli("migrate", env=env)
    assert_one_line_error(result, "CREDITGRAPH_DB_LOCK_TIMEOUT")
    assert not (tmp_path / "pgdata").exists()


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (TimeoutError(), "no answer in time"),
        (ConnectionRefusedError(111, "refused"), "connection refused"),
        (FileNotFoundError(2, "no socket"), "not running (no socket)"),
        (ConnectionResetError(104, "reset"), "unreachable"),
        (asyncpg.exceptions.LockNotAvailableError("lock"), "a lock it needs is held too long"),
        (asyncpg.exceptions.QueryCanceledError("late"), "a statement ran past its time limit"),
        (asyncpg.exceptions.AdminShutdownError("bye"), "it is shutting down"),
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), "the connection was lost"),
        (asyncpg.InterfaceError("connection is closed"), "the connection was lost"),
        # not outages: a refusal or a bug must never be retried as one
        (asyncpg.exceptions.UniqueViolationError("dup"), None),
        (asyncpg.exceptions.CharacterNotInRepertoireError("nul"), None),
        (asyncpg.InterfaceError("another operation is in progress"), None),
        (ValueError("bug"), None),
    ],
)
def test_only_outages_count_as_database_faults(failure: BaseException, reason: str | None) -> None:
    assert database_fault(failure) == reason
