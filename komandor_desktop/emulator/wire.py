"""One listing's chats written straight to wire JSON objects (PROTOCOL.md §2-§3).

The same objects as ``protocol.chat_to_wire(views._build(...))``, field for
field and in the same order, without the domain objects in between: a listing
of 2,500 group chats sends 17,500 certificate entries, and each distinct
certificate's entry is made once per listing here (the rows of one listing
are read-only, and the objects are encoded as soon as the listing is done).
"""

from __future__ import annotations

import json
from functools import lru_cache
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


@lru_cache(maxsize=16384)
def certificate_wire(pem: str) -> str:
    """The ``certificate`` value of ``pem``: base64 of it, or the text it could not decode.

    A pure function of the text, kept across listings: every listing of a
    viewer with 1,000 contacts would decode and encode the same 1,000 again.
    """
    try:
        decode_certificate(pem)
    except ValueError:
        return pem
    return encode_certificate(pem)


def _b64_or_none(data: bytes | None) -> str | None:
    return None if data is None else b64encode(data)


_CHAT_TYPES = {int(t): int(t) for t in ChatType}


def _chat_type(value: int) -> int:
    """The stored chat type as sent; ``ChatType``'s own error for a value it lacks."""
    found = _CHAT_TYPES.get(value)
    return int(ChatType(value)) if found is None else found


class ListingWriter:
    """Writes the chats of one listing; caches certificate entries by row identity
    (the rows of one listing stay alive through it, so their ids are theirs)."""

    def __init__(self) -> None:
        self._entries: dict[int, dict[str, Any]] = {}
        self._texts: dict[str, str] = {}

    def _text(self, pem: str) -> str:
        text = self._texts.get(pem)
        if text is None:
            text = self._texts[pem] = certificate_wire(pem)
        return text

    def _entry(self, cert: CertificateRow) -> dict[str, Any]:
        entry = self._entries.get(id(cert))
        if entry is None:
            entry = self._entries[id(cert)] = {"pid": cert.pid, "cid": cert.cid,
                                               "certificate": self._text(cert.pem),
                                               "hash": cert.hash}
        return entry

    def chat(self, facts: ChatFacts, last: Message | None, ctx: Any) -> dict[str, Any]:
        """The wire object of one chat for the viewer of ``ctx`` (a ``views._Context``)."""
        exports = facts.exports
        wait = [c for c in facts.targets() if c.cid not in exports]
        status = (ChatStatus.NEW if facts.record is None
                  else ChatStatus.WAIT if wait else ChatStatus.SYNC)
        me = next(m for m in facts.members if m.pid == ctx.viewer_pid)
        profile, certs = self._kind_fields(facts, ctx)
        chat = facts.chat
        entry = self._entry
        return {
            "id": chat.id,
            **profile,
            "certificates": [entry(c) for c in certs],
            "chatType": _chat_type(chat.chat_type),
            "chatName": (chat.name or "") if chat.chat_type != ChatType.PERSONAL else None,
            "chatFavorites": chat.favorites,
            "chatKey": self._chat_key(facts, ctx),
            "waitList": [entry(c) for c in wait],
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


def _dumps(value: Any) -> str:
    """JSON text exactly as Starlette's ``JSONResponse`` writes it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":"))


_CERTS, _WAITS = b'"certificates":[', b'"waitList":['  # the chat's two lists of entries


def encode_listing(chats: list[dict[str, Any]]) -> bytes:
    """``{"success": true, "data": chats}`` as the bytes ``JSONResponse`` would send.

    A listing of 2,500 groups is 20 MB, 17,500 certificate entries of them made
    from about 1,000 distinct dicts (``ListingWriter`` shares them). Here each
    distinct entry is encoded once, each chat is encoded with its two lists
    empty, and the pieces are joined once, as bytes: a quarter of the time of
    encoding the whole. The cut is exact: with these separators the text
    ``"certificates":[`` can only be that key of the chat object itself (a quote
    inside a string value is escaped, and no nested object of a chat has such a
    key), and it comes before any other; so does ``"waitList":[`` after it.
    ``tests/test_emulator_listing.py`` holds the bytes equal to ``JSONResponse``'s.
    """
    texts: dict[int, bytes] = {}  # id(entry) -> its JSON; the entries live through the call
    out = [b'{"success":true,"data":[']
    for index, chat in enumerate(chats):
        text = _dumps({**chat, "certificates": [], "waitList": []}).encode("utf-8")
        certs = text.index(_CERTS) + len(_CERTS)
        waits = text.index(_WAITS, certs) + len(_WAITS)
        if index:
            out.append(b",")
        out.append(text[:certs])
        _entries(out, chat["certificates"], texts)
        out.append(text[certs:waits])
        _entries(out, chat["waitList"], texts)
        out.append(text[waits:])
    out.append(b"]}")
    return b"".join(out)


def _entries(out: list[bytes], items: list[dict[str, Any]], texts: dict[int, bytes]) -> None:
    """Append the JSON of ``items``, comma-separated, each distinct one encoded once."""
    for position, item in enumerate(items):
        text = texts.get(id(item))
        if text is None:
            text = texts[id(item)] = _dumps(item).encode("utf-8")
        if position:
            out.append(b",")
        out.append(text)


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
