"""The emulator's few uses of ``komandor_desktop.crypto``, in one place.

The server checks signatures and which certificates can receive keys; the
emulator itself also acts as a client for the system chat and the simulated
contacts (make, export, import and sign chat keys, encrypt messages). All of
that goes through the client's own crypto package, so the emulator and the
desktop cannot drift apart on the byte formats of PROTOCOL.md §5.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from komandor_desktop import crypto
from komandor_desktop.domain import Certificate
from komandor_desktop.errors import CryptoError

from .db import CertificateRow


def can_receive_pem(pem: str) -> bool:
    """Whether chat keys can be exported to this certificate's public key (§5.2)."""
    try:
        public_key = crypto.parse_certificate(pem).public_key
        if public_key is None:
            return False
        crypto.provider_for(public_key)
    except (CryptoError, ValueError):
        return False
    return True


def verify_with(pem: str, data: bytes, signature: bytes) -> bool:
    """§5.3 signature check with a certificate; False for anything unusable."""
    try:  # the parsed certificate (and its public key) is cached per PEM text
        public_key = crypto.parse_certificate(pem).public_key
    except CryptoError:
        return False
    return public_key is not None and crypto.verify(public_key, data, signature)


def to_domain(cert: CertificateRow) -> Certificate:
    """The domain view of a certificate row (what crosses into crypto and protocol)."""
    return Certificate(pid=cert.pid, cid=cert.cid, pem=cert.pem, hash=cert.hash)


def private_key_of(cert: CertificateRow) -> Any:
    """The stored private key of a simulated or system certificate."""
    if not cert.private_key_pem:
        raise CryptoError(f"no private key is stored for {cert.cid}")
    return serialization.load_pem_private_key(cert.private_key_pem.encode(), password=None)


def new_key_pair_pem() -> tuple[Any, str]:
    """A P-256 private key for a simulated contact, with its unencrypted PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key, pem


def new_chat_key(profile: str = "v1") -> bytes:
    return crypto.new_chat_key(profile)


def export_signed(chat_key: bytes, chat_id: str, target: CertificateRow,
                  signer_private_key: Any) -> tuple[bytes, bytes]:
    """(key, sign): the chat key exported to ``target`` and the signer's signature."""
    blob = crypto.export_key(chat_key, chat_id, to_domain(target))
    return blob, crypto.sign(signer_private_key, blob)


def import_own(blob: bytes, chat_id: str, cert: CertificateRow) -> bytes:
    """The chat key from an export to a certificate whose private key we hold."""
    return crypto.import_key(blob, chat_id, cert.cid, private_key_of(cert))


def encrypt_text(chat_key: bytes, chat_id: str, text: str) -> bytes:
    return crypto.encrypt_message(chat_key, chat_id, text)
