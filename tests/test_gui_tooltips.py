"""Tooltips wrap at about 60 characters instead of running across the screen."""

from __future__ import annotations

from gui_support import NOW_MS
from PySide6.QtCore import Qt
from viewfactory import make_view

from komandor_desktop.domain import Reason
from komandor_desktop.gui.chatmodel import ChatListModel
from komandor_desktop.gui.demo import demo_views
from komandor_desktop.texts import wrap_tooltip


def test_row_tooltips_are_wrapped() -> None:
    model = ChatListModel(demo_views(NOW_MS))
    view = model.view("c2")
    assert view is not None
    assert len(view.tooltip) > 80  # one long sentence as texts.py has it (and the CLI prints)
    tip = model.index_of("c2").data(Qt.ItemDataRole.ToolTipRole)
    lines = tip.split("\n")
    assert len(lines) >= 2
    assert all(len(line) <= 60 for line in lines)
    assert " ".join(lines) == view.tooltip


def test_wrap_keeps_short_text_and_long_words() -> None:
    assert wrap_tooltip("Коротко.") == "Коротко."
    word = "x" * 90
    assert wrap_tooltip(f"a {word} b") == f"a\n{word}\nb"
    assert wrap_tooltip("") == ""


def test_offline_tooltip_in_the_status_bar_is_wrapped(window) -> None:  # type: ignore[no-untyped-def]
    message = "connection refused by 127.0.0.1:8765 " * 4
    window.status.show_offline(message, 3)
    assert max(len(line) for line in window.status.label.toolTip().split("\n")) <= 60
    long = make_view("z", "Z", reason=Reason.REGISTRATION_REFUSED, message=message)
    assert len(ChatListModel([long]).index_of("z").data(Qt.ItemDataRole.ToolTipRole)
               .split("\n")) > 1
