"""One listing's chats written straight to wire JSON objects (PROTOCOL.md §2-§3).

The same objects as ``protocol.chat_to_wire(views._build(...))``, field for
field and in the same order, without the domain objects in between: a listing
of 2,500 group chats sends 17,500 certificate entries, and each distinct
certificate's entry is made once per listing here (the rows of one listing
are read-only, and the objects are encoded as soon as the listing is done).
"""

from __future__ import annotations

from typing import Any

from komandor_desktop.domain import ChatStatus, ChatType, ProfileType
from komandor_desktop.protocol import b64encode, decode_certificate, encode_certificate

from .db import CertificateRow, Message, Profile
from .rules import ChatFacts

SYSTEM_NAME = "Командор"  # the system chat's profileName (views.py says the same)
_NO_PROFILE: dict[str, Any] = {
    "profileName": None, "profileCompany": None, "profileCompanyId": None,
    "profileTitle": None, "profilePhone": None, "profilePhoto": None, "profileType": None,
    "profileVerified": False,
}


def certificate_wire(pem: str) -> str:
    """The ``certificate`` value of ``pem``: base64 of it, or the text it could not decode."""
    try:
        decode_certificate(pem)
    except ValueError:
        return pem
    return encode_certificate(pem)


def _b64_or_none(data: bytes | None) -> str | None:
    return None if data is None else b64encode(data)


class ListingWriter:
    """Writes the chats of one listing; caches certificate entries by row identity."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self._texts: dict[str, str] = {}

    def _text(self, pem: str) -> str:
        text = self._texts.get(pem)
        if text is None:
            text = self._texts[pem] = certificate_wire(pem)
        return text

    def _entry(self, cert: CertificateRow) -> dict[str, Any]:
        slot = (cert.cid, cert.pid, cert.hash, cert.pem)
        entry = self._entries.get(slot)
        if entry is None:
            entry = self._entries[slot] = {"pid": cert.pid, "cid": cert.cid,
                                           "certificate": self._text(cert.pem),
                                           "hash": cert.hash}
        return entry

    def chat(self, facts: ChatFacts, last: Message | None, ctx: Any) -> dict[str, Any]:
        """The wire object of one chat for the viewer of ``ctx`` (a ``views._Context``)."""
        targets = facts.targets()
        status = (ChatStatus.NEW if facts.record is None
                  else ChatStatus.SYNC if all(c.cid in facts.exports for c in targets)
                  else ChatStatus.WAIT)
        me = next(m for m in facts.members if m.pid == ctx.viewer_pid)
        profile, certs = self._kind_fields(facts, ctx)
        wait = () if status is ChatStatus.SYNC else [
            c for c in targets if c.cid not in facts.exports]
        chat = facts.chat
        return {
            "id": chat.id,
            **profile,
            "certificates": [self._entry(c) for c in certs],
            "chatType": int(ChatType(chat.chat_type)),
            "chatName": (chat.name or "") if chat.chat_type != ChatType.PERSONAL else None,
            "chatFavorites": chat.favorites,
            "chatKey": self._chat_key(facts, ctx),
            "waitList": [self._entry(c) for c in wait],
            "lastMessageText": None if last is None else _b64_or_none(last.ciphertext),
            "lastMessageStatus": None if last is None else last.status,
            "lastMessageTime": None if last is None else last.time_ms,
            "unreadMessages": max(0, me.unread),
            "status": status.value,
        }

    @staticmethod
    def _kind_fields(facts: ChatFacts, ctx: Any
                     ) -> tuple[dict[str, Any], tuple[CertificateRow, ...] | list[Any]]:
        """profile* and certificates by the kind of chat (§2's table)."""
        chat = facts.chat
        others = [pid for pid in facts.member_pids if pid != ctx.viewer_pid]
        if chat.chat_type != ChatType.PERSONAL:
            return _NO_PROFILE, [c for pid in others for c in facts.certs.get(pid, ())]
        if chat.favorites:
            return _profile_fields(ctx.profiles[ctx.viewer_pid]), ()
        other = others[0] if others else ctx.viewer_pid
        certs = facts.certs.get(other, [])
        if other == ctx.system_pid:
            return {**_NO_PROFILE, "profileName": SYSTEM_NAME,
                    "profileType": int(ProfileType.SYS), "profileVerified": True}, certs
        return _profile_fields(ctx.profiles[other]), certs

    def _chat_key(self, facts: ChatFacts, ctx: Any) -> dict[str, Any] | None:
        """The export for the viewer's current certificate, with who signed it."""
        export = facts.exports.get(ctx.viewer_cid)
        if export is None or facts.record is None:
            return None
        signer = ctx.signers.get(export.signer_cid)
        return {
            "id": facts.record.key_id,
            "key": b64encode(export.key),
            "cid": export.signer_cid,
            "pid": export.signer_pid,
            "certificate": None if signer is None else self._text(signer.pem),
            "hash": None if signer is None else signer.hash,
            "sign": _b64_or_none(export.sign),
        }


def _profile_fields(profile: Profile) -> dict[str, Any]:
    return {
        "profileName": profile.name,
        "profileCompany": profile.company,
        "profileCompanyId": profile.company_id,
        "profileTitle": profile.title,
        "profilePhone": profile.phone,
        "profilePhoto": _b64_or_none(profile.photo),
        "profileType": int(ProfileType(profile.type)),
        "profileVerified": bool(profile.verified),
    }
