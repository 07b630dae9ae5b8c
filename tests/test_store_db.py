"""Opening the database: pragmas, transactions, migrations, bad files."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from test_store_support import plain_chat, snapshot

from komandor_desktop.errors import StoreError
from komandor_desktop.store import Store
from komandor_desktop.store.engine import alembic_config, make_engine
from komandor_desktop.store.schema import metadata


def _schema_version(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA schema_version").fetchone()[0]


def test_connection_pragmas_are_set(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    engine = make_engine(tmp_path / "s.db")
    try:
        with engine.connect() as conn:
            pragma = conn.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_wal_is_persistent_in_the_file(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db"):
        pass
    with sqlite3.connect(tmp_path / "s.db") as conn:  # a foreign connection sees WAL too
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_begin_is_emitted_before_reads(tmp_path: Path) -> None:
    """The sqlite3 driver alone would not BEGIN before a SELECT; the recipe does."""
    engine = make_engine(tmp_path / "t.db")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
            assert conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_foreign_keys_cascade_through_the_store(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.refresh(snapshot(plain_chat("a", 1)), now_ms=1)
        store.refresh(snapshot(), now_ms=2)
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("SELECT count(*) FROM chat_certificates").fetchone() == (0,)


def test_fresh_database_is_at_head_and_matches_the_metadata(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    engine = make_engine(tmp_path / "s.db")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == "0002"
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_reopening_at_head_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.refresh(snapshot(plain_chat("a", 1)), now_ms=1)
    version = _schema_version(db)
    with Store(db) as store:
        assert [c.id for c in store.chats()] == ["a"]
    with Store(db):
        pass
    assert _schema_version(db) == version
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    Store(db).close()
    engine = make_engine(db)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() is None
    finally:
        engine.dispose()
    with Store(db) as store:
        assert store.chats() == []


def test_migrations_leave_existing_loggers_enabled(tmp_path: Path) -> None:
    logger = logging.getLogger("komandor_desktop.test_store_db.witness")
    Store(tmp_path / "s.db").close()
    assert not logger.disabled
    assert not logging.getLogger("komandor_desktop").disabled


def test_database_file_is_private(tmp_path: Path) -> None:
    db = tmp_path / "deeper" / "s.db"
    Store(db).close()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_garbage_file_is_a_store_error(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    db.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StoreError, match="s.db"):
        Store(db)


def test_damaged_pages_are_a_store_error(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.refresh(snapshot(*(plain_chat(f"c{i:04d}", i) for i in range(500))), now_ms=1)
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    for offset in range(4 * 4096, len(data) - 4096, 4096):
        data[offset : offset + 64] = b"\xa5" * 64  # scribble over each page header
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt"):
        Store(db)


def test_unknown_revision_is_a_store_error(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer version"):
        Store(db)


def test_foreign_database_cannot_be_migrated(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE chats (something TEXT)")
    with pytest.raises(StoreError, match="cannot open"):
        Store(db)


def test_closed_store_refuses_use(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        store.chats()


def test_store_is_usable_from_another_thread(tmp_path: Path) -> None:
    """The sync engine may call the store from a worker thread."""
    with Store(tmp_path / "s.db") as store:
        store.refresh(snapshot(plain_chat("a", 1)), now_ms=1)
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(store.chats).result() == [plain_chat("a", 1)]
        assert store.chat("a") == plain_chat("a", 1)
