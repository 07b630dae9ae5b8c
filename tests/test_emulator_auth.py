"""Emulator extensions (PROTOCOL.md §7): code, confirm, challenge/token, token expiry, CA."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import update
from test_emulator_support import (
    Harness,
    User,
    make_csr_b64,
    make_key,
    open_harness,
)

from komandor_desktop import crypto
from komandor_desktop.emulator import db as tables
from komandor_desktop.emulator.service import server_state
from komandor_desktop.emulator.tokens import make_token
from komandor_desktop.protocol import b64decode, b64encode

ALICE = "79160000001"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    yield from open_harness(tmp_path)


def _sign_in(h: Harness, user: User, signer: Any = None) -> Any:
    nonce = h.call("POST", "/api/v2/auth/challenge/", json={"cid": user.cid})
    assert nonce.status_code == 200, nonce.text
    nonce_b64 = nonce.json()["data"]["nonce"]
    assert len(b64decode(nonce_b64)) == 32
    signature = crypto.sign(signer or user.key, b64decode(nonce_b64))
    body = {"cid": user.cid, "nonce": nonce_b64, "sign": b64encode(signature)}
    return h.call("POST", "/api/v2/auth/token/", json=body), body


def test_code_answers_sent_and_refuses_bad_phones(harness: Harness) -> None:
    ok = harness.call("POST", "/api/v2/auth/code/", json={"phone": "+7 916 000-00-01"})
    assert ok.json() == {"success": True, "data": {"sent": True}}
    bad = harness.call("POST", "/api/v2/auth/code", json={"phone": "123"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_phone")
    junk = harness.call("POST", "/api/v2/auth/code/", json={"phone": 5})
    assert (junk.status_code, junk.json()["error"]["code"]) == (400, "bad_request")


def test_issued_certificate_chains_to_the_ca_with_key_usage(harness: Harness) -> None:
    user = harness.register(ALICE, key=make_key("rsa"))
    cert = crypto.load_certificate(user.cert_pem)
    ca = crypto.load_certificate(user.ca_pem)
    assert cert.issuer == ca.subject
    assert crypto.chains_to(crypto.parse_certificate(user.cert_pem), ca)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.key_encipherment
    assert not usage.key_agreement
    ec_user = harness.register("79160000002")
    ec_usage = crypto.load_certificate(ec_user.cert_pem).extensions.get_extension_for_class(
        x509.KeyUsage).value
    assert ec_usage.key_agreement
    assert not ec_usage.key_encipherment
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 729 <= days <= 731


def test_same_key_returns_the_same_certificate(harness: Harness) -> None:
    key = make_key()
    first, second = harness.register(ALICE, key=key), harness.register(ALICE, key=key)
    assert (first.cid, first.cert_pem) == (second.cid, second.cert_pem)
    assert harness.count(tables.CertificateRow) == 2  # the system's and Alice's


def test_wrong_code_is_403(harness: Harness) -> None:
    key = make_key()
    body = {"phone": ALICE, "code": "0000", "csr": make_csr_b64(key, ALICE)}
    response = harness.call("POST", "/api/v2/auth/confirm/", json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "invalid_code")


def _tampered_csr() -> str:
    pem = base64.b64decode(make_csr_b64(make_key(), ALICE))
    der = bytearray(x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # inside the signature
    return base64.b64encode(bytes(der)).decode()


def _ed25519_csr() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])).sign(key, None)
    return base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode()


BAD_CSRS = {
    "tampered": _tampered_csr,
    "ed25519": _ed25519_csr,
    "p224": lambda: make_csr_b64(ec.generate_private_key(ec.SECP224R1()), ALICE),
    "small-rsa": lambda: make_csr_b64(
        rsa.generate_private_key(public_exponent=65537, key_size=1024), ALICE),
    "garbage": lambda: base64.b64encode(b"not a csr").decode(),
}


@pytest.mark.parametrize("kind", sorted(BAD_CSRS))
def test_bad_csr_is_400(harness: Harness, kind: str) -> None:
    body = {"phone": ALICE, "code": "1111", "csr": BAD_CSRS[kind]()}
    response = harness.call("POST", "/api/v2/auth/confirm/", json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "bad_csr")
    assert harness.count(tables.CertificateRow) == 1  # only the system's
    assert harness.count(tables.Profile) == 1


def test_challenge_and_token_sign_in(harness: Harness) -> None:
    user = harness.register(ALICE)
    response, _body = _sign_in(harness, user)
    assert response.status_code == 200
    user.token = response.json()["data"]["token"]
    assert harness.call("GET", "/api/v2/chats/", headers=user.headers).status_code == 200


def test_nonce_is_single_use(harness: Harness) -> None:
    user = harness.register(ALICE)
    first, body = _sign_in(harness, user)
    assert first.status_code == 200
    again = harness.call("POST", "/api/v2/auth/token/", json=body)
    assert (again.status_code, again.json()["error"]["code"]) == (401, "unauthorized")


def test_wrong_signature_and_expired_nonce_are_refused(harness: Harness) -> None:
    user = harness.register(ALICE)
    wrong, body = _sign_in(harness, user, signer=make_key())
    assert wrong.status_code == 401
    good = crypto.sign(user.key, b64decode(body["nonce"]))  # one challenge, one try
    retry = harness.call("POST", "/api/v2/auth/token/", json={**body, "sign": b64encode(good)})
    assert retry.status_code == 401
    nonce = harness.call("POST", "/api/v2/auth/challenge/", json={"cid": user.cid})
    nonce_b64 = nonce.json()["data"]["nonce"]
    with harness.emulator.transaction() as session:
        session.execute(update(tables.Nonce).where(tables.Nonce.nonce == nonce_b64)
                        .values(expires=int(time.time() * 1000) - 1))
    body = {"cid": user.cid, "nonce": nonce_b64,
            "sign": b64encode(crypto.sign(user.key, b64decode(nonce_b64)))}
    assert harness.call("POST", "/api/v2/auth/token/", json=body).status_code == 401


def test_challenge_for_unknown_certificate_is_401(harness: Harness) -> None:
    response = harness.call("POST", "/api/v2/auth/challenge/", json={"cid": "c_nobody"})
    assert response.status_code == 401


def test_expired_token_is_token_expired(tmp_path: Any) -> None:
    h = Harness(tmp_path, token_ttl=1)
    try:
        user = h.register(ALICE)
        with h.emulator.transaction() as session:
            secret = server_state(session).token_secret
        user.token = make_token(secret, user.pid, user.cid, ttl=1, now=time.time() - 10)
        response = h.call("GET", "/api/v2/chats/", headers=user.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (
            401, "token_expired")
    finally:
        h.close()


def test_revoked_certificate_token_is_unauthorized(harness: Harness) -> None:
    user = harness.register(ALICE)
    with harness.emulator.transaction() as session:
        session.execute(update(tables.CertificateRow).where(
            tables.CertificateRow.cid == user.cid).values(revoked=True))
    response = harness.call("GET", "/api/v2/chats/", headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "unauthorized")


def test_openapi_lists_every_status(harness: Harness) -> None:
    document = harness.call("GET", "/openapi.json").json()
    keys = document["paths"]["/api/v2/chatsKeys/"]["post"]
    assert set(keys["responses"]) == {"200", "400", "401", "403", "404", "409", "422", "500"}
    assert keys["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "KeysRequest")
    assert "KeysRequest" in document["components"]["schemas"]
    chats = document["paths"]["/api/v2/chats/"]["get"]
    assert {"200", "400", "401"} <= set(chats["responses"])
    assert "422" not in chats["responses"]


def test_framework_validation_errors_are_400_envelopes(harness: Harness) -> None:
    """A parameter FastAPI itself validates must fail as 400 bad_request, never 422."""

    def probe(n: int) -> dict[str, int]:
        return {"n": n}

    harness.app.add_api_route("/probe", probe, methods=["GET"])
    response = harness.call("GET", "/probe", params={"n": "not a number"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
