"""Conversions between domain objects and plain row dicts, and content hashes.

Rows are dicts of the column values of ``schema`` (str, int, bool, bytes or
None), ready for an ``executemany``. The content hash is taken over exactly
those values, so two chats share a hash exactly when they would be stored the
same way.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable, Mapping
from typing import Any

from ..domain import (
    Certificate,
    Chat,
    ChatKey,
    ChatState,
    ChatStatus,
    ChatSummary,
    ChatType,
    KeyExport,
    OutboxEntry,
    ProfileType,
    Reason,
)
from .schema import ROLE_MEMBER, ROLE_WAIT

Row = dict[str, Any]  # what is written
RowLike = Mapping[Any, Any]  # what is read: a dict or a SQLAlchemy RowMapping
_HASH_VERSION = "chat-v2"  # change when the row layout changes, to rewrite every row once


def _key_columns(key: ChatKey | None) -> Row:
    """The chat_key columns; all NULL when there is no key."""
    signer = key.signer_certificate if key is not None else None
    return {
        "key_id": key.id if key is not None else None,
        "key_export": key.key if key is not None else None,
        "key_signer_pid": key.signer_pid if key is not None else None,
        "key_signer_cid": key.signer_cid if key is not None else None,
        "key_signer_cert_pid": signer.pid if signer is not None else None,
        "key_signer_cert_cid": signer.cid if signer is not None else None,
        "key_signer_cert_pem": signer.pem if signer is not None else None,
        "key_signer_cert_hash": signer.hash if signer is not None else None,
        "key_sign": key.sign if key is not None else None,
    }


def chat_row(chat: Chat) -> Row:
    """The ``chats`` row of ``chat`` without its content hash."""
    row: Row = {
        "id": chat.id,
        "status": chat.status.value,
        "chat_type": int(chat.chat_type),
        "favorites": bool(chat.favorites),
        "profile_name": chat.profile_name,
        "profile_company": chat.profile_company,
        "profile_company_id": chat.profile_company_id,
        "profile_title": chat.profile_title,
        "profile_phone": chat.profile_phone,
        "profile_photo": chat.profile_photo,
        "profile_type": int(chat.profile_type) if chat.profile_type is not None else None,
        "profile_verified": bool(chat.profile_verified),
        "chat_name": chat.chat_name,
    }
    row.update(_key_columns(chat.chat_key))
    row.update(
        last_message_text=chat.last_message_text,
        last_message_status=chat.last_message_status,
        last_message_time=chat.last_message_time,
        unread=chat.unread,
    )
    return row


def certificate_rows(chat: Chat) -> list[Row]:
    """The ``chat_certificates`` rows of ``chat``: members, then the wait list."""
    rows: list[Row] = []
    for role, certificates in ((ROLE_MEMBER, chat.certificates), (ROLE_WAIT, chat.wait_list)):
        for position, cert in enumerate(certificates):
            rows.append({
                "chat_id": chat.id, "role": role, "position": position,
                "pid": cert.pid, "cid": cert.cid, "pem": cert.pem, "hash": cert.hash,
            })
    return rows


def content_hash(row: RowLike, cert_rows: Iterable[Mapping[str, Any]]) -> str:
    """sha256 over every value that would be stored for one chat.

    The values are serialised with ``marshal``: exact and typed for what rows
    hold (None, bool, int, bytes, str are all told apart; strings with lone
    surrogates too) and done in C, several times faster than encoding value by
    value in Python or hashing ``repr`` (which escapes every character of the
    PEMs). Format version 0 on purpose: later versions write back-references
    and mark interned strings, so equal values could give different bytes.
    The column order is fixed by the dict literals above, so equal hashes mean
    equal stored content. Should marshal's format change with a Python
    version, every row is rewritten once, which is harmless.
    """
    payload = (_HASH_VERSION, tuple(row.values()),
               tuple(tuple(cert.values()) for cert in cert_rows))
    return hashlib.sha256(marshal.dumps(payload, 0)).hexdigest()


def text_hash(text: str) -> str:
    """sha256 of a text, to skip rewriting unchanged raw JSON."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def certificate_from_row(row: RowLike) -> Certificate:
    return Certificate(pid=row["pid"], cid=row["cid"], pem=row["pem"], hash=row["hash"])


def _key_from_row(row: RowLike) -> ChatKey | None:
    if row["key_id"] is None:
        return None
    signer = None
    if row["key_signer_cert_pem"] is not None:
        signer = Certificate(
            pid=row["key_signer_cert_pid"], cid=row["key_signer_cert_cid"],
            pem=row["key_signer_cert_pem"], hash=row["key_signer_cert_hash"],
        )
    return ChatKey(
        id=row["key_id"], key=row["key_export"],
        signer_pid=row["key_signer_pid"], signer_cid=row["key_signer_cid"],
        signer_certificate=signer, sign=row["key_sign"],
    )


