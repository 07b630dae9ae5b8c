"""Activation, sign-in and contacts: the emulator extensions of PROTOCOL.md §7.

confirm: the CA issues a certificate for the CSR's key (or returns the active
one this phone already has for that key). The first confirm of a phone is
its activation: the user takes over the placeholder profile of the number
(so chats others opened with it get a certificate to export to), and gets
the system chat "Командор" (keyed by the emulator, signed with the system
certificate) and Favorites (no keys). A later new certificate is a new
device: its chats turn ``wait`` for it by the §3 rules alone, and the system
profile exports the system chat's key to it at once.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from komandor_desktop.errors import InvalidPhone
from komandor_desktop.protocol import b64encode, encode_certificate, normalize_phone
from komandor_desktop.protocol.models import ConfirmRequest

from .ca import Authority, load_csr, spki_fingerprint
from .config import EmulatorConfig
from .db import CertificateRow, Contact, KeyExport, Nonce, Profile
from .failures import HttpFailure, unauthorized
from .keytools import import_own, new_chat_key, verify_with
from .rules import is_active, now_ms
from .tokens import make_token
from .world import (
    add_certificate,
    certificates_of,
    create_key,
    export_to,
    find_chat,
    keyed_certificate,
    new_chat,
    personal_pair_key,
    placeholder_profile,
    write_message,
)

NONCE_TTL_MS = 5 * 60 * 1000
WELCOME = "Добро пожаловать в Командор! Здесь будут новости сервиса."


def invalid_phone(texts: list[str]) -> HttpFailure:
    return HttpFailure(400, "invalid_phone", "not a Russian mobile number (79XXXXXXXXX)",
                       {"phones": texts})


def check_phone(text: str) -> str:
    """Normalise one phone or answer 400 invalid_phone."""
    try:
        return normalize_phone(text)
    except InvalidPhone as exc:
        raise invalid_phone(exc.texts) from None


def confirm(session: Session, config: EmulatorConfig, ca: Authority, system_pid: str,
            secret: str, request: ConfirmRequest) -> dict[str, Any]:
    """``POST /api/v2/auth/confirm/``: activation or a (new or same) device."""
    phone = check_phone(request.phone)
    if request.code != config.code:
        raise HttpFailure(403, "invalid_code", "wrong confirmation code")
    csr = load_csr(request.csr)
    profile = session.scalar(select(Profile).where(Profile.phone == phone))
    activation = profile is None or profile.placeholder
    if profile is None:
        profile = placeholder_profile(session, phone)
    _apply_profile_fields(profile, request, activation)
    cert = _same_key_certificate(session, profile.id, spki_fingerprint(csr.public_key()))
    if cert is None:
        cert = add_certificate(session, ca, profile, csr.public_key(), csr.subject)
        if activation:
            _create_own_chats(session, profile.id, cert, system_pid)
        else:
            _share_system_key(session, profile.id, cert, system_pid)
    return {
        "token": make_token(secret, profile.id, cert.cid, config.token_ttl),
        "pid": profile.id,
        "cid": cert.cid,
        "certificate": encode_certificate(cert.pem),
        "hash": cert.hash,
        "caCertificate": encode_certificate(ca.cert_pem),
    }


def _apply_profile_fields(profile: Profile, request: ConfirmRequest, activation: bool) -> None:
    if activation:
        profile.placeholder = False
        profile.simulated = False
        profile.online = True
    if request.name and request.name.strip():
        profile.name = request.name.strip()[:256]
    for attr, value in (("company", request.company), ("company_id", request.company_id),
                        ("title", request.title), ("type", request.type)):
        if value is not None:
            setattr(profile, attr, value)


def _same_key_certificate(session: Session, pid: str, spki: str) -> CertificateRow | None:
    at = now_ms()
    for cert in certificates_of(session, pid):
        if cert.spki_sha256 == spki and is_active(cert, at):
            return cert
    return None


def _create_own_chats(session: Session, pid: str, cert: CertificateRow, system_pid: str) -> None:
    """Activation: the system chat, keyed and signed by the system profile, and Favorites."""
    system_cert = keyed_certificate(session, system_pid)
    if system_cert is None:
        raise RuntimeError("the system profile has no certificate")
    chat = new_chat(session, [pid, system_pid], pair_key=f"system:{pid}")
    chat_key = new_chat_key()
    create_key(session, chat.id, chat_key, system_cert, [system_cert, cert])
    write_message(session, chat.id, system_pid, chat_key, WELCOME)
    if find_chat(session, f"favorites:{pid}") is None:
        new_chat(session, [pid], favorites=True, pair_key=f"favorites:{pid}")


def _share_system_key(session: Session, pid: str, cert: CertificateRow, system_pid: str) -> None:
    """A new device: the system profile exports its chat's key to the new certificate."""
    chat = find_chat(session, f"system:{pid}")
    system_cert = keyed_certificate(session, system_pid)
    if chat is None or system_cert is None:
        return
    own = session.scalar(select(KeyExport).where(
        KeyExport.chat_id == chat.id, KeyExport.cid == system_cert.cid))
    if own is None:
        return
    chat_key = import_own(own.key, chat.id, system_cert)
    export_to(session, chat.id, chat_key, system_cert, [cert])


def challenge(session: Session, cid: str) -> dict[str, str]:
    """``POST /api/v2/auth/challenge/``: a single-use nonce valid 5 minutes."""
    cert = session.get(CertificateRow, cid)
    if cert is None or not is_active(cert, now_ms()):
        raise unauthorized("unknown or inactive certificate")
    nonce = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    session.add(Nonce(nonce=nonce, cid=cid, expires=now_ms() + NONCE_TTL_MS, used=False))
    return {"nonce": nonce}


def token(session: Session, secret: str, ttl: int, cid: str, nonce: bytes,
          signature: bytes) -> dict[str, str] | None:
    """``POST /api/v2/auth/token/``: a token for a certificate that signed our nonce.

    Returns None for a wrong signature: the caller commits (the nonce stays
    used, so one challenge buys one try) and then answers 401.
    """
    nonce_b64 = b64encode(nonce)
    cert = session.get(CertificateRow, cid)
    if cert is None or not is_active(cert, now_ms()):
        raise unauthorized("unknown or inactive certificate")
    # Conditional update: of two uses of one nonce, only one flips ``used``.
    claimed = session.execute(
        update(Nonce)
        .where(Nonce.nonce == nonce_b64, Nonce.cid == cid, Nonce.used.is_(False),
               Nonce.expires >= now_ms())
        .values(used=True)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise unauthorized("unknown, used or expired nonce")
    if not verify_with(cert.pem, nonce, signature):
        return None
    return {"token": make_token(secret, cert.pid, cert.cid, ttl)}


def add_phones(session: Session, viewer_pid: str, phones: list[str]) -> None:
    """§7 ``phones``: contacts plus a personal chat without keys for each number."""
    viewer = session.get(Profile, viewer_pid)
    for phone in dict.fromkeys(phones):
        if viewer is not None and viewer.phone == phone:
            continue  # one's own number: Favorites already is that chat
        other = session.scalar(select(Profile).where(Profile.phone == phone))
        if other is None:
            other = placeholder_profile(session, phone)
        if session.get(Contact, (viewer_pid, other.id)) is None:
            session.add(Contact(owner_pid=viewer_pid, contact_pid=other.id))
        pair = personal_pair_key(viewer_pid, other.id)
        if find_chat(session, pair) is None:
            new_chat(session, [viewer_pid, other.id], pair_key=pair)
    session.flush()
