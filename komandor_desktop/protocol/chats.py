"""``GET /api/v2/chats/`` data to domain chats and back (PROTOCOL.md §2-§4).

Whole-response violations (not a list, two chats with one id) refuse the whole
response, because the store must not be changed from a response it cannot
trust. A single chat that breaks its schema or a rule becomes a ``ChatError``
and the others are kept, so one bad row never blanks the chat list.

Speed matters (thousands of chats per refresh): the models are built once at
import, and each distinct certificate is decoded and made once per response.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import ValidationError

from ..bulk import paused_gc
from ..domain import (
    Certificate,
    Chat,
    ChatError,
    ChatKey,
    ChatsSnapshot,
    ChatStatus,
    ChatType,
    ProfileType,
)
from ..errors import ProtocolError
from .codecs import (
    b64decode,
    b64encode,
    check_id,
    decode_certificate,
    encode_certificate,
    pem_to_der,
)
from .envelope import MAX_PHOTO_BYTES, describe
from .memo import ParseMemo, fingerprint
from .models import CertificateEntry, ChatKeyWire, ChatWire

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# Longest base64 text whose decoded size can still be within MAX_PHOTO_BYTES.
_MAX_PHOTO_B64 = (MAX_PHOTO_BYTES + 2) // 3 * 4

E = TypeVar("E", ChatStatus, ChatType, ProfileType)


class _ChatInvalid(Exception):
    """One chat breaks its schema or a rule; the message says which."""


def parse_chats(data: Any, memo: ParseMemo | None = None) -> ChatsSnapshot:
    """Validate the ``data`` of ``GET /api/v2/chats/`` into a ``ChatsSnapshot``.

    With a ``memo``, the chats unchanged since the response it remembers are
    taken from it, and it then remembers this one. The collector is paused
    meanwhile (``bulk.paused_gc``): what is made here is acyclic (frozen
    records, tuples, strings), and thousands of chats would otherwise set off
    collections that hold the GIL the window's loop needs.

    Raises:
        ProtocolError: ``data`` is not a list, or two chats share an id.
    """
    with paused_gc():
        return _parse_chats(data, memo)


def _parse_chats(data: Any, memo: ParseMemo | None) -> ChatsSnapshot:
    if not isinstance(data, list):
        raise ProtocolError(f"the chat list is not a JSON array but {type(data).__name__}")
    ids = [_readable_id(obj) for obj in data]
    _refuse_duplicates(ids)
    raw: dict[str, str] = {}
    certs = _Certificates()
    chats: list[Chat] = []
    errors: list[ChatError] = []
    parsed: dict[bytes, tuple[str, Chat]] = {}
    room = 0 if memo is None else memo.max_chats
    for index, (chat_id, obj) in enumerate(zip(ids, data, strict=True)):
        key = fingerprint(obj) if memo is not None else None
        hit = memo.get(key) if memo is not None and key is not None else None
        if hit is not None:  # the very same object as last time: valid, text known
            text, chat = hit
        else:
            text, problem = _dump(obj)
            try:
                if problem is not None:
                    raise _ChatInvalid(problem)
                chat = _to_chat(obj, certs)
            except _ChatInvalid as exc:
                errors.append(ChatError(chat_id=chat_id, index=index, message=str(exc)))
                chat = None
        if chat_id:
            raw[chat_id] = text
        if chat is None:
            continue
        if key is not None and len(parsed) < room:
            parsed[key] = (text, chat)
        chats.append(chat)
    if memo is not None:
        memo.replace(parsed)
    return ChatsSnapshot(chats=tuple(chats), errors=tuple(errors), raw=raw)


def _readable_id(obj: Any) -> str | None:
    """The chat's id when it is a valid id, else None (the error then has no id)."""
    if not isinstance(obj, dict):
        return None
    value = obj.get("id")
    if not isinstance(value, str):
        return None
    try:
        return check_id(value)
    except ValueError:
        return None


def _refuse_duplicates(ids: list[str | None]) -> None:
    first: dict[str, int] = {}
    for index, chat_id in enumerate(ids):
        if chat_id is None:
            continue
        if chat_id in first:
            raise ProtocolError(
                f"chat id {chat_id!r} occurs twice (positions {first[chat_id]} and {index})")
        first[chat_id] = index


