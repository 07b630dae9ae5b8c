"""The window's reads (store/listing.py) agree with the full chats and the eager views."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from test_store_support import cert, full_chat, plain_chat, snapshot

from komandor_desktop.domain import Chat, ChatState, ChatStatus, Identity, Reason
from komandor_desktop.session import list_chats
from komandor_desktop.store import Store
from komandor_desktop.store.listing import read_summary
from komandor_desktop.sync import build_views, explain

ME = Identity("http://127.0.0.1", "79990000001", "me", "cid-me", "PEM", None)


def _chats() -> list[Chat]:
    waiting_for_me = dataclasses.replace(plain_chat("chat-wait-me", 3), status=ChatStatus.WAIT,
                                         wait_list=(dataclasses.replace(cert(9), cid="cid-me"),))
    return [
        full_chat(), plain_chat("chat-plain", 1), waiting_for_me,
        Chat(id="chat-new-alone", status=ChatStatus.NEW),
        dataclasses.replace(plain_chat("chat-new", 2), status=ChatStatus.NEW, chat_key=None),
        dataclasses.replace(plain_chat("chat-keyless", 4), chat_key=None),
    ]


def test_summaries_carry_what_the_list_needs(tmp_path: Path) -> None:
    chats = _chats()
    with Store(tmp_path / "s.db") as store:
        store.refresh(snapshot(*chats), now_ms=1)
        full = store.chats()
        summaries = [read_summary(store, c.id) for c in full]
    assert [s.id for s in summaries] == [c.id for c in full] == sorted(c.id for c in chats)
    for summary, chat in zip(summaries, full, strict=True):
        assert summary.has_members == bool(chat.certificates)
        assert summary.wait_cids == tuple(c.cid for c in chat.wait_list)
        assert summary.key_id == (chat.chat_key.id if chat.chat_key else None)
        for name in ("status", "chat_type", "favorites", "profile_name", "profile_company",
                     "profile_company_id", "profile_title", "profile_phone", "profile_photo",
                     "profile_type", "profile_verified", "chat_name", "last_message_text",
                     "last_message_status", "last_message_time", "unread", "is_system"):
            assert getattr(summary, name) == getattr(chat, name), name


@pytest.mark.parametrize("reason", [None, Reason.KEY_NOT_IMPORTABLE, Reason.INVALID_CHAT,
                                    Reason.CERTIFICATE_REJECTED])
def test_summaries_explain_and_view_like_full_chats(tmp_path: Path,
                                                     reason: Reason | None) -> None:
    chats = _chats()
    with Store(tmp_path / "s.db") as store:
        store.refresh(snapshot(*chats), now_ms=1)
        full = store.chats()
        summaries = [read_summary(store, c.id) for c in full]
    states = {c.id: ChatState(c.id, reason, "cid-x:expired") for c in chats}
    for summary, chat in zip(summaries, full, strict=True):
        state = states[chat.id]
        assert explain(summary, state, identity=ME) == explain(chat, state, identity=ME)
    light = build_views(summaries, states, identity=ME)
    eager = build_views(full, states, identity=ME, decrypt=lambda c: f"plain {c.id}")
    assert [v.id for v in light] == [v.id for v in eager]
    for lv, ev in zip(light, eager, strict=True):
        # the light views differ only by the preview, left pending when there is one
        expected = ev.last_message and next(c for c in full if c.id == ev.id).last_message_text
        assert lv.pending_message == (expected or None)
        assert dataclasses.replace(lv, pending_message=None, last_message=ev.last_message) == ev


def test_window_listing_equals_the_eager_views(tmp_path: Path) -> None:
    """list_chats (the window's path) gives build_views' order and views."""
    chats = _chats()
    states = {"chat-plain": ChatState("chat-plain", Reason.KEY_NOT_IMPORTABLE, "bad key")}
    with Store(tmp_path / "s.db") as store:
        store.refresh(snapshot(*chats), now_ms=1)
        store.set_states(states.values())
        listing = list_chats(store, ME)
        summaries = [read_summary(store, c.id) for c in store.chats()]
        assert read_summary(store, "no-such-chat") is None
        eager = build_views(summaries, store.states(), identity=ME)
        assert [e.id for e in listing.entries] == [v.id for v in eager]
        assert list(listing) == eager
        for entry, view in zip(listing.entries, eager, strict=True):
            assert (entry.section, entry.name, entry.unread) == (view.section, view.name,
                                                                 view.unread)
        # a stored change shows in the entry's source; an unchanged chat keeps an equal entry
        before = {e.id: e for e in listing.entries}
        store.set_states([ChatState("chat-new", Reason.CERTIFICATE_REJECTED, "cid-x:expired")])
        again = list_chats(store, ME)
        changed = {e.id for e in again.entries if e != before[e.id]}
        assert changed == {"chat-new"}
        # a stored change of the chat itself changes its content hash, hence its entry
        keyless = next(c for c in chats if c.id == "chat-keyless")
        store.refresh(snapshot(*[dataclasses.replace(c, last_message_status=2)
                                 if c is keyless else c for c in chats]), now_ms=2)
        third = list_chats(store, ME)
        previous = {e.id: e for e in again.entries}
        assert {e.id for e in third.entries if e != previous[e.id]} == {"chat-keyless"}
