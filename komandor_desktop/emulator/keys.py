"""``POST /api/v2/chatsKeys/``: the rules of PROTOCOL.md §6, in exactly that order.

Rule 1 (the token) is the caller's. ``parse_entries`` is rule 2;
``register`` runs rules 3 to 9 inside the caller's transaction. The first rule
that any entry breaks decides the answer and ``details`` names every entry
that breaks it. Nothing is written before every check has passed, and a
chat's first key inserts the chat's single ``chat_key_records`` row: of two
concurrent creations the database lets exactly one commit (SQLite serialises
the transactions, then the loser sees the record; PostgreSQL raises
IntegrityError on the unique key), and the loser answers 409.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from komandor_desktop.protocol import b64decode

from .ca import new_id
from .db import CertificateRow, ChatKeyRecord, KeyExport
from .failures import HttpFailure, bad_request
from .keytools import verify_with
from .rules import ChatFacts, load_facts, now_ms

MAX_ENTRIES = 1000
FIELDS = ("chatId", "cid", "pid", "key", "sign")
MAX_ID = 128


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
        if len(value) > MAX_ID or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
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
    for entry in entries:
        by_chat[entry.chat_id].append(entry)
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
    return any(c.cid == entry.cid and c.pid == entry.pid for c in facts.targets())


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
    """Rule 8: one transaction; the unique keys turn a lost race into 409."""
    stamp = now_ms()
    for chat_id in dict.fromkeys(e.chat_id for e in fresh):
        if facts[chat_id].record is not None:
            continue
        session.add(ChatKeyRecord(chat_id=chat_id, key_id=new_id("key"),
                                  creator_pid=uploader.pid, created_at=stamp))
        _flush_or_conflict(session, [e for e in fresh if e.chat_id == chat_id])
    for entry in fresh:
        session.add(KeyExport(chat_id=entry.chat_id, cid=entry.cid, key=entry.key,
                              signer_pid=uploader.pid, signer_cid=uploader.cid,
                              sign=entry.sign, created_at=stamp))
    _flush_or_conflict(session, fresh)


def _flush_or_conflict(session: Session, entries: list[Entry]) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise HttpFailure(409, "key_conflict", "another registration of this chat won the race",
                          [e.detail("key_conflict") for e in entries]) from None

