"""Store refresh of 10,000 chats: first time, and again with 1% changed.

Measured: what the client does with a response body: envelope, validation
(``parse_chats``) and ``Store.refresh`` (one transaction). Baseline:
``json.loads`` and ``sqlite3.executemany`` of the same rows (chats, their
certificates, each chat's JSON text) into equivalent tables, one transaction,
the same pragmas, no validation at all.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from komandor_desktop.protocol import ParseMemo, parse_chats, parse_envelope
from komandor_desktop.store import Store

from . import chats as synthetic
from .common import RUNS, Result

_CHAT_FIELDS = (
    "id", "status", "chatType", "chatFavorites", "profileName", "profileCompany",
    "profileCompanyId", "profileTitle", "profilePhone", "profilePhoto", "profileType",
    "profileVerified", "chatName", "lastMessageText", "lastMessageStatus", "lastMessageTime",
    "unreadMessages",
)
_KEY_FIELDS = ("id", "key", "pid", "cid", "certificate", "hash", "sign")
_SCHEMA = (
    "CREATE TABLE chats (" + ", ".join(f'"{f}"' for f in _CHAT_FIELDS[1:]).join(
        ('"id" TEXT PRIMARY KEY, ', ''))
    + ", " + ", ".join(f'"key_{f}"' for f in _KEY_FIELDS) + ")",
    "CREATE TABLE chat_certificates (chat_id TEXT, role TEXT, position INTEGER, pid TEXT,"
    " cid TEXT, pem TEXT, hash TEXT, PRIMARY KEY (chat_id, role, position))",
    "CREATE TABLE chat_raw (chat_id TEXT PRIMARY KEY, json TEXT)",
)


def _baseline_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    for statement in _SCHEMA:
        db.execute(statement)
    return db


def _baseline(db: sqlite3.Connection, body: bytes) -> float:
    start = time.perf_counter()
    objs = json.loads(body)["data"]
    chat_rows, cert_rows, raw_rows = [], [], []
    for obj in objs:
        key = obj["chatKey"] or {}
        chat_rows.append([obj[f] for f in _CHAT_FIELDS] + [key.get(f) for f in _KEY_FIELDS])
        for role, entries in (("member", obj["certificates"]), ("wait", obj["waitList"])):
            for position, c in enumerate(entries):
                cert_rows.append((obj["id"], role, position, c["pid"], c["cid"],
                                  c["certificate"], c["hash"]))
        raw_rows.append((obj["id"], json.dumps(obj, ensure_ascii=False, sort_keys=True)))
    marks = ", ".join("?" * len(chat_rows[0]))
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO chats VALUES ({marks})", chat_rows)
    db.executemany("INSERT INTO chat_certificates VALUES (?, ?, ?, ?, ?, ?, ?)", cert_rows)
    db.executemany("INSERT INTO chat_raw VALUES (?, ?)", raw_rows)
    db.execute("COMMIT")
    return time.perf_counter() - start


def _refresh(store: Store, memo: ParseMemo, body: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    snapshot = parse_chats(parse_envelope(200, body, {}), memo)
    changed = store.refresh(snapshot, now_ms=int(time.time() * 1000))
    return time.perf_counter() - start, len(changed)


def run(scratch: Path, runs: int = RUNS) -> tuple[Result, Result]:
    """(first time vs bare sqlite3, 1% changed vs first time)."""
    data = synthetic.make_chats()
    first_body = synthetic.body(data)
    again_body = synthetic.body(synthetic.changed(data))
    firsts, bases, agains, changed_counts = [], [], [], []
    for n in range(runs):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        db = _baseline_db(scratch / "baseline.sqlite3")
        bases.append(_baseline(db, first_body))
        db.close()
        store = Store(scratch / f"store-{n}.sqlite3")
        memo = ParseMemo()  # as the ApiClient's: a first refresh has nothing parsed before
        try:
            first, _ = _refresh(store, memo, first_body)
            again, changed = _refresh(store, memo, again_body)
        finally:
            store.close()
        firsts.append(first)
        agains.append(again)
        changed_counts.append(changed)
    notes: dict[str, Any] = {"chats": len(data), "body_bytes": len(first_body)}
    first_result = Result("store refresh, 10,000 chats, first time", "s", firsts, bases, 3.0,
                          notes={**notes, "baseline": "json.loads + sqlite3.executemany"})
    again_result = Result("store refresh, 10,000 chats, 1% changed", "s", agains, firsts, 0.3,
                          notes={**notes, "changed_ids": changed_counts,
                                 "baseline": "the first-time refresh"})
    return first_result, again_result
