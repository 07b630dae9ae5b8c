"""``POST /api/v2/chatsKeys/``: the rules of PROTOCOL.md §6, in exactly that order.

Rule 1 (the token) is the caller's. ``parse_entries`` is rule 2;
``register`` runs rules 3 to 9 inside the caller's transaction. The first rule
that any entry breaks decides the answer and ``details`` names every entry
that breaks it. Nothing is written before every check has passed, and a
chat's first key inserts the chat's single ``chat_key_records`` row.

Concurrency is the database's business, never a lock in this process: the
request's chat rows are locked first (``SELECT ... FOR UPDATE`` in id order on
PostgreSQL; SQLite's IMMEDIATE transactions are serial), so the facts rule 7
reads cannot change before our insert commits, and a loser sees the winner's
keys and answers 409 naming every chat it lost, in one answer. The primary
key of ``chat_key_records`` and the unique ``key_exports(chat_id, cid)`` stay
the backstop: an insert that still collides is a 409 too. Inserts go in
(chat, cid) order, so two requests cannot deadlock on them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from komandor_desktop.protocol import b64decode

from .ca import new_id
from .db import CertificateRow, ChatKeyRecord, KeyExport, lock_chats
from .failures import HttpFailure, bad_request
from .keytools import verify_with
from .rules import ChatFacts, load_facts, now_ms

MAX_ENTRIES = 1000
FIELDS = ("chatId", "cid", "pid", "key", "sign")
MAX_ID = 128
# the tables themselves, for Core inserts (see ``_insert``)
_RECORDS, _EXPORTS = cast(Table, ChatKeyRecord.__table__), cast(Table, KeyExport.__table__)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # no id may hold these (PROTOCOL.md §2)


@dataclass(frozen=True, slots=True)
class Entry:
    """One validated entry of the request."""

    chat_id: str
    cid: str
    pid: str
    key: bytes
    sign: bytes

    def detail(self, code: str) -> dict[str, str]:
        return {"chatId": self.chat_id, "cid": self.cid, "code": code}


def parse_entries(body: Any) -> list[Entry]:
    """Rule 2: the request's shape, field types, duplicates and base64.

    Raises:
        HttpFailure: 400 bad_request, ``details`` naming the faulty entries.
    """
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise bad_request('the body must be {"keys": [...]}')
    raw = body["keys"]
    if not 1 <= len(raw) <= MAX_ENTRIES:
        raise bad_request(f"keys must hold 1 to {MAX_ENTRIES} entries, not {len(raw)}")
    entries: list[Entry] = []
    faults: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        entry, problem = _parse_one(item)
        if entry is not None and (entry.chat_id, entry.cid) in seen:
            entry, problem = None, "the same (chatId, cid) appears twice"
        if entry is None:
            fields = item if isinstance(item, dict) else {}
            faults.append({"chatId": _text_or_none(fields.get("chatId")),
                           "cid": _text_or_none(fields.get("cid")),
                           "code": "bad_request", "index": index, "message": problem})
            continue
        seen.add((entry.chat_id, entry.cid))
        entries.append(entry)
    if faults:
        raise bad_request("malformed key entries", faults)
    return entries


def _parse_one(item: Any) -> tuple[Entry | None, str]:
    if not isinstance(item, dict):
        return None, "an entry must be an object"
    for name in FIELDS:
        value = item.get(name)
        if not isinstance(value, str) or not value:
            return None, f"{name} must be a non-empty string"
    for name in ("chatId", "cid", "pid"):
        value = item[name]
        if len(value) > MAX_ID or _CONTROL.search(value) is not None:
            return None, f"{name} is not a valid id"
    try:
        key, sign = b64decode(item["key"]), b64decode(item["sign"])
    except ValueError as exc:
        return None, f"bad base64: {exc}"
    return Entry(item["chatId"], item["cid"], item["pid"], key, sign), ""


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def register(session: Session, uploader: CertificateRow, entries: list[Entry]) -> int:
    """Rules 3-9 for an uploader (its current certificate); returns how many keys are new."""
    by_chat: dict[str, list[Entry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (e.chat_id, e.cid)):
        by_chat[entry.chat_id].append(entry)
    lock_chats(session, by_chat)
    facts = load_facts(session, by_chat)
    _refuse(404, "chat_not_found", "unknown chat",
            [e for e in entries if e.chat_id not in facts])
    _refuse(403, "not_member", "the uploader is not a member of the chat",
            [e for e in entries if uploader.pid not in facts[e.chat_id].member_pids])
    _refuse(422, "bad_certificate", "not a target certificate of the chat, or not of pid",
            [e for e in entries if not _is_target(facts[e.chat_id], e)])
    _refuse(422, "bad_signature", "the signature does not verify with your certificate",
            [e for e in entries if not verify_with(uploader.pem, e.key, e.sign)])
    fresh = _check_conflicts(facts, by_chat, uploader)
    _insert(session, facts, fresh, uploader)
    return len(fresh)


def _refuse(status: int, code: str, message: str, offenders: list[Entry]) -> None:
    if offenders:
        raise HttpFailure(status, code, message, [e.detail(code) for e in offenders])


def _is_target(facts: ChatFacts, entry: Entry) -> bool:
    return (entry.cid, entry.pid) in facts.target_ids


def _check_conflicts(facts: dict[str, ChatFacts], by_chat: dict[str, list[Entry]],
                     uploader: CertificateRow) -> list[Entry]:
    """Rule 7; returns the entries that are new (identical repeats dropped)."""
    offenders: list[Entry] = []
    fresh: list[Entry] = []
    for chat_id, chat_entries in by_chat.items():
        fact = facts[chat_id]
        if fact.record is None:
            allowed = any(e.cid == uploader.cid for e in chat_entries)
        else:
            allowed = uploader.cid in fact.exports
        if not allowed:
            offenders.extend(chat_entries)
            continue
        for entry in chat_entries:
            existing = fact.exports.get(entry.cid)
            if existing is None:
                fresh.append(entry)
            elif existing.key != entry.key:
                offenders.append(entry)
    _refuse(409, "key_conflict", "the chat's key was registered by someone else first",
            offenders)
    return fresh


def _insert(session: Session, facts: dict[str, ChatFacts], fresh: list[Entry],
            uploader: CertificateRow) -> None:
    """Rule 8: one transaction; the unique keys turn a lost race into 409.

    Bulk Core inserts into the tables (one statement per table; not ORM objects,
    nor the ORM's bulk insert, which costs more per row than SQLite's insert):
    a registration of 1,000 keys is a hot path. The records go in under a
    savepoint so that a lost race can be narrowed to the chats that lost it.
    """
    stamp = now_ms()
    created = [c for c in dict.fromkeys(e.chat_id for e in fresh) if facts[c].record is None]
    if created:
        try:
            with session.begin_nested():
                session.execute(insert(_RECORDS), [
                    {"chat_id": c, "key_id": new_id("key"), "creator_pid": uploader.pid,
                     "created_at": stamp} for c in created])
        except IntegrityError:
            _lost_race(session, created, fresh)
    rows = [{"chat_id": e.chat_id, "cid": e.cid, "key": e.key, "signer_pid": uploader.pid,
             "signer_cid": uploader.cid, "sign": e.sign, "created_at": stamp} for e in fresh]
    if rows:
        try:
            with session.begin_nested():
                session.execute(insert(_EXPORTS), rows)
        except IntegrityError:
            raise _conflict(fresh) from None


def _lost_race(session: Session, created: list[str], fresh: list[Entry]) -> None:
    """409 naming the entries of the chats another registration keyed first."""
    taken = set(session.scalars(
        select(ChatKeyRecord.chat_id).where(ChatKeyRecord.chat_id.in_(created))))
    raise _conflict([e for e in fresh if e.chat_id in taken] or fresh) from None


def _conflict(entries: list[Entry]) -> HttpFailure:
    return HttpFailure(409, "key_conflict", "another registration of this chat won the race",
                       [e.detail("key_conflict") for e in entries])
