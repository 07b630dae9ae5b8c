"""The Store: the local database as a repository of domain objects.

Callers get and give ``Chat``, ``ChatState`` and ``OutboxEntry`` values; the
tables stay in this package. Every public method is one transaction, so a crash
leaves either the old or the new state on disk, never half of a refresh or of
an outbox entry (PROTOCOL.md §4 relies on the latter).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..bulk import paused_gc
from ..domain import Certificate, Chat, ChatsSnapshot, ChatState, OutboxEntry
from ..errors import StoreError
from . import codec
from .engine import make_engine, upgrade
from .refresh import LAST_REFRESH_KEY, Memo, apply_snapshot
from .schema import (
    ROLE_MEMBER,
    certificates,
    chat_certificates,
    chat_raw,
    chat_states,
    chats,
    meta,
    outbox,
    outbox_exports,
)
from .sql import delete_by, insert, upsert

log = logging.getLogger(__name__)


def _describe(exc: BaseException) -> str:
    """The driver's own message when there is one, without SQLAlchemy's link footer."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}"
    return str(exc)


def _create_private(path: Path) -> None:
    """Create an empty database file readable by the user only.

    SQLite gives the -wal and -shm files the mode of the main file.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _open(path: Path) -> Engine:
    """Open (creating if needed), check and migrate; StoreError if unusable."""
    try:
        _create_private(path)
    except OSError as exc:
        raise StoreError(f"cannot create the local database {path}: {exc}") from exc
    engine = make_engine(path)
    try:
        with engine.connect() as connection:
            # quick_check reads every page (a few ms per 10 MB); (3) caps the report
            found = connection.exec_driver_sql("PRAGMA quick_check(3)").scalars().all()
        if found != ["ok"]:
            lines = "\n".join(str(item) for item in found).splitlines()
            raise StoreError("the local database is corrupt: " + "; ".join(lines[:3]))
        upgrade(engine)
    except StoreError as exc:
        engine.dispose()
        raise StoreError(f"{exc} ({path})") from exc
    except Exception as exc:  # sqlite3, SQLAlchemy and Alembic all raise their own
        engine.dispose()
        raise StoreError(
            f"cannot open the local database {path} (corrupt, or not a database of"
            f" this program?): {_describe(exc)}"
        ) from exc
    return engine


class Store:
    """The local SQLite database of one profile.

    Args:
        path: the database file; created (mode 0600) and migrated to the newest
            schema when needed.

    Raises:
        StoreError: the file cannot be created, is corrupt, or cannot be migrated.
    """

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._engine: Engine | None = _open(self._path)
        self._memo = Memo()  # hashes of the last refresh, to skip unchanged chats fast

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        """Close every connection (checkpoints the WAL); later calls raise StoreError."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One transaction; database failures surface as StoreError."""
        if self._engine is None:
            raise StoreError(f"the local database {self._path} is closed")
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"local database {self._path}: {_describe(exc)}") from exc

    # chats ---------------------------------------------------------------

    def refresh(self, snapshot: ChatsSnapshot, *, now_ms: int) -> set[str]:
        """Store one validated chats response in one transaction (PROTOCOL.md §4).

        Valid chats are inserted or updated (unchanged ones are not rewritten);
        stored chats absent from the snapshot are deleted, except those listed in
        ``snapshot.errors``: they keep their stored copy and get
        ``ChatState(INVALID_CHAT, message)``, which a valid copy later removes.
        ``snapshot.raw`` is stored per chat and ``last_refresh_ms`` set.

        Returns:
            the ids whose stored chat was inserted, updated or deleted, or whose
            INVALID_CHAT state appeared, changed or went away.
        """
        with paused_gc(), self._transaction() as connection:  # rows and tuples: no cycles
            return apply_snapshot(connection, snapshot, now_ms, self._memo)

    def chats(self) -> list[Chat]:
        """Every stored chat, ordered by id, in two queries."""
        with self._transaction() as connection:
            rows = _dicts(connection, _chat_query().order_by(chats.c.id))
            certs = _tuples(connection, _certificate_query().order_by(
                chat_certificates.c.chat_id, chat_certificates.c.role,
                chat_certificates.c.position,
            ))
        by_chat: dict[str, tuple[list[Certificate], list[Certificate]]] = {}
        for chat_id, role, pid, cid, pem, cert_hash in certs:
            members, waits = by_chat.setdefault(chat_id, ([], []))
            (members if role == ROLE_MEMBER else waits).append(
                Certificate(pid=pid, cid=cid, pem=pem, hash=cert_hash))
        return [codec.chat_from_row(row, *by_chat.get(row["id"], ((), ()))) for row in rows]

    def chat(self, chat_id: str) -> Chat | None:
        """One stored chat, or None."""
        with self._transaction() as connection:
            rows = _dicts(connection, _one_chat_sql(connection), (chat_id,))
            if not rows:
                return None
            certs = _tuples(connection, _one_chat_certificates_sql(connection), (chat_id,))
        members = [Certificate(pid, cid, pem, cert_hash)
                   for _, role, pid, cid, pem, cert_hash in certs if role == ROLE_MEMBER]
        waits = [Certificate(pid, cid, pem, cert_hash)
                 for _, role, pid, cid, pem, cert_hash in certs if role != ROLE_MEMBER]
        return codec.chat_from_row(rows[0], members, waits)

    def raw_json(self, chat_id: str) -> str | None:
        """The server's JSON text of that chat from the last refresh that had it."""
        with self._transaction() as connection:
            return connection.execute(
                select(chat_raw.c.json).where(chat_raw.c.chat_id == chat_id)
            ).scalar_one_or_none()

    # states --------------------------------------------------------------

    def set_states(self, states: Iterable[ChatState]) -> None:
        """Replace the state of each given chat (others are left alone)."""
        rows = [codec.state_values(state) for state in states]
        if not rows:
            return
        with self._transaction() as connection:
            upsert(connection, chat_states, "chat_id", codec.STATE_COLUMNS, rows)

    def states(self) -> dict[str, ChatState]:
        with self._transaction() as connection:
            rows = connection.execute(select(chat_states)).mappings().all()
        return {row["chat_id"]: codec.state_from_row(row) for row in rows}

    # outbox --------------------------------------------------------------

    def outbox_put(self, entry: OutboxEntry) -> None:
        """Store ``entry`` and its exports exactly, replacing that chat's entry.

        Raises:
            ValueError: an export of ``entry`` belongs to another chat.
        """
        self.outbox_put_many([entry])

    def outbox_put_many(self, entries: Iterable[OutboxEntry]) -> None:
        """``outbox_put`` for many chats in one transaction (a sync makes thousands).

        Raises:
            ValueError: an export belongs to another chat than its entry, or a
                chat id occurs twice; nothing is written then.
        """
        heads, exports = [], []
        for entry in entries:
            head, rows = codec.outbox_values(entry)
            heads.append(head)
            exports.extend(rows)
        ids = [head[0] for head in heads]
        if len(set(ids)) != len(ids):
            raise ValueError("outbox_put_many: a chat id occurs twice")
        if not heads:
            return
        with self._transaction() as connection:
            delete_by(connection, outbox.c.chat_id, ids)
            insert(connection, outbox, codec.OUTBOX_COLUMNS, heads)
            insert(connection, outbox_exports, codec.OUTBOX_EXPORT_COLUMNS, exports)

    def outbox_get(self, chat_id: str) -> OutboxEntry | None:
        with self._transaction() as connection:
            entries = _load_outbox(connection, chat_id)
        return entries[0] if entries else None

    def outbox_all(self) -> list[OutboxEntry]:
        """Every pending entry, ordered by chat id."""
        with paused_gc(), self._transaction() as connection:  # 10,000 exports: no cycles
            return _load_outbox(connection, None)

    def outbox_clear(self, chat_id: str) -> None:
        self.outbox_clear_many([chat_id])

    def outbox_clear_many(self, chat_ids: Iterable[str]) -> None:
        """Clear the entries of many chats in one transaction."""
        ids = list(chat_ids)
        if ids:
            with self._transaction() as connection:
                delete_by(connection, outbox.c.chat_id, ids)

    def outbox_clear_all(self) -> None:
        with self._transaction() as connection:
            connection.execute(outbox.delete())

    # meta ----------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._transaction() as connection:
            return connection.execute(
                select(meta.c.value).where(meta.c.key == key)
            ).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as connection:
            upsert(connection, meta, "key", ("key", "value"), [(key, value)])

    def last_refresh_ms(self) -> int | None:
        """When the last refresh was stored (the ``now_ms`` given to it)."""
        value = self.get_meta(LAST_REFRESH_KEY)
        return int(value) if value is not None else None


