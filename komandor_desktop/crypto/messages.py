"""Message text under the chat key (PROTOCOL.md §5.4).

``nonce (12) || AES-256-GCM ciphertext+tag``, with the chat id bound in as
associated data so that a message moved to another chat does not decrypt.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import CryptoError

MESSAGE_LABEL = b"komandor-message-v1"
NONCE_BYTES = 12
_TAG_BYTES = 16


def message_aad(chat_id: str) -> bytes:
    """``b"komandor-message-v1" 0x00 utf8(chat_id)``."""
    return MESSAGE_LABEL + b"\x00" + chat_id.encode("utf-8")


def _cipher(chat_key: bytes) -> AESGCM:
    if not isinstance(chat_key, bytes | bytearray) or len(chat_key) != 32:
        raise CryptoError("a message key is 32 bytes (AES-256-GCM)")
    return AESGCM(bytes(chat_key))


def encrypt_message(chat_key: bytes, chat_id: str, text: str) -> bytes:
    """Encrypt UTF-8 ``text`` for chat ``chat_id`` with a fresh random nonce."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + _cipher(chat_key).encrypt(nonce, text.encode("utf-8"), message_aad(chat_id))


def decrypt_message(chat_key: bytes, chat_id: str, blob: bytes) -> str:
    """The text of ``blob``; raises ``CryptoError`` if it is not this chat's message."""
    cipher = _cipher(chat_key)
    if not isinstance(blob, bytes | bytearray) or len(blob) < NONCE_BYTES + _TAG_BYTES:
        raise CryptoError("the message is too short to be encrypted text")
    data = bytes(blob)
    try:
        plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], message_aad(chat_id))
    except InvalidTag as exc:
        raise CryptoError("the message does not decrypt with this chat's key") from exc
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CryptoError("the decrypted message is not UTF-8 text") from exc
