"""Received chat keys, checked and imported, held in memory only.

Every ``chatKey`` the server hands out is checked before use (PROTOCOL.md §4,
"A received chatKey"): the signer, then the import with this device's private
key. The plaintext keys live in this object for the life of the process and
are never written anywhere; the store keeps only the exported form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import crypto
from ..domain import Certificate, Chat, Reason
from ..errors import CryptoError, KeyNotImportable, KeySignatureInvalid


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """The outcome of checking one received key: the plaintext or why not."""

    key: bytes | None
    reason: Reason | None = None
    detail: str | None = None


class KeyRing:
    """Checks and imports received chat keys; caches the outcome per export.

    Args:
        pid: the viewer's profile id.
        cid: the viewer's current certificate id.
        private_key: the private key of that certificate.
        own_certificates: the viewer's own certificates (signer fallback when
            there is no trust anchor).
        trust_anchor: the CA certificate from login, or None.
    """

    def __init__(self, *, pid: str, cid: str, private_key: Any,
                 own_certificates: Iterable[Certificate], trust_anchor: Any) -> None:
        self.pid = pid
        self.cid = cid
        self._private_key = private_key
        self.own_certificates = tuple(own_certificates)
        self.trust_anchor = trust_anchor
        self._cache: dict[tuple[object, ...], KeyVerdict] = {}

    @staticmethod
    def _slot(chat: Chat) -> tuple[object, ...]:
        # Everything the checks read: the whole key with its signer, and the members.
        return (chat.id, chat.chat_key, chat.certificates, chat.wait_list)

    def verdict(self, chat: Chat) -> KeyVerdict | None:
        """Check ``chat.chat_key``; None when the chat has no key for us."""
        if chat.chat_key is None:
            return None
        slot = self._slot(chat)
        found = self._cache.get(slot)
        if found is None:
            found = self.check(chat)
            self._cache[slot] = found
        return found

    def unchecked(self, chats: Iterable[Chat]) -> list[Chat]:
        """The chats with a key whose verdict is not cached yet (to check in bulk)."""
        return [c for c in chats if c.chat_key is not None and self._slot(c) not in self._cache]

    def remember(self, chat: Chat, verdict: KeyVerdict) -> None:
        """Cache a verdict that ``check`` gave elsewhere (a worker process)."""
        self._cache[self._slot(chat)] = verdict

    def key(self, chat: Chat) -> bytes | None:
        """The plaintext chat key when it checked out, else None."""
        v = self.verdict(chat)
        return v.key if v is not None else None

    def import_own_export(self, chat_id: str, exported: bytes) -> bytes:
        """Recover a key this client made from its own export (the outbox)."""
        return crypto.import_key(exported, chat_id, self.cid, self._private_key)

    def decrypt_last_message(self, chat: Chat) -> str | None:
        """The decrypted last message of a usable chat, else None."""
        if chat.last_message_text is None:
            return None
        key = self.key(chat)
        if key is None:
            return None
        try:
            return crypto.decrypt_message(key, chat.id, chat.last_message_text)
        except CryptoError:
            return None

    def check(self, chat: Chat) -> KeyVerdict:
        """The verdict on ``chat.chat_key`` (which must be set), computed now, not cached."""
        assert chat.chat_key is not None
        try:
            crypto.check_signer(chat, viewer_pid=self.pid, own_certificates=self.own_certificates,
                                trust_anchor=self.trust_anchor)
        except KeySignatureInvalid as exc:
            return KeyVerdict(None, Reason.KEY_SIGNATURE_INVALID, str(exc))
        try:
            key = crypto.import_key(chat.chat_key.key, chat.id, self.cid, self._private_key)
        except KeyNotImportable as exc:
            return KeyVerdict(None, Reason.KEY_NOT_IMPORTABLE, str(exc))
        return KeyVerdict(key)

    def forget(self, keep_chat_ids: set[str]) -> None:
        """Drop cached verdicts of chats that are gone."""
        self._cache = {k: v for k, v in self._cache.items() if k[0] in keep_chat_ids}
