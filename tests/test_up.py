"""`creditgraph up` end to end: starts everything, answers, and stops clean on a signal."""

from __future__ import annotations

import html
import json
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from creditgraph.demo import DemoRequesters, demo_query
from tests.cli_helpers import cli_env, free_port, start_cli, wait_for_http
from tests.test_embedded import postgres_processes


def _start(home: Path, port: int) -> subprocess.Popen[str]:
    return start_cli("up", "--port", str(port), "--subjects", "40", env=cli_env(home=home))


def _wait_ready(proc: subprocess.Popen[str], port: int) -> None:
    wait_for_http(proc, f"http://127.0.0.1:{port}/readyz")


def _postgres_gone(data_dir: Path, within: float = 10.0) -> bool:
    """No PostgreSQL left serving data_dir, allowing its last process a moment to exit."""
    deadline = time.monotonic() + within
    while postgres_processes(data_dir):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _stop(proc: subprocess.Popen[str], how: signal.Signals) -> str:
    proc.send_signal(how)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == (0 if how == signal.SIGTERM else 130), output
    return output


def _run_graphiql_examples(base: str) -> None:
    """What a newcomer does first: open GraphiQL and run its example tabs as they stand."""
    page = httpx.get(f"{base}/")
    assert page.status_code == 200
    config = re.search(r'<script id="graphiql-config"[^>]*>(.*?)</script>', page.text, re.S)
    assert config is not None
    tabs = {
        re.search(r"(?:query|mutation) (\w+)", tab["query"]).group(1): tab  # type: ignore[union-attr]
        for tab in json.loads(html.unescape(config.group(1)))["tabs"]
    }
    for title in ("SubjectSelf", "BankUnderwriting", "GovernmentPublicCredit"):
        tab = tabs[title]
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": tab["query"], "variables": json.loads(tab["variables"] or "{}")},
            headers=json.loads(tab["headers"]),
        ).json()
        if title == "BankUnderwriting":
            # the husband has not authorised the demo bank yet: the page's grant tab does that
            assert answer["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED", answer
        else:
            assert "errors" not in answer, (title, answer)
            assert answer["data"], title


def _four_editions(base: str, home: Path) -> None:
    """The demo requesters `up` prints see the husband's report in four different editions."""
    answers = {}
    for label, token, purpose in DemoRequesters.mint(home).each():
        answers[label] = httpx.post(
            f"{base}/graphql",
            json={"query": demo_query(purpose)},
            headers={"authorization": f"Bearer {token}"},
        ).json()
    editions = {
        label: sorted({e["extensions"].get("edition") for e in answer.get("errors", [])} - {None})
        for label, answer in answers.items()
    }
    subject, bank, social, government = answers.values()
    assert "errors" not in subject, subject
    # the bank's post-loan report withholds nothing this query asks; the others withhold
    assert list(editions.values())[1:] == [[], ["SOCIAL"], ["GOVERNMENT"]], answers
    identifier = subject["data"]["subject"]["identifier"]
    assert bank["data"]["subject"]["identifier"] == identifier
    assert bank["data"]["subject"]["accounts"]["nodes"]
    assert social["data"]["subject"]["identifier"] != identifier  # masked
    assert social["data"]["subject"]["accounts"] is None
    assert government["data"]["subject"]["creditSummary"] is None
    assert len({json.dumps(answer["data"], sort_keys=True) for answer in answers.values()}) == 4


@pytest.mark.slow
def test_up_serves_then_stops_cleanly_on_ctrl_c_and_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()

    first = _start(home, port)
    _wait_ready(first, port)
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
    _run_graphiql_examples(f"http://127.0.0.1:{port}")
    _four_editions(f"http://127.0.0.1:{port}", home)
    output = _stop(first, signal.SIGINT)
    assert "seeding 40 demo subjects" in output
    assert f"http://127.0.0.1:{port}" in output
    assert "Traceback" not in output
    assert _postgres_gone(home / "pgdata")

    # A second start reuses the data: no migrations to apply, nothing to seed.
    second = _start(home, port)
    _wait_ready(second, port)
    output = _stop(second, signal.SIGTERM)
    assert "seeding" not in output
    assert "applied" not in output
    assert _postgres_gone(home / "pgdata")
