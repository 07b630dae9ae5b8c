"""Applying one ``GET /api/v2/chats/`` snapshot to the store (PROTOCOL.md §4).

Everything runs on one connection inside the caller's transaction. Speed comes
from reading the stored content hashes (and raw JSON hashes, and states) in one
query each, then writing only what differs with ``executemany`` over lists of
dicts: a refresh in which 1% of 10,000 chats changed writes about 100 rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Select, select

from ..domain import Chat, ChatsSnapshot, Reason
from . import codec
from .schema import chat_certificates, chat_raw, chat_states, chats, meta
from .sql import delete_by, upsert

LAST_REFRESH_KEY = "last_refresh_ms"


@dataclass
class _Plan:
    """What one snapshot changes, worked out before anything is written."""

    chat_rows: list[codec.Row] = field(default_factory=list)  # inserted or updated
    cert_rows: list[codec.Row] = field(default_factory=list)  # of those chats
    replaced: list[str] = field(default_factory=list)  # stored ids whose certificates go
    deleted: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)


def _pairs(connection: Connection, query: Select[tuple[str, str]]) -> dict[str, str]:
    """A two-column query as a dict, read from the DBAPI cursor without Row objects.

    Same connection, transaction and events; it only skips building 10,000 SQLAlchemy
    Row objects, which costs more than the query itself.
    """
    compiled = query.compile(connection)
    result = connection.exec_driver_sql(str(compiled), tuple(compiled.params.values()))
    try:
        return dict(result.cursor.fetchall())
    finally:
        result.close()


@dataclass
class Memo:
    """Hashes of the last snapshot, kept by the Store between refreshes.

    Both are pure functions of their inputs (never of the database), so a
    rolled-back refresh leaves nothing wrong in them.
    """

    chats: dict[str, tuple[Chat, str]] = field(default_factory=dict)  # id -> (Chat, content)
    raw: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (JSON text, its hash)


HashMemo = dict[str, tuple[Chat, str]]


def _plan_chats(connection: Connection, snapshot: ChatsSnapshot, keep: set[str],
                memo: HashMemo) -> _Plan:
    """Compare the snapshot's chats with the stored content hashes.

    ``memo`` holds the hashes of the last snapshot's chats; a chat that is the
    very same (immutable) object as then, which the parser hands back for
    unchanged JSON, is not encoded and hashed again. It is refilled here.
    """
    stored = _pairs(connection, select(chats.c.id, chats.c.content_hash))
    plan = _Plan()
    previous = dict(memo)
    memo.clear()
    for chat in snapshot.chats:
        known = previous.get(chat.id)
        if known is not None and known[0] is chat:
            memo[chat.id] = known
            if stored.get(chat.id) == known[1]:
                continue
        row = codec.chat_row(chat)
        certs = codec.certificate_rows(chat)
        row["content_hash"] = codec.content_hash(row, certs)
        memo[chat.id] = (chat, row["content_hash"])
        old = stored.get(chat.id)
        if old == row["content_hash"]:
            continue
        if old is not None:
            plan.replaced.append(chat.id)
        plan.chat_rows.append(row)
        plan.cert_rows.extend(certs)
        plan.changed.add(chat.id)
    plan.deleted = sorted(set(stored) - keep)
    plan.changed.update(plan.deleted)
    return plan


def _write_chats(connection: Connection, plan: _Plan) -> None:
    delete_by(connection, chat_certificates.c.chat_id, plan.replaced)
    upsert(connection, chats, "id", plan.chat_rows)
    if plan.cert_rows:
        connection.execute(chat_certificates.insert(), plan.cert_rows)
    delete_by(connection, chats.c.id, plan.deleted)  # certificates go by ON DELETE CASCADE


def _error_details(snapshot: ChatsSnapshot, valid: set[str]) -> dict[str, str]:
    """INVALID_CHAT detail per erroneous chat id (messages of one id joined)."""
    details: dict[str, list[str]] = {}
    for error in snapshot.errors:
        if error.chat_id is not None and error.chat_id not in valid:
            details.setdefault(error.chat_id, []).append(error.message)
    return {chat_id: "; ".join(messages) for chat_id, messages in details.items()}


def _write_states(
    connection: Connection, valid: set[str], errors: dict[str, str], now_ms: int
) -> set[str]:
    """Mark erroneous chats INVALID_CHAT, unmark valid ones, drop states of gone chats.

    Returns the ids whose INVALID_CHAT mark appeared, changed or disappeared.
    """
    stored = {
        chat_id: (reason, detail)
        for chat_id, reason, detail in connection.execute(
            select(chat_states.c.chat_id, chat_states.c.reason, chat_states.c.detail)
        )
    }
    invalid = Reason.INVALID_CHAT.value
    marked = {cid for cid, detail in errors.items() if stored.get(cid) != (invalid, detail)}
    unmarked = {cid for cid in valid if stored.get(cid, (None, None))[0] == invalid}
    gone = set(stored) - valid - set(errors)
    upsert(connection, chat_states, "chat_id", [
        {"chat_id": cid, "reason": invalid, "detail": errors[cid], "updated_at": now_ms}
        for cid in sorted(marked)
    ])
    delete_by(connection, chat_states.c.chat_id, sorted(unmarked | gone))
    return marked | unmarked


def _write_raw(connection: Connection, raw: dict[str, str], keep: set[str],
               memo: dict[str, tuple[str, str]]) -> None:
    """Store each chat's JSON text when it differs; drop JSON of chats that are gone.

    ``memo`` holds the texts and hashes of the last snapshot: an equal text is
    not hashed again. It is refilled here.
    """
    stored = _pairs(connection, select(chat_raw.c.chat_id, chat_raw.c.json_hash))
    previous = dict(memo)
    memo.clear()
    rows = []
    for chat_id, text in raw.items():
        known = previous.get(chat_id)
        digest = known[1] if known is not None and known[0] == text else codec.text_hash(text)
        memo[chat_id] = (text, digest)
        if stored.get(chat_id) != digest:
            rows.append({"chat_id": chat_id, "json": text, "json_hash": digest})
    upsert(connection, chat_raw, "chat_id", rows)
    delete_by(connection, chat_raw.c.chat_id, sorted(set(stored) - keep - set(raw)))


def apply_snapshot(connection: Connection, snapshot: ChatsSnapshot, now_ms: int,
                   memo: Memo | None = None) -> set[str]:
    """Write ``snapshot`` on ``connection`` (inside a transaction); see ``Store.refresh``.

    ``memo``: the caller's hashes of the last snapshot (see ``Memo``), updated here.
    """
    memo = Memo() if memo is None else memo
    valid = {chat.id for chat in snapshot.chats}
    errors = _error_details(snapshot, valid)
    keep = valid | set(errors)
    plan = _plan_chats(connection, snapshot, keep, memo.chats)
    _write_chats(connection, plan)
    changed = plan.changed | _write_states(connection, valid, errors, now_ms)
    _write_raw(connection, snapshot.raw, keep, memo.raw)
    upsert(connection, meta, "key", [{"key": LAST_REFRESH_KEY, "value": str(now_ms)}])
    return changed
