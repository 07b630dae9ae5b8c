"""Phones read as a Russian user writes them wherever they stand for a name."""

from __future__ import annotations

from gui_support import NOW_MS
from viewfactory import make_view

from komandor_desktop.domain import Reason
from komandor_desktop.views import name_for


def test_a_contact_without_a_name_is_shown_by_its_formatted_phone() -> None:
    # the server names a placeholder profile by the number itself
    assert name_for(False, False, None, False, "79161234567", "79161234567", "x") == (
        "+7 916 123-45-67")
    assert name_for(False, False, None, False, None, "79161234567", "x") == "+7 916 123-45-67"
    assert name_for(False, False, None, False, "Иванов", "79161234567", "x") == "Иванов"
    assert name_for(False, False, None, False, None, None, "chat-1") == "chat-1"


def test_window_lists_and_searches_the_formatted_phone(window) -> None:  # type: ignore[no-untyped-def]
    name = name_for(False, False, None, False, "79035550102", "79035550102", "n1")
    view = make_view("n1", name, phone="79035550102", reason=Reason.CONTACT_NOT_REGISTERED,
                     last_message_time=NOW_MS)
    window.set_views([view])
    assert window.pane.select_chat("n1")
    assert window.detail.name.text() == "+7 903 555-01-02"
    assert window.detail.phone.text() == "+7 903 555-01-02"
    window.pane.search.setText("903 555-01")
    assert window.pane.tree_model.chat_ids() == ["n1"]
