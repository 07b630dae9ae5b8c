"""Applying one ``GET /api/v2/chats/`` snapshot to the store (PROTOCOL.md §4).

Everything runs on one connection inside the caller's transaction. Speed comes
from reading the stored content hashes (and raw JSON hashes, and states) in one
query each, then writing only what differs with ``executemany`` over tuples: a
refresh in which 1% of 10,000 chats changed writes about 100 rows. Certificate
texts are written once each (``schema.certificates``), by a ref that is a hash
of the text: the rows of a chat only name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Select, select

from ..domain import Certificate, Chat, ChatsSnapshot, Reason
from . import codec
from .schema import (
    ROLE_MEMBER,
    ROLE_WAIT,
    certificates,
    chat_certificates,
    chat_raw,
    chat_states,
    chats,
    meta,
)
from .sql import delete_by, execute_many, insert, upsert

LAST_REFRESH_KEY = "last_refresh_ms"
_CERT_TEXT = ("ref", "pem", "hash")
_STATE_COLUMNS = ("chat_id", "reason", "detail", "updated_at")
_RAW_COLUMNS = ("chat_id", "json", "json_hash")
_DELETE_ROLE = "DELETE FROM chat_certificates WHERE chat_id = ? AND role = ?"
# certificates no chat names any more; NOT EXISTS probes the two ref indexes
_ORPHANS = (
    "DELETE FROM certificates WHERE NOT EXISTS"
    " (SELECT 1 FROM chat_certificates WHERE cert_ref = certificates.ref)"
    " AND NOT EXISTS (SELECT 1 FROM chats WHERE key_signer_cert_ref = certificates.ref)"
)


@dataclass
class _Plan:
    """What one snapshot changes, worked out before anything is written."""

    chat_rows: list[codec.Values] = field(default_factory=list)  # inserted or updated
    cert_rows: list[codec.Values] = field(default_factory=list)  # of those chats
    texts: dict[bytes, codec.Values] = field(default_factory=dict)  # ref -> certificates row
    replaced: list[str] = field(default_factory=list)  # stored ids whose certificates go
    replaced_roles: list[tuple[str, str]] = field(default_factory=list)  # (id, role) that go
    updated: bool = False  # a stored chat changed: a text may have lost its last reference
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

    All are pure functions of their inputs (never of the database), so a
    rolled-back refresh leaves nothing wrong in them.
    """

    chats: dict[str, tuple[Chat, str]] = field(default_factory=dict)  # id -> (Chat, content)
    raw: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (JSON text, its hash)
    refs: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (pem, hash) -> ref


HashMemo = dict[str, tuple[Chat, str]]


class _Refs:
    """Certificate refs of one refresh, each text hashed once (the last refresh's
    refs are reused), and the ``certificates`` rows the changed chats need."""

    def __init__(self, previous: dict[tuple[str, str], bytes], plan: _Plan) -> None:
        self._previous = previous
        self.used: dict[tuple[str, str], bytes] = {}
        self._texts = plan.texts

    def __call__(self, cert: Certificate) -> bytes:
        text = (cert.pem, cert.hash)
        ref = self.used.get(text)
        if ref is None:
            ref = self._previous.get(text)
            if ref is None:
                ref = codec.certificate_ref(*text)
            self.used[text] = ref
            self._texts[ref] = (ref, *text)
        return ref


def _plan_chats(connection: Connection, snapshot: ChatsSnapshot, keep: set[str],
                memo: Memo) -> _Plan:
    """Compare the snapshot's chats with the stored content hashes.

    ``memo.chats`` holds the hashes of the last snapshot's chats; a chat that is
    the very same (immutable) object as then, which the parser hands back for
    unchanged JSON, is not encoded and hashed again. It is refilled here.
    """
    stored = _pairs(connection, select(chats.c.id, chats.c.content_hash))
    plan = _Plan()
    refs = _Refs(memo.refs, plan)
    previous, hashes = memo.chats, {}
    for chat in snapshot.chats:
        known = previous.get(chat.id)
        if known is not None and known[0] is chat:
            hashes[chat.id] = known
            if stored.get(chat.id) == known[1]:
                continue
        values = codec.chat_values(chat, refs)
        certs = codec.certificate_values(chat, refs)
        digest = codec.content_hash(values, certs)
        hashes[chat.id] = (chat, digest)
        old = stored.get(chat.id)
        if old == digest:
            continue
        plan.chat_rows.append((*values, digest))
        plan.changed.add(chat.id)
        if old is None:
            plan.cert_rows.extend(certs)
        else:
            plan.updated = True
            _replace_certificates(plan, chat, certs, known if known and known[1] == old else None)
    memo.chats, memo.refs = hashes, refs.used
    plan.deleted = sorted(set(stored) - keep)
    plan.changed.update(plan.deleted)
    return plan


def _replace_certificates(plan: _Plan, chat: Chat, certs: list[codec.Values],
                          stored: tuple[Chat, str] | None) -> None:
    """Plan the certificate rows of a stored chat that changed.

    ``stored`` is the chat as the database holds it, when known (the last
    snapshot's copy, whose hash is the stored one); then a role whose list is
    unchanged keeps its rows (after a registration only the wait list goes).
    Otherwise every row of the chat is replaced.
    """
    if stored is None:
        plan.replaced.append(chat.id)
        plan.cert_rows.extend(certs)
        return
    before = stored[0]
    for role, now, then in ((ROLE_MEMBER, chat.certificates, before.certificates),
                            (ROLE_WAIT, chat.wait_list, before.wait_list)):
        if now != then:
            plan.replaced_roles.append((chat.id, role))
            plan.cert_rows.extend(row for row in certs if row[1] == role)


def _write_chats(connection: Connection, plan: _Plan) -> None:
    """Texts first (the rows refer to them), then rows; orphaned texts last."""
    insert(connection, certificates, _CERT_TEXT, list(plan.texts.values()), or_ignore=True)
    delete_by(connection, chat_certificates.c.chat_id, plan.replaced)
    execute_many(connection, _DELETE_ROLE, plan.replaced_roles)
    upsert(connection, chats, "id", codec.CHAT_COLUMNS, plan.chat_rows)
    insert(connection, chat_certificates, codec.CERT_COLUMNS, plan.cert_rows)
    delete_by(connection, chats.c.id, plan.deleted)  # certificates go by ON DELETE CASCADE
    if plan.updated or plan.deleted:
        connection.exec_driver_sql(_ORPHANS)


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
        for chat_id, reason, detail in connection.exec_driver_sql(
            "SELECT chat_id, reason, detail FROM chat_states"
        )
    }
    invalid = Reason.INVALID_CHAT.value
    marked = {cid for cid, detail in errors.items() if stored.get(cid) != (invalid, detail)}
    unmarked = {cid for cid in valid if stored.get(cid, (None, None))[0] == invalid}
    gone = set(stored) - valid - set(errors)
    upsert(connection, chat_states, "chat_id", _STATE_COLUMNS,
           [(cid, invalid, errors[cid], now_ms) for cid in sorted(marked)])
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
            rows.append((chat_id, text, digest))
    upsert(connection, chat_raw, "chat_id", _RAW_COLUMNS, rows)
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
    plan = _plan_chats(connection, snapshot, keep, memo)
    _write_chats(connection, plan)
    changed = plan.changed | _write_states(connection, valid, errors, now_ms)
    _write_raw(connection, snapshot.raw, keep, memo.raw)
    upsert(connection, meta, "key", ("key", "value"), [(LAST_REFRESH_KEY, str(now_ms))])
    return changed
