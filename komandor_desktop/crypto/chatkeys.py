"""Chat keys: make, export, import (PROTOCOL.md §5.1–5.2) and check who signed one (§4).

The export context ``ctx(chatId, cid)`` binds every exported key to one chat
and one target certificate, so a key that a server moves elsewhere does not
import. Which format is used is the providers' business (``providers.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from cryptography import x509

from ..domain import Certificate, CertReason, Chat, ChatKey
from ..errors import CertificateRejected, CryptoError, KeyNotImportable, KeySignatureInvalid
from .certificates import check_signing_certificate, hash_matches, parse_certificate
from .providers import PROFILE_V1, provider_for, provider_named
from .signatures import verify

CTX_LABEL = b"komandor-chat-key-v1"


def ctx(chat_id: str, cid: str) -> bytes:
    """``b"komandor-chat-key-v1" 0x00 utf8(chat_id) 0x00 utf8(cid)`` (§5)."""
    return CTX_LABEL + b"\x00" + chat_id.encode("utf-8") + b"\x00" + cid.encode("utf-8")


def new_chat_key(provider_name: str = PROFILE_V1) -> bytes:
    """A fresh chat key of the named profile (v1: 32 bytes from the OS CSPRNG)."""
    return provider_named(provider_name).new_chat_key()


def export_key(chat_key: bytes, chat_id: str, target: Certificate, *,
               sender_private_key: Any = None) -> bytes:
    """The ``key`` bytes of ``chat_key`` for ``target`` in chat ``chat_id``.

    It does not run ``check_recipient`` (the planner does, once per
    certificate); it only refuses keys that cannot receive. Raises
    ``CertificateRejected`` or ``CryptoError``. ``sender_private_key`` is for
    providers with static key agreement (GOST); v1 ignores it.
    """
    parsed = parse_certificate(target.pem)
    if parsed.public_key is None:
        raise CertificateRejected(CertReason.CANNOT_RECEIVE, "its key algorithm is not supported")
    own_public = sender_private_key.public_key() if sender_private_key is not None else None
    provider = provider_for(parsed.public_key, own_public_key=own_public)
    return provider.export(chat_key, ctx(chat_id, target.cid), parsed.public_key,
                           sender_private_key=sender_private_key)


def import_key(exported: bytes, chat_id: str, own_cid: str, private_key: Any, *,
               sender_public_key: Any = None) -> bytes:
    """The chat key from ``exported``; raises ``KeyNotImportable`` on any failure.

    Failures include a wrong length, another chat id or certificate id in the
    context, another private key, and a private key no provider handles.
    """
    if not isinstance(exported, bytes | bytearray):
        raise KeyNotImportable("the exported key is not bytes")
    try:
        provider = provider_for(private_key.public_key())
        return provider.import_(bytes(exported), ctx(chat_id, own_cid), private_key,
                                sender_public_key=sender_public_key)
    except KeyNotImportable:
        raise
    except (CryptoError, ValueError, TypeError, AttributeError) as exc:
        raise KeyNotImportable(f"the chat key cannot be imported: {exc}") from exc


def _signer_fields(key: ChatKey) -> tuple[str, str, Certificate, bytes]:
    pid, cid, cert, signature = key.signer_pid, key.signer_cid, key.signer_certificate, key.sign
    if pid and cid and cert and cert.pem and signature:
        return pid, cid, cert, signature
    missing = [name for name, value in (("pid", pid), ("cid", cid),
                                        ("certificate", cert and cert.pem),
                                        ("sign", signature)) if not value]
    raise KeySignatureInvalid("the chat key has no signer " + ", ".join(missing))


def _check_listed(chat: Chat, pid: str, cid: str, cert: Certificate,
                  own_certificates: Sequence[Certificate]) -> str:
    """Check the signer certificate against every listed certificate of its cid.

    The wire carries no hash for the signer's certificate, so the hash it must
    match is the one of the certificate listed under the same ``cid`` (chat
    certificates, wait list, own), and the domain object's own hash when the
    parser filled one in. Returns the hash the certificate is checked against.
    """
    try:
        actual = parse_certificate(cert.pem).hash
    except CertificateRejected as exc:
        raise KeySignatureInvalid(f"the signer's certificate is unreadable: {exc}") from exc
    if (cert.cid and cert.cid != cid) or (cert.pid and cert.pid != pid):
        raise KeySignatureInvalid("the signer's certificate belongs to another cid or pid")
    claimed = cert.hash or actual
    for listed in (*chat.certificates, *chat.wait_list, *own_certificates):
        if listed.cid != cid:
            continue
        if listed.pid != pid:
            raise KeySignatureInvalid(f"signer certificate {cid} belongs to another profile")
        if not hash_matches(listed.hash, actual):
            raise KeySignatureInvalid(
                f"the signer's certificate does not match the listed certificate {cid}")
    return claimed


def _signer_public_key(chat: Chat, cert: Certificate, claimed_hash: str,
                       own_certificates: Sequence[Certificate],
                       trust_anchor: x509.Certificate | None) -> Any:
    if trust_anchor is None:
        known = {c.cid for c in (*chat.certificates, *own_certificates)}
        if cert.cid not in known:
            raise KeySignatureInvalid(
                "the signer's certificate is not among the chat's or own certificates")
    try:
        return check_signing_certificate(dataclasses.replace(cert, hash=claimed_hash),
                                         trust_anchor=trust_anchor)
    except CertificateRejected as exc:
        what = {CertReason.HASH_MISMATCH: "has a hash that does not match",
                CertReason.UNKNOWN_CA: "is issued by an unknown CA"}.get(exc.reason, str(exc))
        raise KeySignatureInvalid(f"the signer's certificate {what}") from exc
    except CryptoError as exc:
        raise KeySignatureInvalid(f"the signer's certificate cannot sign: {exc}") from exc


def check_signer(chat: Chat, *, viewer_pid: str, own_certificates: Sequence[Certificate],
                 trust_anchor: x509.Certificate | None) -> None:
    """Raise ``KeySignatureInvalid`` unless ``chat.chat_key`` passes PROTOCOL.md §4.

    In order: the signer fields are present; the signer's certificate matches
    its hash (the listed certificate of that cid); it chains to the anchor,
    or, with no anchor, its cid is among ``chat.certificates`` or
    ``own_certificates``; its key can sign; its pid is the viewer or a member
    (a pid in ``certificates`` or ``wait_list``); ``sign`` verifies over the
    exact ``chat_key.key`` bytes. The signer's validity period is not checked.
    """
    key = chat.chat_key
    if key is None:
        raise KeySignatureInvalid("the chat has no key to check")
    pid, cid, cert, signature = _signer_fields(key)
    cert = dataclasses.replace(cert, pid=cert.pid or pid, cid=cert.cid or cid)
    claimed_hash = _check_listed(chat, pid, cid, cert, own_certificates)
    public_key = _signer_public_key(chat, cert, claimed_hash, own_certificates, trust_anchor)
    members = {c.pid for c in (*chat.certificates, *chat.wait_list)} | {viewer_pid}
    if pid not in members:
        raise KeySignatureInvalid(f"the key is signed by {pid}, who is not a member of the chat")
    if not verify(public_key, key.key, signature):
        raise KeySignatureInvalid("the key's signature does not verify")
