"""Requester tokens: what is accepted, and every way a token is refused, as the client hears it.

The gateway's every decision starts from the requester a token proves, so each rejection case
is pinned to the exact message a client would see, in demo mode (HS256 over a key under
CREDITGRAPH_HOME) and with an identity provider's RSA or EC keys (a PEM file or a JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from creditgraph.access.tokens import (
    LEEWAY_SECONDS,
    MAX_LIFETIME_SECONDS,
    SIGNING_KEY_FILE,
    TokenVerifier,
    mint_demo_token,
)
from creditgraph.errors import ConfigurationError
from creditgraph.requester import Requester, Unauthenticated
from creditgraph.secret_files import load_or_create_secret
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONAS, TAX_BUREAU
from creditgraph.settings import DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, JwtSettings
from creditgraph.subgraphs import credential

PERSON = next(p.identifier for p in PERSONAS if p.kind == "PERSON")
BANK = EASTBRIDGE_BANK.code
GOVERNMENT = TAX_BUREAU.code
NO_ENV: Mapping[str, str] = {}

RSAKeys = tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey]
ECKeys = tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey]


# --- helpers --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid bank requester's claims, with some replaced (None removes a claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": DEFAULT_JWT_ISSUER,
        "aud": DEFAULT_JWT_AUDIENCE,
        "sub": BANK,
        "role": "bank",
        "operator": "loan officer 7",
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def hs256_by_hand(payload: Mapping[str, Any], secret: bytes, **header: Any) -> str:
    """HS256 signed without PyJWT, which (rightly) refuses to use a PEM key as an HMAC secret."""
    signing_input = (
        f"{_b64(_json({'alg': 'HS256', 'typ': 'JWT', **header}))}.{_b64(_json(payload))}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned(payload: Mapping[str, Any], **header: Any) -> str:
    return f"{_b64(_json({'alg': 'none', 'typ': 'JWT', **header}))}.{_b64(_json(payload))}."


def demo_key(home: Path) -> bytes:
    return (home / SIGNING_KEY_FILE).read_bytes().strip()


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refusal(verifier: TokenVerifier, authorization: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(authorization)
    return str(caught.value)


def pem(
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey,
) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def demo(home: Path) -> TokenVerifier:
    return TokenVerifier.from_settings(home, NO_ENV)


@pytest.fixture(scope="module")
def rsa_keys() -> RSAKeys:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private, private.public_key()


@pytest.fixture(scope="module")
def other_rsa_keys() -> RSAKeys:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private, private.public_key()


@pytest.fixture(scope="module")
def ec_keys() -> ECKeys:
    private = ec.generate_private_key(ec.SECP256R1())
    return private, private.public_key()


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


# --- demo mode: accepted ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "identifier", "operator"),
    [
        ("SUBJECT", PERSON, None),
        ("BANK", BANK, "loan officer 7"),
        ("GOVERNMENT", GOVERNMENT, "inspector Wang"),
        ("GOVERNMENT", GOVERNMENT, None),
    ],
)
def test_a_minted_demo_token_proves_its_requester(
    home: Path, demo: TokenVerifier, role: Any, identifier: str, operator: str | None
) -> None:
    token = mint_demo_token(home, role, identifier, operator, env=NO_ENV)
    assert demo.verify(bearer(token)) == Requester(role, identifier, operator)


def test_the_role_claim_is_lower_case_and_the_lifetime_is_as_asked(home: Path) -> None:
    token = mint_demo_token(home, "BANK", BANK, "clerk", lifetime_seconds=120, env=NO_ENV, now=1e9)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload == {
        "iss": "creditgraph",
        "aud": "creditgraph-gateway",
        "sub": BANK,
        "role": "bank",
        "operator": "clerk",
        "iat": 1_000_000_000,
        "exp": 1_000_000_120,
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_no_authorization_header_is_anonymous(demo: TokenVerifier) -> None:
    assert demo.verify(None) is None


def test_the_scheme_is_case_insensitive(home: Path, demo: TokenVerifier) -> None:
    token = mint_demo_token(home, "SUBJECT", PERSON, None, env=NO_ENV)
    assert demo.verify(f"bearer {token}") == Requester("SUBJECT", PERSON, None)


def test_an_audience_list_naming_the_gateway_is_accepted(home: Path, demo: TokenVerifier) -> None:
    token = jwt.encode(claims(aud=["elsewhere", DEFAULT_JWT_AUDIENCE]), demo_key(home), "HS256")
    assert demo.verify(bearer(token)) == Requester("BANK", BANK, "loan officer 7")


def test_clock_skew_within_the_leeway_is_tolerated(home: Path, demo: TokenVerifier) -> None:
    now = int(time.time())
    just_expired = claims(iat=now - 600, exp=now - LEEWAY_SECONDS // 2)
    slightly_ahead = claims(iat=now + LEEWAY_SECONDS // 2, nbf=now + LEEWAY_SECONDS // 2)
    for payload in (just_expired, slightly_ahead):
        assert demo.verify(bearer(jwt.encode(payload, demo_key(home), "HS256"))) is not None


def test_a_configured_issuer_and_audience_are_used_when_minting_and_checking(home: Path) -> None:
    env = {"CREDITGRAPH_JWT_ISSUER": "bureau-idp", "CREDITGRAPH_JWT_AUDIENCE": "report-api"}
    token = mint_demo_token(home, "SUBJECT", PERSON, None, env=env)
    assert TokenVerifier.from_settings(home, env).verify(bearer(token)) is not None
    payload = jwt.decode(token, options={"verify_signature": False})
    assert (payload["iss"], payload["aud"]) == ("bureau-idp", "report-api")


# --- demo mode: refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("", "Authorization must use the Bearer scheme"),
        ("Basic dXNlcjpwYXNz", "Authorization must use the Bearer scheme"),
        ("Token abc.def.ghi", "Authorization must use the Bearer scheme"),
        ("Bearer", "Bearer token missing"),
        ("Bearer    ", "Bearer token missing"),
        ("Bearer garbage", "token malformed"),
        ("Bearer a.b.c", "token malformed"),
        ("Bearer !!!.###.$$$", "token malformed"),
        ("Bearer abc.def.ghi jkl", "token malformed"),
        ("Bearer " + "a" * 9000, "Authorization header too long"),
    ],
)
def test_garbage_and_other_schemes_are_refused(
    demo: TokenVerifier, authorization: str, message: str
) -> None:
    assert refusal(demo, authorization) == message


def test_alg_none_is_refused(demo: TokenVerifier) -> None:
    assert refusal(demo, bearer(unsigned(claims()))) == "token algorithm not accepted"


def test_another_hmac_algorithm_is_refused(home: Path, demo: TokenVerifier) -> None:
    token = jwt.encode(claims(), demo_key(home), "HS512")
    assert refusal(demo, bearer(token)) == "token algorithm not accepted"


def test_a_token_signed_with_another_key_is_refused(demo: TokenVerifier) -> None:
    token = jwt.encode(claims(), b"k" * 64, "HS256")
    assert refusal(demo, bearer(token)) == "token signature invalid"


def test_a_token_from_another_home_is_refused(home: Path, tmp_path_factory: Any) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    token = mint_demo_token(elsewhere, "SUBJECT", PERSON, None, env=NO_ENV)
    verifier = TokenVerifier.from_settings(home, NO_ENV)
    assert refusal(verifier, bearer(token)) == "token signature invalid"


def test_a_tampered_payload_is_refused(home: Path, demo: TokenVerifier) -> None:
    token = mint_demo_token(home, "BANK", BANK, "clerk", env=NO_ENV)
    header, _, signature = token.split(".")
    forged = _b64(_json(claims(operator="someone else")))
    assert refusal(demo, bearer(f"{header}.{forged}.{signature}")) == "token signature invalid"


def test_a_tampered_signature_is_refused(home: Path, demo: TokenVerifier) -> None:
    token = mint_demo_token(home, "BANK", BANK, "clerk", env=NO_ENV)
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert refusal(demo, bearer(f"{header}.{payload}.{flipped}")) == "token signature invalid"
    assert refusal(demo, bearer(f"{header}.{payload}.")) == "token signature invalid"


def test_an_expired_token_is_refused(home: Path, demo: TokenVerifier) -> None:
    an_hour_and_more_ago = time.time() - 3600 - LEEWAY_SECONDS - 5
    token = mint_demo_token(home, "SUBJECT", PERSON, None, env=NO_ENV, now=an_hour_and_more_ago)
    assert refusal(demo, bearer(token)) == "token expired"


def test_a_token_issued_in_the_future_is_refused(home: Path, demo: TokenVerifier) -> None:
    token = mint_demo_token(home, "SUBJECT", PERSON, None, env=NO_ENV, now=time.time() + 600)
    assert refusal(demo, bearer(token)) == "token not yet valid"


def test_a_token_not_valid_before_a_future_time_is_refused(home: Path, demo: TokenVerifier) -> None:
    token = jwt.encode(claims(nbf=int(time.time()) + 600), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == "token not yet valid"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"iss": "someone-else"}, "token issuer not accepted"),
        ({"aud": "another-gateway"}, "token audience not accepted"),
        ({"aud": ["another-gateway", "a-third"]}, "token audience not accepted"),
        ({"iat": "yesterday"}, "token iat claim invalid"),
        ({"exp": "tomorrow"}, "token malformed"),
        ({"sub": 91110000}, "token sub claim invalid"),
    ],
)
def test_wrong_claims_are_refused(
    home: Path, demo: TokenVerifier, overrides: dict[str, Any], message: str
) -> None:
    token = jwt.encode(claims(**overrides), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == message


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "role", "exp", "iat"])
def test_a_missing_required_claim_is_named(home: Path, demo: TokenVerifier, claim: str) -> None:
    token = jwt.encode(claims(**{claim: None}), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == f"token lacks the {claim} claim"


@pytest.mark.parametrize("role", ["admin", "SUBJECT", "Bank", "", 1, ["bank"]])
def test_an_unknown_role_is_refused(home: Path, demo: TokenVerifier, role: object) -> None:
    token = jwt.encode(claims(role=role), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == "token role unknown"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"role": "subject", "sub": BANK, "operator": None},
            "token sub is not a valid resident identity number",
        ),
        (
            {"role": "subject", "sub": PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")},
            "token sub is not a valid resident identity number",
        ),
        ({"role": "bank", "sub": PERSON}, "token sub is not a valid unified social credit code"),
        (
            {"role": "government", "sub": BANK[:-1] + ("0" if BANK[-1] != "0" else "1")},
            "token sub is not a valid unified social credit code",
        ),
        (
            {"role": "bank", "sub": f" {BANK}"},
            "token sub is not a valid unified social credit code",
        ),
    ],
)
def test_a_malformed_identifier_is_refused(
    home: Path, demo: TokenVerifier, overrides: dict[str, Any], message: str
) -> None:
    token = jwt.encode(claims(**overrides), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"operator": None}, "token refused: a bank token needs an operator"),
        (
            {"role": "subject", "sub": PERSON, "operator": "someone"},
            "token refused: a subject token carries no operator",
        ),
        (
            {"operator": ""},
            "token refused: the operator must be 1 to 128 printable characters "
            "with no surrounding spaces",
        ),
        (
            {"role": "government", "sub": GOVERNMENT, "operator": 42},
            "token refused: the operator must be 1 to 128 printable characters "
            "with no surrounding spaces",
        ),
        (
            {"operator": "clerk\n"},
            "token refused: the operator must be 1 to 128 printable characters "
            "with no surrounding spaces",
        ),
    ],
)
def test_a_wrong_operator_is_refused(
    home: Path, demo: TokenVerifier, overrides: dict[str, Any], message: str
) -> None:
    token = jwt.encode(claims(**overrides), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == message


ORGANISATION = next(p.identifier for p in PERSONAS if p.kind == "ORGANISATION")


def test_an_organisations_token_names_the_person_acting_for_it(
    home: Path, demo: TokenVerifier
) -> None:
    token = mint_demo_token(home, "SUBJECT", ORGANISATION, None, env=NO_ENV, representative=PERSON)
    assert jwt.decode(token, options={"verify_signature": False})["representative"] == PERSON
    requester = demo.verify(bearer(token))
    assert requester == Requester("SUBJECT", ORGANISATION, None, PERSON)
    assert requester is not None
    assert requester.person == PERSON


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"role": "subject", "sub": ORGANISATION, "operator": None},
            "token sub is not a valid resident identity number",
        ),
        (
            {"representative": PERSON},
            "token refused: only an organisation's subject token names a representative",
        ),
        (
            {"role": "subject", "sub": PERSON, "operator": None, "representative": PERSON},
            "token sub is not a valid unified social credit code",
        ),
        (
            {"role": "subject", "sub": ORGANISATION, "operator": None, "representative": BANK},
            "token refused: the representative must be a valid resident identity number",
        ),
        (
            {"role": "subject", "sub": ORGANISATION, "operator": None, "representative": 7},
            "token refused: the representative must be a valid resident identity number",
        ),
    ],
)
def test_a_wrong_representative_is_refused(
    home: Path, demo: TokenVerifier, overrides: dict[str, Any], message: str
) -> None:
    token = jwt.encode(claims(**overrides), demo_key(home), "HS256")
    assert refusal(demo, bearer(token)) == message


# --- demo key and minting -----------------------------------------------------------------------


def test_the_demo_key_is_created_once_private_to_its_owner(home: Path) -> None:
    first = TokenVerifier.from_settings(home, NO_ENV)
    path = home / SIGNING_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes()
    assert len(key.strip()) >= 32
    token = mint_demo_token(home, "SUBJECT", PERSON, None, env=NO_ENV)
    assert path.read_bytes() == key  # reused, not replaced
    assert first.verify(bearer(token)) is not None
    assert [p.name for p in home.iterdir()] == [SIGNING_KEY_FILE]  # no drafts left behind


def test_the_demo_key_is_not_the_internal_credential_key(home: Path) -> None:
    TokenVerifier.from_settings(home, NO_ENV)
    assert credential.load_secret(home, NO_ENV) != demo_key(home)


def test_a_key_another_process_created_first_wins(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / "race.key"
    real_link = os.link

    def lose_the_race(source: Any, destination: Any) -> None:
        write(path, "w" * 40)  # the other process links its key in between our check and link
        real_link(source, destination)

    monkeypatch.setattr(os, "link", lose_the_race)
    assert load_or_create_secret(path, min_bytes=32) == b"w" * 40
    assert [p.name for p in home.iterdir()] == ["race.key"]


def test_a_short_or_unusable_key_file_is_a_configuration_error(home: Path) -> None:
    write(home / SIGNING_KEY_FILE, "short")
    with pytest.raises(ConfigurationError, match="holds too short a key; delete it"):
        TokenVerifier.from_settings(home, NO_ENV)
    with pytest.raises(ConfigurationError, match="cannot use the key file"):
        TokenVerifier.from_settings(home / "missing-directory", NO_ENV)


@pytest.mark.parametrize(
    ("role", "identifier", "operator", "message"),
    [
        ("SUBJECT", BANK, None, "resident identity number"),
        ("SUBJECT", "12345", None, "must be 18 characters, got 5"),
        ("BANK", PERSON, "clerk", "unified social credit code"),
        ("BANK", BANK, None, "a bank token needs an operator"),
        ("SUBJECT", PERSON, "clerk", "a subject token carries no operator"),
        ("GOVERNMENT", GOVERNMENT, " clerk", "the operator must be 1 to 128 printable"),
        ("ADMIN", BANK, None, "role must be one of SUBJECT, BANK, GOVERNMENT"),
    ],
)
def test_minting_refuses_what_verifying_would(
    home: Path, role: Any, identifier: str, operator: str | None, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        mint_demo_token(home, role, identifier, operator, env=NO_ENV)
    assert not (home / SIGNING_KEY_FILE).exists()


@pytest.mark.parametrize("lifetime", [0, -1, MAX_LIFETIME_SECONDS + 1])
def test_minting_refuses_a_lifetime_out_of_range(home: Path, lifetime: int) -> None:
    with pytest.raises(ConfigurationError, match="a token lives 1 to 2592000 seconds"):
        mint_demo_token(home, "SUBJECT", PERSON, None, lifetime_seconds=lifetime, env=NO_ENV)


# --- an identity provider's public key ------------------------------------------------------


@pytest.fixture
def rsa_verifier(home: Path, rsa_keys: RSAKeys) -> TokenVerifier:
    key_file = write(home / "idp.pem", pem(rsa_keys[1]))
    return TokenVerifier.from_settings(home, {"CREDITGRAPH_JWT_PUBLIC_KEY": str(key_file)})


def test_an_rs256_token_from_the_provider_is_accepted(
    rsa_verifier: TokenVerifier, rsa_keys: RSAKeys
) -> None:
    token = jwt.encode(claims(), rsa_keys[0], "RS256")
    assert rsa_verifier.verify(bearer(token)) == Requester("BANK", BANK, "loan officer 7")


def test_an_es256_token_from_the_provider_is_accepted(home: Path, ec_keys: ECKeys) -> None:
    key_file = write(home / "idp.pem", pem(ec_keys[1]))
    verifier = TokenVerifier.from_settings(home, {"CREDITGRAPH_JWT_PUBLIC_KEY": str(key_file)})
    token = jwt.encode(claims(role="subject", sub=PERSON, operator=None), ec_keys[0], "ES256")
    assert verifier.verify(bearer(token)) == Requester("SUBJECT", PERSON, None)


def test_hs256_signed_with_the_public_key_is_refused(
    home: Path, rsa_verifier: TokenVerifier, rsa_keys: RSAKeys
) -> None:
    # the key confusion attack: the public key is public, so as an HMAC secret it proves nothing
    forged = hs256_by_hand(claims(), pem(rsa_keys[1]))
    assert refusal(rsa_verifier, bearer(forged)) == "token algorithm not accepted"


def test_demo_tokens_are_refused_when_a_provider_is_configured(
    home: Path, rsa_verifier: TokenVerifier
) -> None:
    demo_token = mint_demo_token(home, "SUBJECT", PERSON, None, env=NO_ENV)
    assert refusal(rsa_verifier, bearer(demo_token)) == "token algorithm not accepted"


@pytest.mark.parametrize(
    ("sign", "message"),
    [
        (lambda keys, other: unsigned(claims()), "token algorithm not accepted"),
        (
            lambda keys, other: jwt.encode(claims(), keys[0], "RS384"),
            "token algorithm not accepted",
        ),
        (
            lambda keys, other: jwt.encode(claims(), keys[0], "PS256"),
            "token algorithm not accepted",
        ),
        (lambda keys, other: jwt.encode(claims(), other[0], "RS256"), "token signature invalid"),
        (
            lambda keys, other: jwt.encode(claims(exp=int(time.time()) - 3600), keys[0], "RS256"),
            "token expired",
        ),
        (
            lambda keys, other: jwt.encode(claims(iss="creditgraph-demo"), keys[0], "RS256"),
            "token issuer not accepted",
        ),
    ],
)
def test_the_provider_mode_refuses(
    rsa_verifier: TokenVerifier,
    rsa_keys: RSAKeys,
    other_rsa_keys: RSAKeys,
    sign: Callable[[RSAKeys, RSAKeys], str],
    message: str,
) -> None:
    assert refusal(rsa_verifier, bearer(sign(rsa_keys, other_rsa_keys))) == message


def test_an_es256_token_is_refused_by_an_rsa_key(
    rsa_verifier: TokenVerifier, ec_keys: ECKeys
) -> None:
    token = jwt.encode(claims(), ec_keys[0], "ES256")
    assert refusal(rsa_verifier, bearer(token)) == "token algorithm not accepted"


def test_the_provider_issuer_and_audience_come_from_settings(home: Path, rsa_keys: RSAKeys) -> None:
    key_file = write(home / "idp.pem", pem(rsa_keys[1]))
    env = {
        "CREDITGRAPH_JWT_PUBLIC_KEY": str(key_file),
        "CREDITGRAPH_JWT_ISSUER": "https://idp.example.cn/",
        "CREDITGRAPH_JWT_AUDIENCE": "creditgraph-prod",
    }
    verifier = TokenVerifier.from_settings(home, env)
    good = claims(iss="https://idp.example.cn/", aud="creditgraph-prod")
    assert verifier.verify(bearer(jwt.encode(good, rsa_keys[0], "RS256"))) is not None
    wrong_audience = jwt.encode({**good, "aud": DEFAULT_JWT_AUDIENCE}, rsa_keys[0], "RS256")
    assert refusal(verifier, bearer(wrong_audience)) == "token audience not accepted"
    default_issuer = jwt.encode({**good, "iss": DEFAULT_JWT_ISSUER}, rsa_keys[0], "RS256")
    assert refusal(verifier, bearer(default_issuer)) == "token issuer not accepted"


def test_minting_is_refused_when_a_provider_is_configured(home: Path, rsa_keys: RSAKeys) -> None:
    key_file = write(home / "idp.pem", pem(rsa_keys[1]))
    with pytest.raises(ConfigurationError, match="CREDITGRAPH_JWT_PUBLIC_KEY is set"):
        mint_demo_token(
            home, "SUBJECT", PERSON, None, env={"CREDITGRAPH_JWT_PUBLIC_KEY": str(key_file)}
        )
    with pytest.raises(ConfigurationError, match="CREDITGRAPH_JWT_JWKS is set"):
        mint_demo_token(home, "SUBJECT", PERSON, None, env={"CREDITGRAPH_JWT_JWKS": "x.json"})
    assert not (home / SIGNING_KEY_FILE).exists()


def _private_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_public_key_configuration_errors(home: Path, rsa_keys: RSAKeys) -> None:
    def refused(content: bytes | None, message: str) -> None:
        path = home / "key.pem"
        path.unlink(missing_ok=True)
        if content is not None:
            write(path, content)
        with pytest.raises(ConfigurationError, match=message):
            TokenVerifier.from_settings(home, {"CREDITGRAPH_JWT_PUBLIC_KEY": str(path)})

    refused(None, r"CREDITGRAPH_JWT_PUBLIC_KEY .*key\.pem cannot be read")
    refused(b"not a key", "is not a PEM public key")
    refused(_private_pem(rsa_keys[0]), "is not a PEM public key")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    refused(pem(small), "is a 1024-bit RSA key; at least 2048 bits needed")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    refused(pem(p384), r"neither an RSA key \(RS256\) nor an EC P-256 key \(ES256\)")
    edwards = ed25519.Ed25519PrivateKey.generate().public_key()
    refused(pem(edwards), "neither an RSA key")


def test_settings_refuse_both_provider_forms_and_padded_names() -> None:
    with pytest.raises(ConfigurationError, match="are set together"):
        JwtSettings.from_env({"CREDITGRAPH_JWT_PUBLIC_KEY": "a.pem", "CREDITGRAPH_JWT_JWKS": "b"})
    with pytest.raises(ConfigurationError, match="CREDITGRAPH_JWT_ISSUER has leading or trailing"):
        JwtSettings.from_env({"CREDITGRAPH_JWT_ISSUER": "creditgraph "})
    defaults = JwtSettings.from_env({})
    assert (defaults.issuer, defaults.audience, defaults.demo) == (
        "creditgraph",
        "creditgraph-gateway",
        True,
    )


# --- an identity provider's JWKS ------------------------------------------------------------


def rsa_jwk(public_key: rsa.RSAPublicKey, kid: str, **extra: Any) -> dict[str, Any]:
    return {**json.loads(RSAAlgorithm.to_jwk(public_key)), "kid": kid, **extra}


def ec_jwk(public_key: ec.EllipticCurvePublicKey, kid: str, **extra: Any) -> dict[str, Any]:
    return {**json.loads(ECAlgorithm.to_jwk(public_key)), "kid": kid, **extra}


@pytest.fixture
def jwks_verifier(home: Path, rsa_keys: RSAKeys, ec_keys: ECKeys) -> TokenVerifier:
    document = {
        "keys": [
            rsa_jwk(rsa_keys[1], "rsa-1", use="sig", alg="RS256"),
            ec_jwk(ec_keys[1], "ec-1"),
            {"kty": "oct", "kid": "shared", "k": _b64(b"s" * 32)},  # never a verification key
            rsa_jwk(rsa_keys[1], "enc-1", use="enc"),
        ]
    }
    path = write(home / "jwks.json", json.dumps(document))
    return TokenVerifier.from_settings(home, {"CREDITGRAPH_JWT_JWKS": str(path)})


def test_jwks_keys_are_picked_by_kid(
    jwks_verifier: TokenVerifier, rsa_keys: RSAKeys, ec_keys: ECKeys
) -> None:
    by_rsa = jwt.encode(claims(), rsa_keys[0], "RS256", headers={"kid": "rsa-1"})
    by_ec = jwt.encode(claims(), ec_keys[0], "ES256", headers={"kid": "ec-1"})
    for token in (by_rsa, by_ec):
        assert jwks_verifier.verify(bearer(token)) == Requester("BANK", BANK, "loan officer 7")


@pytest.mark.parametrize(
    ("sign", "message"),
    [
        (
            lambda rsa_, ec_: jwt.encode(claims(), rsa_[0], "RS256"),
            "token names no signing key (kid)",
        ),
        (
            lambda rsa_, ec_: jwt.encode(claims(), rsa_[0], "RS256", headers={"kid": "rsa-2"}),
            "token signing key (kid) unknown",
        ),
        (
            lambda rsa_, ec_: jwt.encode(claims(), rsa_[0], "RS256", headers={"kid": "enc-1"}),
            "token signing key (kid) unknown",
        ),
        (
            lambda rsa_, ec_: hs256_by_hand(claims(), b"s" * 32, kid="shared"),
            "token signing key (kid) unknown",
        ),
        (
            lambda rsa_, ec_: jwt.encode(claims(), ec_[0], "ES256", headers={"kid": "rsa-1"}),
            "token algorithm not accepted",
        ),
        (
            lambda rsa_, ec_: hs256_by_hand(claims(), pem(rsa_[1]), kid="rsa-1"),
            "token algorithm not accepted",
        ),
        (lambda rsa_, ec_: unsigned(claims(), kid="rsa-1"), "token algorithm not accepted"),
        (
            lambda rsa_, ec_: (
                f"{_b64(_json({'alg': 'ES256', 'kid': 7}))}.{_b64(_json(claims()))}.c2ln"
            ),
            "token malformed",
        ),
    ],
)
def test_the_jwks_mode_refuses(
    jwks_verifier: TokenVerifier,
    rsa_keys: RSAKeys,
    ec_keys: ECKeys,
    sign: Callable[[RSAKeys, ECKeys], str],
    message: str,
) -> None:
    assert refusal(jwks_verifier, bearer(sign(rsa_keys, ec_keys))) == message


def test_demo_tokens_are_refused_with_a_jwks(home: Path, jwks_verifier: TokenVerifier) -> None:
    token = mint_demo_token(home, "SUBJECT", PERSON, None, env=NO_ENV)
    assert refusal(jwks_verifier, bearer(token)) == "token names no signing key (kid)"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "cannot be read"),
        ("{not json", "is not JSON"),
        ("[]", 'is not a JWKS: it needs a non-empty "keys" list'),
        ('{"keys": []}', 'is not a JWKS: it needs a non-empty "keys" list'),
        ('{"keys": ["rsa"]}', "key 0 is not a JSON object"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "holds no RS256 or ES256 signing key"),
        (
            '{"keys": [{"kty": "RSA", "kid": "r", "n": "AQ", "e": "AQAB"}]}',
            "key 'r' is not a valid key",
        ),
        ('{"keys": [{"kty": "RSA", "kid": "r", "n": "%%%"}]}', "key 'r' is not a valid key"),
    ],
)
def test_jwks_configuration_errors(home: Path, document: str | None, message: str) -> None:
    path = home / "jwks.json"
    if document is not None:
        write(path, document)
    with pytest.raises(ConfigurationError, match=message):
        TokenVerifier.from_settings(home, {"CREDITGRAPH_JWT_JWKS": str(path)})


def test_jwks_keys_that_cannot_be_named_or_are_private_are_errors(
    home: Path, rsa_keys: RSAKeys
) -> None:
    private_jwk = json.loads(RSAAlgorithm.to_jwk(rsa_keys[0]))
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cases = [
        ([{**rsa_jwk(rsa_keys[1], "x"), "kid": None}], "key 0 has no kid, so no token can name it"),
        ([rsa_jwk(rsa_keys[1], "x"), rsa_jwk(rsa_keys[1], "x")], "kid 'x' names two keys"),
        ([{**private_jwk, "kid": "p"}], "key 'p' holds private key material"),
        ([rsa_jwk(small.public_key(), "s")], "key 's' is a 1024-bit RSA key; at least 2048 bits"),
    ]
    path = home / "jwks.json"
    for keys, message in cases:
        write(path, json.dumps({"keys": keys}))
        with pytest.raises(ConfigurationError, match=message):
            TokenVerifier.from_settings(home, {"CREDITGRAPH_JWT_JWKS": str(path)})
