"""Bare crypto: what PROTOCOL.md makes unavoidable for a first sync, in a tight loop.

Straight ``cryptography`` calls, no project code: one chain check per distinct
certificate (parse + signature by the CA); per key one HPKE P-256 export, one
ECDSA signature (client) and one verification (server, with the uploader's
certificate parsed once); per chat after the refetch one import and one
signer check. This is the floor any implementation pays for the same work.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import create_engine, text

from komandor_desktop.identity import Profile

from .world import PASSPHRASE, World

_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_ECDSA = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True)
class Work:
    """The certificates and chats of a world, as plain PEMs and ids."""

    anchor_pem: bytes
    own_pem: bytes
    own_key: ec.EllipticCurvePrivateKey
    own_cid: str
    contact_pems: dict[str, bytes]  # cid -> PEM
    chats: list[tuple[str, list[str]]]  # chat id -> target cids (own first)

    @property
    def keys(self) -> int:
        return sum(len(t) for _, t in self.chats)


def load_work(world: World) -> Work:
    """Read what the sync will touch from the world's database and the viewer's home."""
    profile = Profile.load(world.home, PASSPHRASE)
    ident = profile.identity
    engine = create_engine(world.db_url())
    with engine.connect() as conn:
        pems = dict(conn.execute(text(
            "SELECT cid, pem FROM certificates WHERE pid != :me"), {"me": ident.pid}).all())
        rows = conn.execute(text(
            "SELECT m.chat_id, c.cid FROM members m JOIN certificates c ON c.pid = m.pid"
            " WHERE m.chat_id IN (SELECT chat_id FROM members WHERE pid = :me)"
            " AND m.chat_id NOT IN (SELECT chat_id FROM chat_key_records)"
            " ORDER BY m.chat_id, m.joined_at"), {"me": ident.pid}).all()
    engine.dispose()
    chats: dict[str, list[str]] = {}
    for chat_id, cid in rows:
        chats.setdefault(chat_id, []).append(cid)
    anchor = profile.trust_anchor
    assert anchor is not None
    return Work(anchor.public_bytes(serialization.Encoding.PEM), ident.certificate_pem.encode(),
                profile.private_key, ident.cid, {c: p.encode() for c, p in pems.items()},
                list(chats.items()))


def run(work: Work) -> float:
    """Seconds for the bare crypto of one first sync of ``work``."""
    start = time.perf_counter()
    anchor = x509.load_pem_x509_certificate(work.anchor_pem)
    public: dict[str, ec.EllipticCurvePublicKey] = {}
    for cid, pem in work.contact_pems.items():  # chain check per distinct certificate
        cert = x509.load_pem_x509_certificate(pem)
        cert.verify_directly_issued_by(anchor)
        public[cid] = cert.public_key()  # type: ignore[assignment]
    own_cert = x509.load_pem_x509_certificate(work.own_pem)
    own_public = own_cert.public_key()
    own_cid = work.own_cid
    public[own_cid] = own_public  # type: ignore[assignment]
    held: dict[str, tuple[bytes, bytes]] = {}
    for chat_id, cids in work.chats:  # per key: export, sign (client), verify (server)
        chat_key = os.urandom(32)
        for cid in cids:
            info = b"komandor-chat-key-v1\x00" + chat_id.encode() + b"\x00" + cid.encode()
            blob = _SUITE.encrypt(chat_key, public[cid], info=info)
            sign = work.own_key.sign(blob, _ECDSA)
            own_public.verify(sign, blob, _ECDSA)  # type: ignore[union-attr]
            if cid == own_cid:
                held[chat_id] = (blob, sign)
    for chat_id, (blob, sign) in held.items():  # per chat after the refetch
        info = b"komandor-chat-key-v1\x00" + chat_id.encode() + b"\x00" + own_cid.encode()
        _SUITE.decrypt(blob, work.own_key, info=info)
        own_public.verify(sign, blob, _ECDSA)  # type: ignore[union-attr]
    return time.perf_counter() - start
