"""Outbox, chat states and meta of the Store, against real SQLite files."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from komandor_desktop.domain import ChatState, KeyExport, OutboxEntry, Reason
from komandor_desktop.errors import StoreError
from komandor_desktop.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store.db") as opened:
        yield opened


def entry(chat_id: str, cids: list[str], created_at: int = 1) -> OutboxEntry:
    return OutboxEntry(
        chat_id=chat_id,
        own_cid="cid-own",
        own_export=b"\x00own-export\xff",
        exports=tuple(
            KeyExport(chat_id=chat_id, cid=cid, pid=f"pid-{cid}", key=b"k\x00" + cid.encode(),
                      sign=b"s\x01" + cid.encode())
            for cid in cids
        ),
        created_at=created_at,
    )


def test_outbox_put_get_keeps_exports_exactly_and_in_order(store: Store) -> None:
    first = entry("chat-1", ["z", "a", "m"])  # deliberately not sorted
    store.outbox_put(first)
    assert store.outbox_get("chat-1") == first
    assert store.outbox_get("chat-2") is None


def test_outbox_entry_without_exports(store: Store) -> None:
    empty = entry("chat-1", [])
    store.outbox_put(empty)
    assert store.outbox_get("chat-1") == empty


def test_outbox_put_replaces_the_whole_entry(store: Store) -> None:
    store.outbox_put(entry("chat-1", ["a", "b", "c"]))
    replacement = dataclasses.replace(entry("chat-1", ["d"], created_at=9), own_cid="cid-new")
    store.outbox_put(replacement)
    assert store.outbox_get("chat-1") == replacement
    assert store.outbox_all() == [replacement]


def test_outbox_all_and_clear(store: Store, tmp_path: Path) -> None:
    two, one = entry("chat-2", ["x"]), entry("chat-1", ["y", "z"])
    store.outbox_put(two)
    store.outbox_put(one)
    assert store.outbox_all() == [one, two]
    store.outbox_clear("chat-1")
    assert store.outbox_all() == [two]
    store.outbox_clear("unknown")
    store.outbox_put(one)
    store.outbox_clear_all()
    assert store.outbox_all() == []
    store.close()
    with Store(tmp_path / "store.db") as reopened:
        assert reopened.outbox_all() == []


def test_outbox_survives_reopen(tmp_path: Path) -> None:
    saved = entry("chat-1", ["b", "a"])
    with Store(tmp_path / "s.db") as store:
        store.outbox_put(saved)
    with Store(tmp_path / "s.db") as store:
        assert store.outbox_all() == [saved]


def test_failed_outbox_put_keeps_the_previous_entry(store: Store) -> None:
    previous = entry("chat-1", ["a", "b"])
    store.outbox_put(previous)
    broken_export = KeyExport(chat_id="chat-1", cid="c", pid="p", key=None, sign=b"s")  # type: ignore[arg-type]
    broken = dataclasses.replace(previous, exports=(previous.exports[0], broken_export))
    with pytest.raises(StoreError):
        store.outbox_put(broken)  # NOT NULL fails after the old entry was deleted
    assert store.outbox_get("chat-1") == previous


def test_outbox_refuses_exports_of_another_chat(store: Store) -> None:
    stray = dataclasses.replace(entry("chat-1", ["a"]), exports=entry("chat-2", ["a"]).exports)
    with pytest.raises(ValueError, match="chat-2"):
        store.outbox_put(stray)
    assert store.outbox_all() == []


def test_states_set_get_and_replace(store: Store) -> None:
    assert store.states() == {}
    a = ChatState("a", Reason.CERTIFICATE_REJECTED, "expired", 10)
    b = ChatState("b", None, None, 11)
    store.set_states([a, b])
    assert store.states() == {"a": a, "b": b}
    a2 = ChatState("a", Reason.KEY_NOT_IMPORTABLE, None, 12)
    store.set_states([a2])
    assert store.states() == {"a": a2, "b": b}
    store.set_states([])
    assert store.states() == {"a": a2, "b": b}


def test_every_reason_round_trips(store: Store) -> None:
    states = [ChatState(f"c-{r.value}", r, f"detail {r.value}", i) for i, r in enumerate(Reason)]
    store.set_states(states)
    assert store.states() == {s.chat_id: s for s in states}


def test_meta(store: Store) -> None:
    assert store.get_meta("k") is None
    store.set_meta("k", "v1")
    store.set_meta("other", "")
    store.set_meta("k", "значение 2")
    assert store.get_meta("k") == "значение 2"
    assert store.get_meta("other") == ""
    assert store.last_refresh_ms() is None
    store.set_meta("last_refresh_ms", "123")
    assert store.last_refresh_ms() == 123
