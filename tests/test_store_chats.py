"""Store.refresh / chats / chat / raw_json against real SQLite files."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from test_store_support import (
    cert,
    full_chat,
    plain_chat,
    snapshot,
    write_counter,
    writes,
)

from komandor_desktop.domain import (
    Chat,
    ChatError,
    ChatKey,
    ChatState,
    ChatStatus,
    Reason,
)
from komandor_desktop.store import Store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with Store(db) as opened:
        yield opened


def test_every_field_round_trips_and_survives_reopen(db: Path) -> None:
    unsigned = plain_chat("chat-unsigned", 5)
    minimal = Chat(id="chat-minimal", status=ChatStatus.NEW)
    signer_without_cert = dataclasses.replace(
        plain_chat("chat-signer", 6),
        chat_key=ChatKey(id="k", key=b"\x00", signer_pid="p", signer_cid="c", sign=b"s"),
    )
    chats = [full_chat(), unsigned, minimal, signer_without_cert]
    with Store(db) as store:
        assert store.refresh(snapshot(*chats), now_ms=1000) == {c.id for c in chats}
        assert store.chats() == sorted(chats, key=lambda c: c.id)
        for chat in chats:
            assert store.chat(chat.id) == chat
        assert store.chat("missing") is None
    with Store(db) as store:
        assert store.chats() == sorted(chats, key=lambda c: c.id)
        loaded = store.chat("chat-minimal")
        assert loaded is not None
        assert loaded.profile_photo is None
        assert loaded.profile_type is None
        assert loaded.chat_key is None


def test_identical_refresh_writes_nothing(store: Store, db: Path) -> None:
    chats = [full_chat(), plain_chat("a", 1), plain_chat("b", 2)]
    store.refresh(snapshot(*chats), now_ms=1)
    with write_counter(db) as conn:
        assert store.refresh(snapshot(*chats), now_ms=2) == set()
        assert writes(conn) == []
    assert store.last_refresh_ms() == 2


def test_changed_chat_is_rewritten_with_its_certificates(store: Store, db: Path) -> None:
    a, b = plain_chat("a", 1, certs=3), plain_chat("b", 2)
    store.refresh(snapshot(a, b), now_ms=1)
    a2 = dataclasses.replace(a, certificates=(cert(99),), unread=7, status=ChatStatus.WAIT)
    with write_counter(db) as conn:
        assert store.refresh(snapshot(a2, b), now_ms=2) == {"a"}
        touched = set(writes(conn))
    assert store.chats() == [a2, b]
    assert "chats" in touched
    with sqlite3.connect(db) as conn:
        query = "SELECT count(*) FROM chat_certificates WHERE chat_id = ?"
        assert conn.execute(query, ("a",)).fetchone() == (1,)


def test_only_the_wait_list_changing_counts(store: Store) -> None:
    chat = full_chat()
    store.refresh(snapshot(chat), now_ms=1)
    moved = dataclasses.replace(chat, wait_list=chat.wait_list[::-1])
    assert store.refresh(snapshot(moved), now_ms=2) == {chat.id}
    assert store.chat(chat.id) == moved


def test_absent_chats_are_deleted_with_certificates_raw_and_state(store: Store, db: Path) -> None:
    a, b = plain_chat("a", 1), plain_chat("b", 2)
    store.refresh(snapshot(a, b), now_ms=1)
    store.set_states([ChatState("b", Reason.KEY_MISSING, None, 1)])
    assert store.refresh(snapshot(a), now_ms=2) == {"b"}
    assert store.chats() == [a]
    assert store.raw_json("b") is None
    assert "b" not in store.states()
    with sqlite3.connect(db) as conn:
        query = "SELECT count(*) FROM chat_certificates WHERE chat_id = ?"
        assert conn.execute(query, ("b",)).fetchone() == (0,)
    assert store.refresh(snapshot(), now_ms=3) == {"a"}
    assert store.chats() == []


def test_error_chat_keeps_stored_copy_and_gets_a_state(store: Store) -> None:
    a, b = plain_chat("a", 1), plain_chat("b", 2)
    store.refresh(snapshot(a, b), now_ms=1)
    bad_raw = {"a": '{"id": "a"}', "b": '{"id": "b", "status": "new", "chatKey": {}}'}
    error = ChatError(chat_id="b", index=1, message="new chat with a chatKey")
    assert store.refresh(snapshot(a, raw=bad_raw, errors=[error]), now_ms=5) == {"b"}
    assert store.chats() == [a, b]
    assert store.states()["b"] == ChatState("b", Reason.INVALID_CHAT, "new chat with a chatKey", 5)
    assert store.raw_json("b") == bad_raw["b"]
    # the same broken response again: nothing changes, the state keeps its time
    assert store.refresh(snapshot(a, raw=bad_raw, errors=[error]), now_ms=6) == set()
    assert store.states()["b"].updated_at == 5
    # valid again: the mark goes
    b2 = dataclasses.replace(b, unread=9)
    assert store.refresh(snapshot(a, b2), now_ms=7) == {"b"}
    assert "b" not in store.states()
    assert store.chat("b") == b2


def test_valid_again_unchanged_chat_drops_its_mark(store: Store) -> None:
    a = plain_chat("a", 1)
    store.refresh(snapshot(a), now_ms=1)
    store.refresh(snapshot(errors=[ChatError("a", 0, "bad id")], raw={}), now_ms=2)
    assert store.chats() == [a]
    assert store.refresh(snapshot(a), now_ms=3) == {"a"}
    assert store.states() == {}


def test_error_chat_never_stored_and_errors_without_id(store: Store) -> None:
    errors = [ChatError("x", 0, "broken"), ChatError(None, 1, "no id at all")]
    changed = store.refresh(snapshot(raw={"x": "{}"}, errors=errors), now_ms=1)
    assert changed == {"x"}
    assert store.chats() == []
    assert store.states() == {"x": ChatState("x", Reason.INVALID_CHAT, "broken", 1)}
    assert store.raw_json("x") == "{}"
    # it disappears from the server: its state and raw JSON go too
    store.refresh(snapshot(), now_ms=2)
    assert store.states() == {}
    assert store.raw_json("x") is None


def test_other_states_survive_a_refresh(store: Store) -> None:
    a = plain_chat("a", 1)
    store.refresh(snapshot(a), now_ms=1)
    state = ChatState("a", Reason.WAITING_FOR_KEY, "cid-1", 1)
    store.set_states([state])
    store.refresh(snapshot(dataclasses.replace(a, unread=3)), now_ms=2)
    assert store.states() == {"a": state}


def test_raw_json_is_updated(store: Store) -> None:
    a = plain_chat("a", 1)
    store.refresh(snapshot(a, raw={"a": "one"}), now_ms=1)
    assert store.refresh(snapshot(a, raw={"a": "two"}), now_ms=2) == set()
    assert store.raw_json("a") == "two"
    assert store.last_refresh_ms() == 2


def test_chats_loads_in_two_queries(store: Store) -> None:
    chats = [plain_chat(f"c{i:03d}", i) for i in range(50)]
    store.refresh(snapshot(*chats), now_ms=1)
    selects: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        assert store.chats() == chats
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(selects) == 2


def test_ten_thousand_chats(store: Store) -> None:
    chats = [plain_chat(f"chat-{i:05d}", i) for i in range(10_000)]
    assert len(store.refresh(snapshot(*chats), now_ms=1)) == 10_000
    assert store.chats() == chats
    changed = {i: dataclasses.replace(chats[i], unread=1000) for i in range(0, 10_000, 100)}
    second = [changed.get(i, chat) for i, chat in enumerate(chats)]
    del second[5]  # one chat gone
    expected = {chats[i].id for i in changed} | {chats[5].id}
    assert store.refresh(snapshot(*second), now_ms=2) == expected
    assert store.chats() == second
    assert store.refresh(snapshot(*second), now_ms=3) == set()
