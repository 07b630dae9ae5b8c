"""login() against a MockTransport that plays the server's auth side with a real test CA."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from komandor_desktop import crypto, errors
from komandor_desktop.api import ApiClient, RetryPolicy
from komandor_desktop.identity import Profile, login
from komandor_desktop.protocol import b64decode, b64encode, encode_certificate

SERVER = "https://api.test"
PASS = "test passphrase"


class IssuingCA:
    """A CA that issues one certificate per public key, as the emulator does (§7)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = self._build(self.key.public_key(), "Test CA", ca=True)
        self.issued: dict[bytes, tuple[str, x509.Certificate]] = {}

    def _build(self, public_key: Any, cn: str, *, ca: bool) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, public_key: Any, cn: str) -> tuple[str, x509.Certificate]:
        spki = crypto.public_key_der(public_key)
        if spki not in self.issued:
            self.issued[spki] = (
                f"cid-{len(self.issued) + 1}",
                self._build(public_key, cn, ca=False),
            )
        return self.issued[spki]

    @staticmethod
    def pem(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode()


class AuthServer:
    """code -> confirm (issues for the CSR) -> challenge/token; ``tamper`` breaks the answer."""

    def __init__(self, code: str = "1111", tamper: str | None = None) -> None:
        self.ca = IssuingCA()
        self.code = code
        self.tamper = tamper
        self.requests: list[httpx.Request] = []
        self.nonces: dict[str, bytes] = {}
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.loads(request.content or b"{}")
        route = {
            "/api/v2/auth/code/": self.on_code,
            "/api/v2/auth/confirm/": self.on_confirm,
            "/api/v2/auth/challenge/": self.on_challenge,
            "/api/v2/auth/token/": self.on_token,
            "/api/v2/chats/": self.on_chats,
        }
        return route[request.url.path](request, body)

    @staticmethod
    def ok(data: Any) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "data": data})

    @staticmethod
    def fail(status: int, code: str) -> httpx.Response:
        return httpx.Response(
            status, json={"success": False, "error": {"code": code, "message": code}}
        )

    def on_code(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        return self.ok({"sent": True})

    def on_confirm(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        if body["code"] != self.code:
            return self.fail(403, "invalid_code")
        csr = x509.load_pem_x509_csr(b64decode(body["csr"]))
        assert csr.is_signature_valid
        public_key = csr.public_key()
        if self.tamper == "other_key":
            public_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        cid, cert = self.ca.issue(public_key, body.get("name") or body["phone"])
        ca_cert = self.ca.cert
        if self.tamper == "foreign_ca":
            ca_cert = IssuingCA().cert
        digest = crypto.certificate_hash(cert)
        if self.tamper == "hash":
            digest = "0" * 64
        return self.ok(
            {
                "token": f"token-{cid}",
                "pid": "pid-1",
                "cid": cid,
                "certificate": encode_certificate(self.ca.pem(cert)),
                "hash": digest,
                "caCertificate": encode_certificate(self.ca.pem(ca_cert)),
            }
        )

    def on_challenge(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        nonce = os.urandom(32)
        self.nonces[body["cid"]] = nonce
        return self.ok({"nonce": b64encode(nonce)})

    def on_token(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        cid, nonce = body["cid"], b64decode(body["nonce"])
        cert = next(c for i, c in self.ca.issued.values() if i == cid)
        if self.nonces.pop(cid, None) != nonce or not crypto.verify(
            cert, nonce, b64decode(body["sign"])
        ):
            return self.fail(401, "unauthorized")
        self.tokens += 1
        return self.ok({"token": f"fresh-{self.tokens}"})

    def on_chats(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        if request.headers.get("Authorization", "").startswith("Bearer fresh-"):
            return self.ok([])
        return self.fail(401, "token_expired")


def do_login(
    home: Path,
    server: AuthServer,
    phone: str = "+7 (900) 111-22-33",
    code: str = "1111",
    url: str = SERVER,
    **kwargs: Any,
) -> Profile:
    kwargs.setdefault("passphrase", PASS)
    return asyncio.run(
        login(
            home,
            url,
            phone,
            code,
            transport=httpx.MockTransport(server),
            retry=RetryPolicy(attempts=1),
            **kwargs,
        )
    )


def test_login_saves_a_loadable_profile(tmp_path: Path) -> None:
    server = AuthServer()
    home = tmp_path / "home"
    profile = do_login(home, server, name="Иван Петров")
    paths = [r.url.path for r in server.requests]
    assert paths == ["/api/v2/auth/code/", "/api/v2/auth/confirm/"]
    confirm = json.loads(server.requests[1].content)
    assert confirm["phone"] == "79001112233"
    assert confirm["name"] == "Иван Петров"
    assert profile.identity.phone == "79001112233"
    assert profile.identity.cid == "cid-1"
    assert profile.token == "token-cid-1"
    assert Profile.exists(home)
    loaded = Profile.load(home, PASS)
    assert loaded.identity == profile.identity
    assert loaded.token == "token-cid-1"
    assert crypto.public_key_der(loaded.private_key) == crypto.public_key_der(profile.private_key)
    assert loaded.trust_anchor == server.ca.cert
    assert isinstance(loaded.private_key, ec.EllipticCurvePrivateKey)
    assert loaded.private_key.curve.name == "secp256r1"


def test_login_again_reuses_the_key_and_gets_the_same_certificate(tmp_path: Path) -> None:
    server = AuthServer()
    first = do_login(tmp_path, server)
    second = do_login(tmp_path, server)
    assert second.identity.cid == first.identity.cid == "cid-1"
    assert second.identity.certificate_pem == first.identity.certificate_pem
    assert len(server.ca.issued) == 1


def test_an_explicit_other_key_kind_makes_a_new_key(tmp_path: Path) -> None:
    server = AuthServer()
    do_login(tmp_path, server)
    p384 = do_login(tmp_path, server, key_kind="p384")
    assert p384.identity.cid == "cid-2"
    assert Profile.load(tmp_path, PASS).private_key.curve.name == "secp384r1"
    again = do_login(tmp_path, server)  # no kind asked: keep the stored p384 key
    assert again.identity.cid == "cid-2"


def test_another_phone_in_the_same_home_gets_a_new_key(tmp_path: Path) -> None:
    server = AuthServer()
    do_login(tmp_path, server)
    other = do_login(tmp_path, server, phone="89004445566")
    assert other.identity.phone == "79004445566"
    assert other.identity.cid == "cid-2"


def test_rsa3072_login(tmp_path: Path) -> None:
    profile = do_login(tmp_path, AuthServer(), key_kind="rsa3072")
    assert isinstance(profile.private_key, rsa.RSAPrivateKey)
    assert profile.private_key.key_size == 3072


@pytest.mark.parametrize(
    ("kwargs", "exc_type", "match"),
    [
        ({"key_kind": "gost2012-256"}, errors.InputError, "not supported yet"),
        ({"key_kind": "dsa"}, errors.InputError, "unknown key kind"),
        ({"phone": "12345"}, errors.InvalidPhone, "12345"),
        ({"url": "http://api.example.com"}, errors.InputError, "https"),
        ({"url": "ftp://127.0.0.1"}, errors.InputError, "URL"),
        ({"passphrase": ""}, errors.InputError, "passphrase"),
    ],
)
def test_bad_input_sends_nothing_and_writes_nothing(
    tmp_path: Path, kwargs: dict[str, Any], exc_type: type[Exception], match: str
) -> None:
    server = AuthServer()
    home = tmp_path / "home"
    with pytest.raises(exc_type, match=match):
        do_login(home, server, **kwargs)
    assert server.requests == []
    assert not home.exists()


def test_loopback_http_is_allowed(tmp_path: Path) -> None:
    profile = do_login(tmp_path, AuthServer(), url="http://127.0.0.1:8765/")
    assert profile.identity.server_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize("tamper", ["other_key", "hash", "foreign_ca"])
def test_a_certificate_that_does_not_check_out_saves_nothing(tmp_path: Path, tamper: str) -> None:
    with pytest.raises(errors.IdentityError):
        do_login(tmp_path, AuthServer(tamper=tamper))
    assert not Profile.exists(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_wrong_code_is_forbidden(tmp_path: Path) -> None:
    with pytest.raises(errors.Forbidden):
        do_login(tmp_path, AuthServer(), code="0000")
    assert not Profile.exists(tmp_path)


def test_relogin_with_a_wrong_passphrase_keeps_the_stored_files(tmp_path: Path) -> None:
    server = AuthServer()
    do_login(tmp_path, server)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(errors.IdentityError, match="wrong passphrase"):
        do_login(tmp_path, server, passphrase="not it")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert len(server.requests) == 2  # only the first login talked to the server


def secret_forms(data: bytes) -> list[bytes]:
    return [
        data,
        base64.b64encode(data),
        base64.b64encode(data).replace(b"+", b"-"),
        data.hex().encode(),
    ]


def test_no_plaintext_key_or_token_anywhere_in_home(tmp_path: Path) -> None:
    server = AuthServer()
    profile = do_login(tmp_path, server)
    profile.save_token("eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl")
    der = crypto.private_key_to_pkcs8(profile.private_key)
    scalar = profile.private_key.private_numbers().private_value.to_bytes(32, "big")
    pem = profile.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    needles = [
        *secret_forms(der),
        *secret_forms(scalar),
        pem[30:90],
        b"eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LXRva2Vu",
        b"token-cid-1",
        PASS.encode(),
    ]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in files} == {"profile.json", "secrets.bin"}
    for path in files:
        content = path.read_bytes()
        for needle in needles:
            assert needle not in content, (path.name, needle[:20])


def test_profile_reauth_through_the_client(tmp_path: Path) -> None:
    """A 401 token_expired on GET chats: challenge, sign, new token, repeat, saved."""
    server = AuthServer()
    profile = do_login(tmp_path, server)

    async def go() -> None:
        async with ApiClient(
            SERVER,
            transport=httpx.MockTransport(server),
            token=profile.token,
            reauth=profile.reauth,
            retry=RetryPolicy(attempts=1),
        ) as client:
            assert (await client.get_chats()).chats == ()
            assert client.token == "fresh-1"

    asyncio.run(go())
    assert [r.url.path for r in server.requests[2:]] == [
        "/api/v2/chats/",
        "/api/v2/auth/challenge/",
        "/api/v2/auth/token/",
        "/api/v2/chats/",
    ]
    assert profile.token == "fresh-1"
    assert Profile.load(tmp_path, PASS).token == "fresh-1"