def _dicts(connection: Connection, query: Select[Any] | str,
           params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows as plain dicts, read from the DBAPI cursor without Row objects.

    Same connection, transaction and events; building SQLAlchemy RowMappings for tens of
    thousands of rows costs more than the query (10,000 chats: the window's
    first paint waits for this). Column types here need no result processing
    (text, integers, blobs) except booleans, which the codec converts itself.
    ``query`` may be SQL text compiled once (``_one_chat_sql``) with its ``params``.
    """
    sql, params = _compiled(connection, query, params)
    result = connection.exec_driver_sql(sql, params)
    try:
        names = list(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result.cursor.fetchall()]
    finally:
        result.close()


def _tuples(connection: Connection, query: Select[Any] | str,
            params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows as the DBAPI's plain tuples (see ``_dicts``), in the query's column order."""
    sql, params = _compiled(connection, query, params)
    result = connection.exec_driver_sql(sql, params)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _compiled(connection: Connection, query: Select[Any] | str,
              params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    if isinstance(query, str):
        return query, params
    compiled = query.compile(connection)
    return str(compiled), tuple(compiled.params.values())


_SQL: dict[str, str] = {}  # statements of the one-chat read, compiled once per process


def _one_chat_sql(connection: Connection) -> str:
    """``chat()``'s row query: compiled once (the detail panel and every painted
    preview read one chat; compiling the statement cost more than running it)."""
    if "chat" not in _SQL:
        _SQL["chat"] = str(_chat_query().where(chats.c.id == bindparam("chat_id"))
                           .compile(connection))
    return _SQL["chat"]


def _one_chat_certificates_sql(connection: Connection) -> str:
    if "certs" not in _SQL:
        _SQL["certs"] = str(_certificate_query()
                            .where(chat_certificates.c.chat_id == bindparam("chat_id"))
                            .order_by(chat_certificates.c.role, chat_certificates.c.position)
                            .compile(connection))
    return _SQL["certs"]


def _load_outbox(connection: Connection, chat_id: str | None) -> list[OutboxEntry]:
    """Outbox entries (one chat, or all) with their exports, in two queries."""
    heads_q = select(*(outbox.c[name] for name in codec.OUTBOX_COLUMNS)).order_by(
        outbox.c.chat_id)
    exports_q = select(*(outbox_exports.c[name] for name in _EXPORT_READ)).order_by(
        outbox_exports.c.chat_id, outbox_exports.c.position)
    if chat_id is not None:
        heads_q = heads_q.where(outbox.c.chat_id == bindparam("b_id", chat_id))
        exports_q = exports_q.where(outbox_exports.c.chat_id == bindparam("b_id", chat_id))
    heads = _tuples(connection, heads_q)
    exports: dict[str, list[tuple[Any, ...]]] = {}
    for row in _tuples(connection, exports_q):
        exports.setdefault(row[0], []).append(row)
    return [codec.outbox_from_values(head, exports.get(head[0], ())) for head in heads]


_EXPORT_READ = ("chat_id", "cid", "pid", "key", "sign")  # KeyExport's field order
_SIGNER = certificates.alias("signer")


def _chat_query() -> Select[Any]:
    """Every ``chats`` column, with the signer certificate's text joined in under the
    names ``codec.chat_from_row`` reads (``key_signer_cert_pem``, ``..._hash``)."""
    return (select(chats, _SIGNER.c.pem.label("key_signer_cert_pem"),
                   _SIGNER.c.hash.label("key_signer_cert_hash"))
            .select_from(chats.outerjoin(_SIGNER,
                                         _SIGNER.c.ref == chats.c.key_signer_cert_ref)))


def _certificate_query() -> Select[Any]:
    """(chat_id, role, pid, cid, pem, hash) of the certificate rows, texts joined in."""
    c = chat_certificates.c
    return (select(c.chat_id, c.role, c.pid, c.cid, certificates.c.pem, certificates.c.hash)
            .select_from(chat_certificates.join(certificates,
                                                certificates.c.ref == c.cert_ref)))