def _dump(obj: Any) -> tuple[str, str | None]:
    """The chat as canonical JSON text for the inspector (keys sorted), and what is
    wrong with it as a whole, if anything.

    A lone surrogate (JSON allows ``"\\ud800"``) is no Unicode text: it cannot be
    UTF-8 encoded, so SQLite, files and logs would raise on it. Such a chat is
    skipped, wherever the surrogate is (an ignored field included: checking every
    string once here is cheaper than per field), and its text is kept with the
    surrogate escaped. Nesting too deep to re-encode is skipped likewise.
    """
    try:
        text = json.dumps(obj, ensure_ascii=False, sort_keys=True)
    except RecursionError:
        return "null", "the chat object is nested too deeply"
    except (TypeError, ValueError):  # not JSON-born data (only from Python callers)
        return repr(obj), None
    if text.isascii():
        return text, None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(obj, ensure_ascii=True, sort_keys=True),
                "a string is not valid Unicode (a lone surrogate)")
    return text, None


# --- one chat -------------------------------------------------------------------------


def _to_chat(obj: Any, certs: _Certificates) -> Chat:
    try:
        wire = ChatWire.model_validate(obj)
    except ValidationError as exc:
        raise _ChatInvalid(describe(exc)) from None
    status = _enum(ChatStatus, wire.status, "status")
    chat_type = _enum(ChatType, wire.chat_type, "chatType")
    profile_type = None if wire.profile_type is None else _enum(
        ProfileType, wire.profile_type, "profileType")
    favorites = bool(wire.chat_favorites)
    _check_kind(wire, chat_type, profile_type, favorites)
    _check_status(wire, status)
    return Chat(
        id=wire.id,
        status=status,
        chat_type=chat_type,
        favorites=favorites,
        profile_name=wire.profile_name,
        profile_company=wire.profile_company,
        profile_company_id=wire.profile_company_id,
        profile_title=wire.profile_title,
        profile_phone=wire.profile_phone,
        profile_photo=_photo(wire.profile_photo),
        profile_type=profile_type,
        profile_verified=bool(wire.profile_verified),
        chat_name=wire.chat_name,
        certificates=tuple(certs.entry(e) for e in wire.certificates),
        wait_list=tuple(certs.entry(e) for e in wire.wait_list or ()),
        chat_key=None if wire.chat_key is None else _chat_key(wire.chat_key, certs),
        last_message_text=wire.last_message_text,
        last_message_status=wire.last_message_status,
        last_message_time=wire.last_message_time,
        unread=wire.unread_messages,
    )


