"""Shared helpers of the emulator tests: an in-process harness and a test client.

The harness drives the app with raw HTTP through ``httpx.ASGITransport`` (no
lifespan: the emulator bootstraps lazily) on an event loop of its own, so
the tests stay plain synchronous functions. Client keys and CSRs are made
with ``cryptography`` directly; exports and signatures use the project's
crypto package (the byte formats of PROTOCOL.md §5).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from komandor_desktop import crypto
from komandor_desktop.domain import Certificate
from komandor_desktop.emulator import EmulatorConfig, create_asgi_app
from komandor_desktop.emulator import db as tables
from komandor_desktop.protocol import b64decode, b64encode, decode_certificate


def make_key(kind: str = "p256") -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curve = {"p256": ec.SECP256R1, "p384": ec.SECP384R1}[kind]()
    return ec.generate_private_key(curve)


def make_csr_b64(key: Any, phone: str, name: str = "Test") -> str:
    """Base64 of a PEM PKCS#10 request, built with cryptography alone."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, phone)])
    algorithm = hashes.SHA256()
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, algorithm)
    return base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode()


@dataclass
class User:
    """A signed-in test client: its profile, current certificate, key and token."""

    phone: str
    pid: str
    cid: str
    key: Any
    cert_pem: str
    token: str
    ca_pem: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def certificate(self) -> Certificate:
        return Certificate(pid=self.pid, cid=self.cid, pem=self.cert_pem, hash="")


def wire_cert(entry: dict[str, Any]) -> Certificate:
    """A ``certificates``/``waitList`` entry as a domain Certificate."""
    return Certificate(pid=entry["pid"], cid=entry["cid"],
                       pem=decode_certificate(entry["certificate"]), hash=entry["hash"])


class Harness:
    """One emulator app over a fresh SQLite file, driven over ASGI."""

    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.config = EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'emulator.db'}", **settings)
        self.app = create_asgi_app(self.config)
        self.emulator = self.app.state.emulator
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                        base_url="http://emulator")

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.emulator.close()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.request(method, path, **kwargs))

    # --- accounts -------------------------------------------------------------

    def confirm(self, phone: str, key: Any = None, **extra: Any) -> httpx.Response:
        key = key or make_key()
        body = {"phone": phone, "code": self.config.code, "csr": make_csr_b64(key, phone),
                **extra}
        return self.call("POST", "/api/v2/auth/confirm/", json=body)

    def register(self, phone: str, key: Any = None, **extra: Any) -> User:
        key = key or make_key()
        response = self.confirm(phone, key, **extra)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        return User(phone=phone, pid=data["pid"], cid=data["cid"], key=key,
                    cert_pem=decode_certificate(data["certificate"]), token=data["token"],
                    ca_pem=decode_certificate(data["caCertificate"]))

    # --- chats ----------------------------------------------------------------

    def chats(self, user: User, phones: list[str] | None = None) -> list[dict[str, Any]]:
        params = {"phones": phones} if phones else None
        response = self.call("GET", "/api/v2/chats/", headers=user.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()["data"]  # type: ignore[no-any-return]

    def chat(self, user: User, chat_id: str) -> dict[str, Any]:
        return next(c for c in self.chats(user) if c["id"] == chat_id)

    def personal(self, user: User, phone: str) -> dict[str, Any]:
        """The personal chat of ``user`` with ``phone`` (adding the contact if needed)."""
        return next(c for c in self.chats(user, [phone]) if c["profilePhone"] == phone
                    and not c["chatFavorites"])

    def post_keys(self, user: User | None, body: Any) -> httpx.Response:
        headers = user.headers if user else {}
        if isinstance(body, bytes | str):
            return self.call("POST", "/api/v2/chatsKeys/", headers=headers, content=body)
        return self.call("POST", "/api/v2/chatsKeys/", headers=headers, json=body)

    # --- database checks ------------------------------------------------------

    def count(self, table: Any) -> int:
        with self.emulator.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(table)) or 0)

    def stored_keys(self) -> tuple[int, int]:
        """(key records, key exports) in the database, the system chats' left out."""
        with self.emulator.transaction() as session:
            system = session.get(tables.ServerState, 1).system_pid
            records = session.scalar(select(func.count()).select_from(tables.ChatKeyRecord)
                                     .where(tables.ChatKeyRecord.creator_pid != system))
            exports = session.scalar(select(func.count()).select_from(tables.KeyExport)
                                     .where(tables.KeyExport.signer_pid != system))
            return int(records or 0), int(exports or 0)


def entry(user: User, chat_id: str, chat_key: bytes, target: Certificate,
          signer_key: Any = None) -> dict[str, str]:
    """One wire entry: ``chat_key`` exported to ``target``, signed by ``user``."""
    blob = crypto.export_key(chat_key, chat_id, target)
    signature = crypto.sign(signer_key or user.key, blob)
    return {"chatId": chat_id, "cid": target.cid, "pid": target.pid,
            "key": b64encode(blob), "sign": b64encode(signature)}


def create_entries(user: User, chat: dict[str, Any], chat_key: bytes | None = None
                   ) -> tuple[bytes, list[dict[str, str]]]:
    """§4 for a new chat: export to certificates ∪ waitList ∪ {own}, each once."""
    chat_key = chat_key or crypto.new_chat_key()
    targets = {user.cid: user.certificate}
    for item in [*chat["certificates"], *(chat.get("waitList") or [])]:
        targets.setdefault(item["cid"], wire_cert(item))
    return chat_key, [entry(user, chat["id"], chat_key, t) for t in targets.values()]


def own_chat_key(user: User, chat: dict[str, Any]) -> bytes:
    """Import the viewer's ``chatKey`` with its private key."""
    blob = b64decode(chat["chatKey"]["key"])
    return crypto.import_key(blob, chat["id"], user.cid, user.key)


def open_harness(tmp_path: Path, **settings: Any) -> Iterator[Harness]:
    """The body of each test module's ``harness`` fixture: made, yielded, closed."""
    h = Harness(tmp_path, **settings)
    try:
        yield h
    finally:
        h.close()
