"""`creditgraph token` as a user runs it: a JWT alone on stdout, or one clear line on stderr.

A token the command prints must be one the gateway accepts, so each is checked with the same
`TokenVerifier` the gateway builds from the same CREDITGRAPH_HOME.
"""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest

from creditgraph.access.tokens import SIGNING_KEY_FILE, TokenVerifier
from creditgraph.requester import Requester
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONAS, TAX_BUREAU, XIHU_COURT
from tests.cli_helpers import assert_one_line_error, cli_env, run_cli

PERSON = next(p.identifier for p in PERSONAS if p.kind == "PERSON")
ORGANISATION = next(p.identifier for p in PERSONAS if p.kind == "ORGANISATION")
BANK = EASTBRIDGE_BANK.code
GOVERNMENT = TAX_BUREAU.code


def mint(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    env = {**cli_env(home=home), **(extra_env or {})}
    result = run_cli("token", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    token, newline, rest = result.stdout.partition("\n")
    assert (newline, rest) == ("\n", "")  # the token alone, ready for $(creditgraph token ...)
    return token


def verified(home: Path, token: str) -> Requester | None:
    return TokenVerifier.from_settings(home, {}).verify(f"Bearer {token}")


def test_a_subject_token(tmp_path: Path) -> None:
    token = mint(tmp_path, "--role", "subject", "--identifier", PERSON)
    assert verified(tmp_path, token) == Requester("SUBJECT", PERSON, None)
    key = tmp_path / SIGNING_KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_an_organisations_token_names_its_representative(tmp_path: Path) -> None:
    token = mint(
        tmp_path, "--role", "subject", "--identifier", ORGANISATION, "--representative", PERSON
    )
    assert verified(tmp_path, token) == Requester("SUBJECT", ORGANISATION, None, PERSON)


def test_a_bank_token_names_its_operator(tmp_path: Path) -> None:
    token = mint(tmp_path, "--role", "bank", "--institution", BANK, "--operator", "王芳 loan desk")
    assert verified(tmp_path, token) == Requester("BANK", BANK, "王芳 loan desk")
    assert jwt.decode(token, options={"verify_signature": False})["role"] == "bank"


@pytest.mark.parametrize("operator", [None, "inspector Li"])
def test_a_government_token_with_or_without_operator(tmp_path: Path, operator: str | None) -> None:
    args = ["--role", "government", "--institution", GOVERNMENT]
    if operator is not None:
        args += ["--operator", operator]
    assert verified(tmp_path, mint(tmp_path, *args)) == Requester(
        "GOVERNMENT", GOVERNMENT, operator
    )


def test_ttl_sets_the_lifetime_and_the_key_is_reused(tmp_path: Path) -> None:
    first = mint(tmp_path, "--role", "subject", "--identifier", PERSON, "--ttl", "60")
    key = (tmp_path / SIGNING_KEY_FILE).read_bytes()
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60
    second = mint(tmp_path, "--role", "subject", "--identifier", PERSON, "--ttl", "2592000")
    assert (tmp_path / SIGNING_KEY_FILE).read_bytes() == key
    assert verified(tmp_path, first) == verified(tmp_path, second)


def test_a_hand_typed_lower_case_check_character_is_accepted(tmp_path: Path) -> None:
    court = XIHU_COURT.code
    assert court.endswith("X")
    token = mint(tmp_path, "--role", "government", "--institution", f" {court[:-1]}x ")
    assert verified(tmp_path, token) == Requester("GOVERNMENT", court, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "subject"], "--role subject needs --identifier ID"),
        (
            ["--role", "subject", "--institution", BANK],
            "--role subject takes --identifier, not --institution",
        ),
        (
            ["--role", "subject", "--identifier", PERSON, "--operator", "x"],
            "--role subject takes no --operator",
        ),
        (["--role", "bank", "--institution", BANK], "--role bank needs --operator NAME"),
        (
            ["--role", "bank", "--identifier", BANK, "--operator", "x"],
            "--role bank takes --institution CODE, not --identifier",
        ),
        (["--role", "government"], "--role government needs --institution CODE"),
        (
            ["--role", "subject", "--identifier", "330106198604121510"],
            "resident identity number 330106198604121510 has check character 0",
        ),
        (
            ["--role", "subject", "--identifier", BANK],
            f"resident identity number {BANK}",
        ),
        (
            ["--role", "bank", "--institution", PERSON, "--operator", "x"],
            f"unified social credit code {PERSON}",
        ),
        (
            ["--role", "bank", "--institution", BANK, "--operator", ""],
            "the operator must be 1 to 128 printable characters",
        ),
        (
            ["--role", "subject", "--identifier", PERSON, "--representative", PERSON],
            f"unified social credit code {PERSON}",
        ),
        (
            ["--role", "subject", "--identifier", ORGANISATION, "--representative", BANK],
            f"resident identity number {BANK}",
        ),
        (
            [
                "--role",
                "bank",
                "--institution",
                BANK,
                "--operator",
                "x",
                "--representative",
                PERSON,
            ],
            "--role bank takes no --representative",
        ),
        (
            ["--role", "subject", "--identifier", PERSON, "--ttl", "0"],
            "--ttl must be 1 to 2592000 seconds (30 days)",
        ),
        (
            ["--role", "subject", "--identifier", PERSON, "--ttl", "2592001"],
            "--ttl must be 1 to 2592000 seconds (30 days)",
        ),
    ],
)
def test_wrong_requests_get_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli("token", *args, env=cli_env(home=tmp_path))
    assert_one_line_error(result, message)
    assert result.stdout == ""
    assert not (tmp_path / SIGNING_KEY_FILE).exists()


@pytest.mark.parametrize("variable", ["CREDITGRAPH_JWT_PUBLIC_KEY", "CREDITGRAPH_JWT_JWKS"])
def test_refuses_to_mint_when_an_identity_provider_is_configured(
    tmp_path: Path, variable: str
) -> None:
    env = {**cli_env(home=tmp_path), variable: str(tmp_path / "provider-keys")}
    result = run_cli("token", "--role", "subject", "--identifier", PERSON, env=env)
    assert_one_line_error(result, f"{variable} is set", "only demo tokens")
    assert result.stdout == ""


def test_an_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("token", "--role", "admin", env=cli_env(home=tmp_path))
    assert result.returncode != 0
    assert "'admin' is not one of 'subject', 'bank', 'government'" in result.stderr
    assert "Traceback" not in result.stderr
