"""Search reads the last message too, and an empty result says so."""

from __future__ import annotations

import dataclasses

from gui_support import NOW_MS
from viewfactory import make_view

from komandor_desktop.gui.chatmodel import ChatFilter, ChatListModel
from komandor_desktop.gui.demo import demo_views
from komandor_desktop.gui.sectionmodel import SectionTreeModel


def test_search_matches_the_shown_last_message(qtmodeltester) -> None:
    model = ChatListModel(demo_views(NOW_MS))
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    qtmodeltester.check(tree)
    chat_filter.set_search("ПОСТАВКА")  # "Когда поставка?" of Лебедева Ольга
    assert tree.chat_ids() == ["c6"]


def test_search_matches_previews_decrypted_on_demand() -> None:
    texts = {"a": "Счёт на оплату", "b": "Привет"}
    pending = [dataclasses.replace(make_view(cid, f"Контакт {cid}"), pending_message=b"x")
               for cid in texts]
    model = ChatListModel(pending, previews=texts.get)
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    chat_filter.set_search("оплат")
    assert tree.chat_ids() == []  # nothing decrypted yet: the search decrypts nothing
    chat_filter.set_search("")
    assert model.view("a").last_message == "Счёт на оплату"
    chat_filter.set_search("оплат")
    assert tree.chat_ids() == ["a"]


def test_nothing_found_is_shown_in_the_list_area(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = window.pane
    assert not pane.empty_label.isVisible()
    pane.search.setText("нет такого чата")
    assert pane.tree_model.chat_ids() == []
    assert pane.empty_label.isVisible()
    assert pane.empty_label.text() == "Ничего не найдено"
    pane.search.clear()
    assert not pane.empty_label.isVisible()


def test_detail_pane_clears_when_the_filter_hides_its_chat(window) -> None:  # type: ignore[no-untyped-def]
    pane = window.pane
    assert pane.select_chat("c3")  # Кузнецов Пётр: no unread messages
    assert window.detail.view.id == "c3"
    pane.set_unread_only(True)
    assert "c3" not in pane.tree_model.chat_ids()
    assert window.detail.view is None
    assert window.detail.placeholder.isVisible()
    assert pane.current_chat() is None
    pane.set_unread_only(False)  # the chat comes back, the selection with it
    assert pane.current_chat().id == "c3"
    assert window.detail.view.id == "c3"
    pane.search.setText("Кузнецов")
    assert window.detail.view.id == "c3"  # still shown: no change


def test_detail_pane_clears_when_the_search_hides_every_chat(window) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c2")
    window.pane.search.setText("нет такого чата")
    assert window.detail.view is None
    window.pane.search.clear()
    assert window.detail.view.id == "c2"
