"""Building blocks of the emulator's world: profiles with keys, chats, keys, messages.

Shared by activation (accounts), the seed and the simulated contacts. Keys made
here are made the way a client would make them (export to each target, sign
with the maker's certificate), because the emulator stands in for clients:
the system profile for its chat, simulated contacts for theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .ca import Authority, issue, new_id, spki_fingerprint, subject_for
from .db import CertificateRow, ChatKeyRecord, ChatRow, KeyExport, Member, Message, Profile
from .keytools import encrypt_text, export_signed, new_key_pair_pem, private_key_of
from .rules import now_ms


def add_certificate(session: Session, ca: Authority, profile: Profile, public_key: Any,
                    subject: Any, private_key_pem: str | None = None) -> CertificateRow:
    """Issue and store a certificate for ``profile``."""
    issued = issue(ca, public_key, subject)
    cert = CertificateRow(
        cid=new_id("c"), pid=profile.id, pem=issued.pem, hash=issued.hash,
        spki_sha256=spki_fingerprint(public_key), not_before=_ms(issued.not_before),
        not_after=_ms(issued.not_after), active=True, revoked=False,
        private_key_pem=private_key_pem, created_at=now_ms(),
    )
    session.add(cert)
    session.flush()
    return cert


def _ms(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


def create_keyed_profile(session: Session, ca: Authority, *, name: str, phone: str | None,
                         type: int, **fields: Any) -> Profile:
    """A profile whose P-256 private key the emulator keeps (system, simulated contacts)."""
    profile = Profile(id=new_id("p"), phone=phone, name=name, type=type, placeholder=False,
                      **{"simulated": True, "online": True, "verified": False, **fields})
    session.add(profile)
    session.flush()
    key, key_pem = new_key_pair_pem()
    add_certificate(session, ca, profile, key.public_key(), subject_for(phone, name), key_pem)
    return profile


def placeholder_profile(session: Session, phone: str) -> Profile:
    """A number nobody registered yet: name = the number, type 1, no certificates."""
    profile = Profile(id=new_id("p"), phone=phone, name=phone, type=1, placeholder=True,
                      simulated=False, online=False, verified=False)
    session.add(profile)
    session.flush()
    return profile


def new_chat(session: Session, members: Sequence[str], *, chat_type: int = 0,
             name: str | None = None, favorites: bool = False,
             pair_key: str | None = None) -> ChatRow:
    """A chat with its members (joined in the given order)."""
    stamp = now_ms()
    chat = ChatRow(id=new_id("chat"), chat_type=chat_type, name=name, favorites=favorites,
                   created_at=stamp, pair_key=pair_key)
    session.add(chat)
    session.flush()
    for offset, pid in enumerate(members):
        session.add(Member(chat_id=chat.id, pid=pid, joined_at=stamp + offset, unread=0))
    session.flush()
    return chat


def personal_pair_key(a: str, b: str) -> str:
    low, high = sorted((a, b))
    return f"personal:{low}:{high}"


def find_chat(session: Session, pair_key: str) -> ChatRow | None:
    return session.scalar(select(ChatRow).where(ChatRow.pair_key == pair_key))


def add_member(session: Session, chat_id: str, pid: str, *, unread: int = 0) -> None:
    session.add(Member(chat_id=chat_id, pid=pid, joined_at=now_ms(), unread=unread))
    session.flush()


def certificates_of(session: Session, pid: str) -> list[CertificateRow]:
    """All certificates of a profile (active or not), oldest first."""
    return list(session.scalars(
        select(CertificateRow).where(CertificateRow.pid == pid)
        .order_by(CertificateRow.created_at, CertificateRow.cid)))


def keyed_certificate(session: Session, pid: str) -> CertificateRow | None:
    """The newest certificate of a profile whose private key the emulator holds."""
    held = [c for c in certificates_of(session, pid) if c.private_key_pem]
    return held[-1] if held else None


def create_key(session: Session, chat_id: str, chat_key: bytes, signer: CertificateRow,
               targets: Sequence[CertificateRow]) -> None:
    """Register a chat's first key, made by ``signer`` (server side: system chat, seed)."""
    stamp = now_ms()
    session.add(ChatKeyRecord(chat_id=chat_id, key_id=new_id("key"),
                              creator_pid=signer.pid, created_at=stamp))
    session.flush()
    export_to(session, chat_id, chat_key, signer, targets)


def export_to(session: Session, chat_id: str, chat_key: bytes, signer: CertificateRow,
              targets: Sequence[CertificateRow]) -> None:
    """Add exports of a chat's existing key, signed by ``signer``."""
    private_key = private_key_of(signer)
    for target in targets:
        blob, signature = export_signed(chat_key, chat_id, target, private_key)
        session.add(KeyExport(chat_id=chat_id, cid=target.cid, key=blob, signer_pid=signer.pid,
                              signer_cid=signer.cid, sign=signature, created_at=now_ms()))
    session.flush()


def write_message(session: Session, chat_id: str, author_pid: str, chat_key: bytes,
                  text: str, *, at_ms: int | None = None, status: int = 0) -> Message:
    """Store an encrypted message and count it as unread for the other members."""
    message = Message(chat_id=chat_id, author_pid=author_pid,
                      ciphertext=encrypt_text(chat_key, chat_id, text), status=status,
                      time_ms=now_ms() if at_ms is None else at_ms)
    session.add(message)
    for member in session.scalars(select(Member).where(Member.chat_id == chat_id)):
        if member.pid != author_pid:
            member.unread += 1
    session.flush()
    return message
