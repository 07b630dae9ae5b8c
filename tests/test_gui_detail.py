"""The profile pane: who wrote the last message, certificates named by owner, phones."""

from __future__ import annotations

import dataclasses

from gui_support import NOW_MS

from komandor_desktop.domain import MessageStatus
from komandor_desktop.gui.delegate import ChatDelegate
from komandor_desktop.gui.demo import demo_views, make_view
from komandor_desktop.views import MessageSide, last_message_side


def _demo(chat_id: str):  # type: ignore[no-untyped-def]
    return next(v for v in demo_views(NOW_MS) if v.id == chat_id)


def test_incoming_last_message_names_the_sender_not_a_status(window) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c1")  # Иванов Иван wrote; 3 unread, status "delivered"
    caption = window.detail.message_caption.text()
    assert "доставлено" not in caption
    assert "от Иванов Иван" in caption
    window.pane.select_chat("fav")  # Favorites: always your own
    assert "прочитано" in window.detail.message_caption.text()


def test_which_side_wrote_the_last_message() -> None:
    assert last_message_side(_demo("fav")) is MessageSide.OWN
    assert last_message_side(_demo("sys")) is MessageSide.INCOMING
    assert last_message_side(_demo("c6")) is MessageSide.INCOMING  # 12 unread
    assert last_message_side(_demo("c3")) is MessageSide.UNKNOWN
    assert last_message_side(make_view("x", "X")) is MessageSide.UNKNOWN  # no message


def test_ticks_only_where_the_message_may_be_yours(qapp) -> None:  # type: ignore[no-untyped-def]
    delegate = ChatDelegate()
    system = dataclasses.replace(_demo("sys"), unread=0, last_message_status=MessageStatus.READ)
    assert not delegate.shows_ticks(system)  # Командор writes to you, never the other way
    assert delegate.shows_ticks(_demo("c3"))
    assert delegate.shows_ticks(_demo("fav"))
