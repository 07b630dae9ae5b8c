"""Conversions between domain objects and plain rows, and content hashes.

Rows written are tuples of the column values of ``schema`` (str, int, bool,
bytes or None) in a fixed column order (``CHAT_COLUMNS`` and friends), ready
for an ``executemany``. The content hash is taken over exactly those values,
so two chats share a hash exactly when they would be stored the same way.
Rows read are dicts by column name, or tuples where the order is given here.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable, Mapping
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

RowLike = Mapping[Any, Any]  # what is read: a dict or a SQLAlchemy RowMapping
Values = tuple[Any, ...]  # one row for the bulk writers, in the column order below
_HASH_VERSION = "chat-v3"  # change when the row layout changes, to rewrite every row once
_CERT_VERSION = "cert-v1"  # part of every certificate ref; migration 0002 spells it out too

#: The ``chats`` columns ``chat_values`` fills, in its order; ``content_hash`` is last.
CHAT_COLUMNS = (
    "id", "status", "chat_type", "favorites", "profile_name", "profile_company",
    "profile_company_id", "profile_title", "profile_phone", "profile_photo", "profile_type",
    "profile_verified", "chat_name", "key_id", "key_export", "key_signer_pid",
    "key_signer_cid", "key_signer_cert_pid", "key_signer_cert_cid", "key_signer_cert_ref",
    "key_sign", "last_message_text", "last_message_status", "last_message_time", "unread",
    "content_hash",
)
#: The ``chat_certificates`` columns of ``certificate_values``, in its order.
CERT_COLUMNS = ("chat_id", "role", "position", "pid", "cid", "cert_ref")

RefOf = Callable[[Certificate], bytes]  # a certificate's ref (``certificate_ref``), cached


def certificate_ref(pem: str, hash_: str) -> bytes:
    """The ``certificates.ref`` of a certificate text: SHA-256 over (pem, hash).

    ``marshal`` (format 0, as in ``content_hash``) keeps the two values apart
    exactly and takes any ``str``. The full 32 bytes, not a prefix: a server
    must not be able to make two certificates share a row.
    """
    return hashlib.sha256(marshal.dumps((_CERT_VERSION, pem, hash_), 0)).digest()


def chat_values(chat: Chat, ref_of: RefOf) -> Values:
    """The ``chats`` row of ``chat`` in ``CHAT_COLUMNS`` order, without the content hash."""
    key = chat.chat_key
    if key is None:
        key_values: Values = (None,) * 8
    else:
        signer = key.signer_certificate
        key_values = (key.id, key.key, key.signer_pid, key.signer_cid,
                      *((None, None, None) if signer is None
                        else (signer.pid, signer.cid, ref_of(signer))),
                      key.sign)
    profile_type = chat.profile_type
    return (
        chat.id, chat.status.value, int(chat.chat_type), bool(chat.favorites),
        chat.profile_name, chat.profile_company, chat.profile_company_id, chat.profile_title,
        chat.profile_phone, chat.profile_photo,
        int(profile_type) if profile_type is not None else None,
        bool(chat.profile_verified), chat.chat_name, *key_values,
        chat.last_message_text, chat.last_message_status, chat.last_message_time, chat.unread,
    )


def certificate_values(chat: Chat, ref_of: RefOf) -> list[Values]:
    """The ``chat_certificates`` rows of ``chat`` (``CERT_COLUMNS``): members, then waits."""
    chat_id = chat.id
    rows = [(chat_id, ROLE_MEMBER, position, cert.pid, cert.cid, ref_of(cert))
            for position, cert in enumerate(chat.certificates)]
    rows.extend((chat_id, ROLE_WAIT, position, cert.pid, cert.cid, ref_of(cert))
                for position, cert in enumerate(chat.wait_list))
    return rows


def content_hash(values: Values, cert_values: list[Values]) -> str:
    """sha256 over every value that would be stored for one chat.

    The values are serialised with ``marshal``: exact and typed for what rows
    hold (None, bool, int, bytes, str are all told apart; strings with lone
    surrogates too) and done in C, several times faster than encoding value by
    value in Python or hashing ``repr``. Format version 0 on purpose: later
    versions write back-references and mark interned strings, so equal values
    could give different bytes. The certificates enter by their refs, which
    are hashes of their texts, so equal hashes still mean equal stored content.
    Should marshal's format change with a Python version, every row is
    rewritten once, which is harmless.
    """
    payload = (_HASH_VERSION, values, cert_values)
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
    if row["key_signer_cert_ref"] is not None:  # the read joins in its pem and hash
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


#: The ``chat_states`` columns of ``state_values``, in its order.
STATE_COLUMNS = ("chat_id", "reason", "detail", "updated_at")
#: The ``outbox`` and ``outbox_exports`` columns of ``outbox_values``, in its order.
OUTBOX_COLUMNS = ("chat_id", "own_cid", "own_export", "created_at")
OUTBOX_EXPORT_COLUMNS = ("chat_id", "position", "cid", "pid", "key", "sign")


def state_values(state: ChatState) -> Values:
    """The ``chat_states`` row of ``state`` (``STATE_COLUMNS``)."""
    reason = state.reason.value if state.reason is not None else None
    return (state.chat_id, reason, state.detail, state.updated_at)


def state_from_row(row: RowLike) -> ChatState:
    reason = row["reason"]
    return ChatState(
        chat_id=row["chat_id"],
        reason=Reason(reason) if reason is not None else None,
        detail=row["detail"],
        updated_at=row["updated_at"],
    )


def outbox_values(entry: OutboxEntry) -> tuple[Values, list[Values]]:
    """The ``outbox`` row and the ``outbox_exports`` rows of one entry, as tuples.

    Raises:
        ValueError: an export belongs to another chat than the entry.
    """
    chat_id = entry.chat_id
    strays = [e.chat_id for e in entry.exports if e.chat_id != chat_id]
    if strays:
        raise ValueError(f"outbox entry for {chat_id!r} holds exports of {strays!r}")
    head = (chat_id, entry.own_cid, entry.own_export, entry.created_at)
    exports = [(chat_id, position, e.cid, e.pid, e.key, e.sign)
               for position, e in enumerate(entry.exports)]
    return head, exports


def outbox_from_values(head: Values, exports: Iterable[Values]) -> OutboxEntry:
    """An entry from its ``OUTBOX_COLUMNS`` row and its exports' rows in order
    (``OUTBOX_EXPORT_COLUMNS`` without ``position``)."""
    chat_id, own_cid, own_export, created_at = head
    return OutboxEntry(chat_id, own_cid, own_export,
                       tuple(KeyExport(*e) for e in exports), created_at)
