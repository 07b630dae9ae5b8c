"""Builders shared by the protocol tests: a real certificate and valid wire chats."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from komandor_desktop.protocol import b64encode

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24


@functools.cache
def certificate(name: str = "test") -> x509.Certificate:
    """A real self-signed EC certificate (cached: generation is the slow part)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def cert_pem(name: str = "test") -> str:
    return certificate(name).public_bytes(serialization.Encoding.PEM).decode("ascii")


def cert_der(name: str = "test") -> bytes:
    return certificate(name).public_bytes(serialization.Encoding.DER)


def cert_hash(name: str = "test") -> str:
    return certificate(name).fingerprint(hashes.SHA256()).hex()


def entry(name: str = "test", pid: str = "p1", cid: str = "c1") -> dict[str, Any]:
    """A certificates/waitList entry as the profile sends it (base64 of PEM)."""
    return {"pid": pid, "cid": cid, "certificate": b64encode(cert_pem(name).encode()),
            "hash": cert_hash(name)}


def chat_key(signed: bool = True) -> dict[str, Any]:
    key: dict[str, Any] = {"id": "k1", "key": b64encode(b"\x01" * 113)}
    if signed:
        key.update(entry("signer", pid="p1", cid="c1"))
        key["sign"] = b64encode(b"\x02" * 70)
    return key


def personal(chat_id: str = "chat-1", **fields: Any) -> dict[str, Any]:
    """A valid personal `sync` chat; ``fields`` override or add wire fields."""
    obj: dict[str, Any] = {
        "id": chat_id,
        "profileName": "Иван Петров",
        "profileCompany": "ООО Ромашка",
        "profileCompanyId": "comp-1",
        "profileTitle": "Директор",
        "profilePhone": "79123456789",
        "profilePhoto": b64encode(PNG),
        "profileType": 3,
        "profileVerified": True,
        "certificates": [entry()],
        "chatType": 0,
        "chatName": None,
        "chatFavorites": False,
        "chatKey": chat_key(),
        "waitList": [],
        "lastMessageText": b64encode(b"\x00" * 40),
        "lastMessageStatus": 2,
        "lastMessageTime": 1_700_000_000_123,
        "unreadMessages": 3,
        "status": "sync",
    }
    obj.update(fields)
    return obj