def _enum(kind: type[E], value: Any, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise _ChatInvalid(f"{field}: {value!r:.40} is not one of {allowed}") from None


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _check_kind(wire: ChatWire, chat_type: ChatType, profile_type: ProfileType | None,
                favorites: bool) -> None:
    """The per-kind field rules of the PROTOCOL.md §2 table."""
    if chat_type is not ChatType.PERSONAL:
        if favorites:
            raise _ChatInvalid("chatFavorites: only a chat of chatType 0 can be Favorites")
        if _blank(wire.chat_name):
            raise _ChatInvalid(f"chatName: required for a {chat_type.name.lower()}")
        return
    if profile_type is None:
        raise _ChatInvalid("profileType: required for a chat of chatType 0")
    if favorites:
        return
    if _blank(wire.profile_name):
        kind = "the system chat" if profile_type is ProfileType.SYS else "a personal chat"
        raise _ChatInvalid(f"profileName: required for {kind}")
    if profile_type is not ProfileType.SYS and wire.profile_phone is None:
        raise _ChatInvalid("profilePhone: required for a personal chat")


def _check_status(wire: ChatWire, status: ChatStatus) -> None:
    """The status rules of PROTOCOL.md §3-§4 that a single chat can break."""
    if status is ChatStatus.NEW and wire.chat_key is not None:
        raise _ChatInvalid("chatKey: a new chat has no key, but one was sent")
    if status is ChatStatus.SYNC and wire.wait_list:
        raise _ChatInvalid("waitList: a sync chat has nothing to wait for, but it is not empty")


def _photo(text: str | None) -> bytes | None:
    """The photo bytes, or None (initials shown) when absent, too big, or not PNG/JPEG."""
    if not text or len(text) > _MAX_PHOTO_B64:
        return None
    try:
        data = b64decode(text)
    except ValueError:
        return None
    if len(data) > MAX_PHOTO_BYTES or not data.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        return None
    return data


class _Certificates:
    """The certificates of one response, each decoded and made once.

    A listing repeats a member's certificate in every chat they share with the
    viewer: 10,000 entries can be 1,000 certificates. One immutable object per
    distinct entry spares the decoding, and the garbage collector, which holds
    the GIL while it walks every live object, 9,000 objects to walk.
    """

    def __init__(self) -> None:
        self._pems: dict[str, str] = {}
        self._made: dict[tuple[str, str, str, str], Certificate] = {}

    def pem(self, wire: str) -> str:
        """Normalised PEM of a certificate wire value, or the raw value if it does not decode."""
        pem = self._pems.get(wire)
        if pem is None:
            try:
                pem = decode_certificate(wire)
            except ValueError:
                pem = wire  # crypto refuses it as UNPARSABLE; the chat stays
            self._pems[wire] = pem
        return pem

    def entry(self, entry: CertificateEntry) -> Certificate:
        key = (entry.pid, entry.cid, entry.certificate, entry.hash)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = Certificate(pid=entry.pid, cid=entry.cid,
                                                 pem=self.pem(entry.certificate),
                                                 hash=entry.hash)
        return made


def _der_hash(pem: str) -> str:
    """SHA-256 hex of the DER of ``pem``, or "" when it is not a decodable certificate."""
    try:
        return hashlib.sha256(pem_to_der(pem)).hexdigest()
    except ValueError:
        return ""


def _chat_key(wire: ChatKeyWire, certs: _Certificates) -> ChatKey:
    """The chat key; a signer certificate only when its cid, pid and text are all there.

    Missing signer fields are not a schema error: ``crypto.check_signer`` refuses
    such a key with a reason the user sees (PROTOCOL.md §4).
    """
    signer = None
    if wire.certificate is not None and wire.cid is not None and wire.pid is not None:
        pem = certs.pem(wire.certificate)
        digest = wire.hash if wire.hash is not None else _der_hash(pem)
        signer = Certificate(pid=wire.pid, cid=wire.cid, pem=pem, hash=digest)
    return ChatKey(id=wire.id, key=wire.key, signer_pid=wire.pid, signer_cid=wire.cid,
                   signer_certificate=signer, sign=wire.sign)


# --- back to the wire -----------------------------------------------------------------


@lru_cache(maxsize=4096)
def _certificate_wire(pem: str) -> str:
    """What a server sends for ``pem``: base64 of it, or the raw text it could not decode.

    Cached: a listing sends each member's certificate once per chat it is in.
    """
    try:
        decode_certificate(pem)
    except ValueError:
        return pem
    return encode_certificate(pem)


def _entry_to_wire(cert: Certificate) -> dict[str, Any]:
    return {"pid": cert.pid, "cid": cert.cid, "certificate": _certificate_wire(cert.pem),
            "hash": cert.hash}


def _key_to_wire(key: ChatKey) -> dict[str, Any]:
    signer = key.signer_certificate
    return {
        "id": key.id,
        "key": b64encode(key.key),
        "cid": key.signer_cid,
        "pid": key.signer_pid,
        "certificate": None if signer is None else _certificate_wire(signer.pem),
        "hash": None if signer is None else signer.hash,
        "sign": None if key.sign is None else b64encode(key.sign),
    }


def _b64_or_none(data: bytes | None) -> str | None:
    return None if data is None else b64encode(data)


def chat_to_wire(chat: Chat) -> dict[str, Any]:
    """The JSON object of one chat as a server sends it; every field, nulls included.

    ``parse_chats([chat_to_wire(c)])`` gives ``c`` back for any chat that
    ``parse_chats`` can produce.
    """
    return {
        "id": chat.id,
        "profileName": chat.profile_name,
        "profileCompany": chat.profile_company,
        "profileCompanyId": chat.profile_company_id,
        "profileTitle": chat.profile_title,
        "profilePhone": chat.profile_phone,
        "profilePhoto": _b64_or_none(chat.profile_photo),
        "profileType": None if chat.profile_type is None else int(chat.profile_type),
        "profileVerified": chat.profile_verified,
        "certificates": [_entry_to_wire(c) for c in chat.certificates],
        "chatType": int(chat.chat_type),
        "chatName": chat.chat_name,
        "chatFavorites": chat.favorites,
        "chatKey": None if chat.chat_key is None else _key_to_wire(chat.chat_key),
        "waitList": [_entry_to_wire(c) for c in chat.wait_list],
        "lastMessageText": _b64_or_none(chat.last_message_text),
        "lastMessageStatus": chat.last_message_status,
        "lastMessageTime": chat.last_message_time,
        "unreadMessages": chat.unread,
        "status": chat.status.value,
    }