# Enum members by stored value. ``ChatStatus(value)`` goes through EnumMeta.__call__
# and costs about 5 µs; reading 10,000 chats makes 30,000 of these lookups.
_STATUSES = {m.value: m for m in ChatStatus}
_CHAT_TYPES = {m.value: m for m in ChatType}
_PROFILE_TYPES: dict[Any, ProfileType | None] = {m.value: m for m in ProfileType}
_PROFILE_TYPES[None] = None


def _status(value: Any) -> ChatStatus:
    found = _STATUSES.get(value)
    return found if found is not None else ChatStatus(value)  # raises for a bad value


def _chat_type(value: Any) -> ChatType:
    found = _CHAT_TYPES.get(value)
    return found if found is not None else ChatType(value)


def _profile_type(value: Any) -> ProfileType | None:
    if value in _PROFILE_TYPES:
        return _PROFILE_TYPES[value]
    return ProfileType(value)


#: The ``chats`` columns of a ``ChatSummary``, in the order ``summary_from_row`` reads.
SUMMARY_COLUMNS = (
    "id", "status", "chat_type", "favorites", "profile_name", "profile_company",
    "profile_company_id", "profile_title", "profile_phone", "profile_photo", "profile_type",
    "profile_verified", "chat_name", "key_id", "last_message_text", "last_message_status",
    "last_message_time", "unread",
)


def summary_from_row(row: tuple[Any, ...], has_members: bool,
                     wait_cids: tuple[str, ...]) -> ChatSummary:
    """A ChatSummary from the values of ``SUMMARY_COLUMNS`` (a plain DBAPI tuple)."""
    (chat_id, status, chat_type, favorites, name, company, company_id, title, phone, photo,
     profile_type, verified, chat_name, key_id, text, msg_status, msg_time, unread) = row
    return ChatSummary(
        id=chat_id, status=_status(status), chat_type=_chat_type(chat_type),
        favorites=bool(favorites), profile_name=name, profile_company=company,
        profile_company_id=company_id, profile_title=title, profile_phone=phone,
        profile_photo=photo, profile_type=_profile_type(profile_type),
        profile_verified=bool(verified), chat_name=chat_name, has_members=has_members,
        wait_cids=wait_cids, key_id=key_id, last_message_text=text,
        last_message_status=msg_status, last_message_time=msg_time, unread=unread,
    )


def chat_from_row(
    row: RowLike,
    members: Iterable[Certificate] = (),
    wait_list: Iterable[Certificate] = (),
) -> Chat:
    """Rebuild a Chat from its ``chats`` row and its certificates in order."""
    return Chat(
        id=row["id"],
        status=_status(row["status"]),
        chat_type=_chat_type(row["chat_type"]),
        favorites=bool(row["favorites"]),
        profile_name=row["profile_name"],
        profile_company=row["profile_company"],
        profile_company_id=row["profile_company_id"],
        profile_title=row["profile_title"],
        profile_phone=row["profile_phone"],
        profile_photo=row["profile_photo"],
        profile_type=_profile_type(row["profile_type"]),
        profile_verified=bool(row["profile_verified"]),
        chat_name=row["chat_name"],
        certificates=tuple(members),
        wait_list=tuple(wait_list),
        chat_key=_key_from_row(row),
        last_message_text=row["last_message_text"],
        last_message_status=row["last_message_status"],
        last_message_time=row["last_message_time"],
        unread=row["unread"],
    )


def state_row(state: ChatState) -> Row:
    return {
        "chat_id": state.chat_id,
        "reason": state.reason.value if state.reason is not None else None,
        "detail": state.detail,
        "updated_at": state.updated_at,
    }


def state_from_row(row: RowLike) -> ChatState:
    reason = row["reason"]
    return ChatState(
        chat_id=row["chat_id"],
        reason=Reason(reason) if reason is not None else None,
        detail=row["detail"],
        updated_at=row["updated_at"],
    )


def outbox_rows(entry: OutboxEntry) -> tuple[Row, list[Row]]:
    """The ``outbox`` row and the ``outbox_exports`` rows of one entry.

    Raises:
        ValueError: an export belongs to another chat than the entry.
    """
    strays = [e.chat_id for e in entry.exports if e.chat_id != entry.chat_id]
    if strays:
        raise ValueError(f"outbox entry for {entry.chat_id!r} holds exports of {strays!r}")
    head = {
        "chat_id": entry.chat_id, "own_cid": entry.own_cid,
        "own_export": entry.own_export, "created_at": entry.created_at,
    }
    exports = [
        {"chat_id": entry.chat_id, "position": position, "cid": e.cid, "pid": e.pid,
         "key": e.key, "sign": e.sign}
        for position, e in enumerate(entry.exports)
    ]
    return head, exports


def outbox_from_rows(head: RowLike, exports: Iterable[RowLike]) -> OutboxEntry:
    return OutboxEntry(
        chat_id=head["chat_id"],
        own_cid=head["own_cid"],
        own_export=head["own_export"],
        exports=tuple(
            KeyExport(
                chat_id=e["chat_id"], cid=e["cid"], pid=e["pid"], key=e["key"], sign=e["sign"]
            )
            for e in exports
        ),
        created_at=head["created_at"],
    )
