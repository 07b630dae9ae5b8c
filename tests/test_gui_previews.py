"""Pending previews: decrypted when a row is shown, once per built view."""

from __future__ import annotations

import dataclasses
import threading

from viewfactory import make_view

from komandor_desktop.gui.chatmodel import ChatFilter, ChatListModel, ChatRole
from komandor_desktop.gui.sectionmodel import SectionTreeModel


def _views(n: int = 50) -> list:  # type: ignore[type-arg]
    return [make_view(f"c{i}", f"Contact {i}", last_message_time=1000 + i,
                      pending_message=f"blob{i}".encode()) for i in range(n)]


def test_only_rows_asked_for_are_decrypted_off_the_gui_thread_and_kept(
        qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    asked: list[tuple[str, bool]] = []  # (chat id, asked on the GUI thread)

    def source(chat_id: str) -> str | None:
        asked.append((chat_id, threading.current_thread() is threading.main_thread()))
        return f"text of {chat_id}"

    model = ChatListModel(previews=source)
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    views = _views()
    model.update(views)
    assert asked == []  # building, filtering and grouping decrypt nothing
    index = tree.index_of("c7")
    first = index.data(ChatRole.View)
    assert first.last_message is None  # painting asks, and does not wait
    assert first.pending_message is not None
    assert asked == []
    with qtbot.waitSignal(tree.dataChanged, timeout=5_000) as repaint:
        pass
    assert repaint.args[0] == index  # just that row is repainted
    assert asked == [("c7", False)]  # decrypted in the background thread
    shown = index.data(ChatRole.View)
    assert shown.last_message == "text of c7"
    assert shown.pending_message is None
    assert index.data(ChatRole.RawView) == views[7]
    assert tree.view_at(index) is shown
    assert model.view("c7") is shown
    model.update([dataclasses.replace(v) for v in views])  # equal views of a later sync
    assert tree.index_of("c7").data(ChatRole.View).last_message == "text of c7"
    assert len(asked) == 1
    changed = [dataclasses.replace(v, pending_message=b"new") if v.id == "c7" else v
               for v in views]
    model.update(changed)
    assert model.view("c7").last_message == "text of c7"  # the profile pane: decrypted now
    assert asked[1] == ("c7", True)  # a changed message is decrypted again
    qtmodeltester.check(tree)
    model.previews.close()


def test_a_full_paint_of_many_rows_decrypts_nothing_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    from komandor_desktop.gui.chatlist import ChatListPane

    on_gui: list[str] = []
    off_gui: list[str] = []

    def source(chat_id: str) -> str | None:
        (on_gui if threading.current_thread() is threading.main_thread() else off_gui).append(
            chat_id)
        return f"text of {chat_id}"

    model = ChatListModel(previews=source)
    pane = ChatListPane(model)  # the window's list: its tree, delegate and section model
    qtbot.addWidget(pane)
    model.update(_views(2_000))
    pane.resize(400, 900)
    pane.show()
    qtbot.waitExposed(pane)
    pane.tree.viewport().repaint()
    assert on_gui == []  # no preview decrypted while painting
    qtbot.waitUntil(lambda: len(off_gui) > 0, timeout=5_000)
    assert len(off_gui) < 200  # only rows that were painted, not 2,000
    model.previews.close()


def test_without_a_source_views_show_as_built() -> None:
    model = ChatListModel(_views(3))
    assert model.view("c1") == _views(3)[1]
    assert model.index_of("c1").data(ChatRole.View).pending_message == b"blob1"


def test_a_failing_source_shows_no_preview() -> None:
    def broken(_chat_id: str) -> str | None:
        raise RuntimeError("store closed")

    model = ChatListModel(_views(2), previews=broken)
    view = model.view("c0")
    assert view is not None
    assert view.last_message is None
    assert view.pending_message is None
