"""A synthetic ``GET /api/v2/chats/`` response of 10,000 chats, as a server sends it.

A realistic mix: personal chats and groups, mostly ``sync`` with a signed
``chatKey`` and an encrypted last message, some ``wait`` and ``new``; some
contacts have a photo. Certificates are real (a pool issued by one CA), so
the client parses and hashes exactly what it would in use.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CHATS = 10_000
CERT_POOL = 300


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _certificates(count: int) -> list[dict[str, str]]:
    """``count`` P-256 certificates signed by one throwaway CA, as wire entries."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Contact {n}")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=700))
            .sign(ca_key, hashes.SHA256()))
        pem = cert.public_bytes(serialization.Encoding.PEM)
        der = cert.public_bytes(serialization.Encoding.DER)
        out.append({"pid": f"p_{n:05d}", "cid": f"c_{n:05d}", "certificate": _b64(pem),
                    "hash": hashlib.sha256(der).hexdigest()})
    return out


def _png(seed: int, size: int = 48) -> bytes:
    """A small valid PNG (a flat colour): what an avatar costs to carry."""
    raw = b"".join(b"\x00" + bytes((seed % 256, 90, 160)) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _key(signer: dict[str, str], rng: random.Random) -> dict[str, Any]:
    return {"id": f"key_{rng.getrandbits(64):016x}", "key": _b64(os.urandom(113)),
            "cid": signer["cid"], "pid": signer["pid"], "certificate": signer["certificate"],
            "hash": signer["hash"], "sign": _b64(os.urandom(71))}


def _chat(n: int, certs: list[dict[str, str]], photos: list[str], rng: random.Random,
          base_ms: int) -> dict[str, Any]:
    group = n % 3 == 0
    members = rng.sample(certs, 3 if group else 1)
    status = rng.choices(("sync", "wait", "new"), (75, 15, 10))[0]
    person = members[0]
    chat: dict[str, Any] = {
        "id": f"chat_{n:06d}", "chatType": 1 if group else 0, "chatFavorites": False,
        "chatName": f"Group {n}" if group else None,
        "profileName": None if group else f"Contact {n}",
        "profilePhone": None if group else f"79{n:09d}",
        "profileCompany": None if group else f"Company {n % 97}",
        "profileCompanyId": None, "profileTitle": None if group else "Manager",
        "profilePhoto": None if group or n % 10 else photos[n % len(photos)],
        "profileType": None if group else 1, "profileVerified": n % 7 == 0,
        "certificates": members, "status": status, "chatKey": None, "waitList": [],
        "lastMessageText": None, "lastMessageStatus": None, "lastMessageTime": None,
        "unreadMessages": rng.choice((0, 0, 0, 1, 3)),
    }
    if status != "new":
        chat["chatKey"] = _key(person, rng)
        chat["lastMessageText"] = _b64(os.urandom(60))
        chat["lastMessageStatus"] = rng.choice((0, 1, 2))
        chat["lastMessageTime"] = base_ms - n * 60_000
    if status != "sync":
        chat["waitList"] = [rng.choice(certs)]
    return chat


def make_chats(count: int = CHATS, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    certs = _certificates(CERT_POOL)
    photos = [_b64(_png(i)) for i in range(20)]
    base_ms = 1_760_000_000_000
    return [_chat(n, certs, photos, rng, base_ms) for n in range(count)]


def changed(chats: list[dict[str, Any]], fraction: float = 0.01) -> list[dict[str, Any]]:
    """A copy in which ``fraction`` of the chats got a new message (spread evenly)."""
    step = max(1, round(1 / fraction))
    out = []
    for n, chat in enumerate(chats):
        if n % step == 0:
            chat = {**chat, "unreadMessages": chat["unreadMessages"] + 1,
                    "lastMessageTime": (chat["lastMessageTime"] or 0) + 1}
        out.append(chat)
    return out


def body(chats: list[dict[str, Any]]) -> bytes:
    """The response body: the success envelope around the list."""
    return json.dumps({"success": True, "data": chats}, ensure_ascii=False).encode()
