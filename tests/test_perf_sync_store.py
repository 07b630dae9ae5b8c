"""The store's certificate texts (schema revision 0002): stored once, named by ref.

A sync of 2,500 groups lists each contact's certificate in every chat it is in;
the store writes each text once (``certificates``) and the chats' rows name it.
These tests hold the round trip exact through sharing, role-by-role rewrites,
forgotten texts and the migration of a revision-0001 database with data.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from test_store_support import cert, full_chat, plain_chat, snapshot, write_counter, writes

from komandor_desktop.domain import Certificate, Chat, ChatKey, ChatStatus, OutboxEntry
from komandor_desktop.store import Store
from komandor_desktop.store.engine import alembic_config, make_engine


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _group(chat_id: str, members: tuple[Certificate, ...],
           waits: tuple[Certificate, ...], key: ChatKey | None = None) -> Chat:
    return Chat(id=chat_id, status=ChatStatus.WAIT if key else ChatStatus.NEW, chat_name=chat_id,
                certificates=members, wait_list=waits, chat_key=key)


def test_shared_certificates_are_stored_once_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    shared = (cert(1), cert(2), cert(3))
    signer = cert(1)
    key = ChatKey(id="k", key=b"x", signer_pid=signer.pid, signer_cid=signer.cid,
                  signer_certificate=signer, sign=b"s")
    chats = [_group(f"g{i:03d}", shared[i % 3:] + shared[: i % 3], (cert(9),), key)
             for i in range(30)]
    with Store(db) as store:
        store.refresh(snapshot(*chats), now_ms=1)
        assert store.chats() == sorted(chats, key=lambda c: c.id)
        assert store.chat("g007") == chats[7]
    assert _count(db, "certificates") == 4  # 1, 2, 3 and 9; the signer is 1 again
    assert _count(db, "chat_certificates") == 30 * 4


def test_one_cid_with_two_texts_keeps_both(tmp_path: Path) -> None:
    """A server may list one cid with another text elsewhere: each chat keeps its own."""
    honest = cert(5)
    forged = dataclasses.replace(honest, pem=honest.pem.replace("c", "x"), hash="ff" * 32)
    a, b = _group("a", (honest,), ()), _group("b", (forged,), (honest,))
    with Store(tmp_path / "s.db") as store:
        store.refresh(snapshot(a, b), now_ms=1)
        assert store.chat("a") == a
        assert store.chat("b") == b


def test_texts_no_chat_names_are_forgotten(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.refresh(snapshot(_group("a", (cert(1), cert(2)), ()),
                               _group("b", (cert(2),), (cert(3),))), now_ms=1)
        assert _count(db, "certificates") == 3
        store.refresh(snapshot(_group("b", (cert(2),), ())), now_ms=2)  # a gone, b's wait too
        assert _count(db, "certificates") == 1
        assert store.chats() == [_group("b", (cert(2),), ())]
        store.refresh(snapshot(), now_ms=3)
    assert _count(db, "certificates") == 0


def test_a_changed_wait_list_leaves_the_member_rows_alone(tmp_path: Path) -> None:
    """After a registration only the wait list goes: the member rows stay untouched."""
    db = tmp_path / "s.db"
    before = _group("g", (cert(1), cert(2)), (cert(1), cert(2), cert(7)))
    after = dataclasses.replace(before, status=ChatStatus.SYNC, wait_list=())
    with Store(db) as store:
        store.refresh(snapshot(before), now_ms=1)
        with write_counter(db) as conn:
            assert store.refresh(snapshot(after), now_ms=2) == {"g"}
            touched = writes(conn)
        assert store.chat("g") == after
        assert touched.count("chat_certificates") == 3  # the three wait rows deleted
        again = dataclasses.replace(after, certificates=(cert(2), cert(1)))
        assert store.refresh(snapshot(again), now_ms=3) == {"g"}
        assert store.chat("g") == again
    assert _count(db, "certificates") == 2


def test_a_new_store_rewrites_whole_chats_and_gets_them_right(tmp_path: Path) -> None:
    """Without the last snapshot in memory (a restart), a changed chat is replaced whole."""
    db = tmp_path / "s.db"
    chat = full_chat()
    with Store(db) as store:
        store.refresh(snapshot(chat), now_ms=1)
    changed = dataclasses.replace(chat, wait_list=(cert(4, "w"),), certificates=(cert(1),))
    with Store(db) as store:
        assert store.refresh(snapshot(changed), now_ms=2) == {chat.id}
        assert store.chat(chat.id) == changed
        assert store.chats() == [changed]


def _migrate(db: Path, step: Callable[[Config, str], None], revision: str) -> None:
    """Run one Alembic command (upgrade or downgrade to ``revision``) on ``db``."""
    engine = make_engine(db)
    try:
        with engine.begin() as conn:
            step(alembic_config(conn), revision)
    finally:
        engine.dispose()


def _old_database(db: Path) -> None:
    """A revision-0001 database with two chats, their certificates and an outbox entry."""
    _migrate(db, command.upgrade, "0001")
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(chats)")]
        base = dict.fromkeys(columns)
        base.update(status="wait", chat_type=1, favorites=0, profile_verified=0, unread=0,
                    content_hash="0" * 64, chat_name="old")
        signed = {**base, "id": "a", "key_id": "k", "key_export": b"e", "key_signer_pid": "p1",
                  "key_signer_cid": "c1", "key_signer_cert_pid": "p1",
                  "key_signer_cert_cid": "c1", "key_signer_cert_pem": "PEM one",
                  "key_signer_cert_hash": "h1", "key_sign": b"s"}
        marks = ", ".join("?" * len(columns))
        for row in (signed, {**base, "id": "b"}):
            conn.execute(f"INSERT INTO chats VALUES ({marks})", [row[c] for c in columns])
        conn.executemany("INSERT INTO chat_certificates VALUES (?, ?, ?, ?, ?, ?, ?)", [
            ("a", "member", 0, "p1", "c1", "PEM one", "h1"),
            ("a", "wait", 0, "p2", "c2", "PEM two", "h2"),
            ("b", "member", 0, "p2", "c2", "PEM two", "h2")])
        conn.execute("INSERT INTO outbox VALUES ('a', 'c1', X'00', 5)")


def test_migration_keeps_every_chat_certificate_and_outbox(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _old_database(db)
    one = Certificate("p1", "c1", "PEM one", "h1")
    two = Certificate("p2", "c2", "PEM two", "h2")
    with Store(db) as store:
        chats = {c.id: c for c in store.chats()}
        assert chats["a"].certificates == (one,)
        assert chats["a"].wait_list == (two,)
        assert chats["a"].chat_key == ChatKey("k", b"e", "p1", "c1", one, b"s")
        assert chats["b"].certificates == (two,)
        assert chats["b"].chat_key is None
        assert store.outbox_all() == [OutboxEntry("a", "c1", b"\x00", (), 5)]
        # the old content hashes do not match the new rows: the next refresh rewrites
        assert store.refresh(snapshot(chats["a"], chats["b"]), now_ms=1) == {"a", "b"}
        assert store.chats() == [chats["a"], chats["b"]]
    assert _count(db, "certificates") == 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert not {n for n in names if n.startswith("_old")}


def test_downgrade_puts_the_texts_back_in_the_rows(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    chat = full_chat()
    with Store(db) as store:
        store.refresh(snapshot(chat), now_ms=1)
    _migrate(db, command.downgrade, "0001")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT role, position, pid, cid, pem, hash FROM chat_certificates"
                            " ORDER BY role, position").fetchall()
        signer = conn.execute("SELECT key_signer_cert_pem, key_signer_cert_hash FROM chats"
                              ).fetchone()
    expected = [("member", i, c.pid, c.cid, c.pem, c.hash)
                for i, c in enumerate(chat.certificates)]
    expected += [("wait", i, c.pid, c.cid, c.pem, c.hash) for i, c in enumerate(chat.wait_list)]
    assert rows == expected
    assert chat.chat_key is not None
    assert chat.chat_key.signer_certificate is not None
    assert signer == (chat.chat_key.signer_certificate.pem, chat.chat_key.signer_certificate.hash)
    with Store(db) as store:  # and up again
        assert store.chats() == [chat]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_plain_chats_round_trip_after_many_refreshes(tmp_path: Path, n: int) -> None:
    chats = [plain_chat(f"c{i:02d}", i, certs=n) for i in range(20)]
    with Store(tmp_path / "s.db") as store:
        for step in range(3):
            current = [dataclasses.replace(c, unread=step) if i % 2 else c
                       for i, c in enumerate(chats)]
            store.refresh(snapshot(*current), now_ms=step)
            assert store.chats() == current


def test_a_signer_no_chat_names_any_more_is_forgotten(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first, second = cert(1), cert(2)

    def signed(signer: Certificate) -> Chat:
        return _group("g", (cert(3),), (), ChatKey("k", b"x", signer.pid, signer.cid, signer,
                                                   b"s"))

    with Store(db) as store:
        store.refresh(snapshot(signed(first)), now_ms=1)
        assert _count(db, "certificates") == 2
        store.refresh(snapshot(signed(second)), now_ms=2)  # only the signer changed
        assert store.chat("g") == signed(second)
    assert _count(db, "certificates") == 2
