"""Pending previews: decrypted when a row is shown, once per built view."""

from __future__ import annotations

import dataclasses

from viewfactory import make_view

from komandor_desktop.gui.chatmodel import ChatFilter, ChatListModel, ChatRole
from komandor_desktop.gui.sectionmodel import SectionTreeModel


def _views(n: int = 50) -> list:  # type: ignore[type-arg]
    return [make_view(f"c{i}", f"Contact {i}", last_message_time=1000 + i,
                      pending_message=f"blob{i}".encode()) for i in range(n)]


def test_only_rows_asked_for_are_decrypted_and_kept(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def source(chat_id: str) -> str | None:
        asked.append(chat_id)
        return f"text of {chat_id}"

    model = ChatListModel(previews=source)
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    views = _views()
    model.update(views)
    assert asked == []  # building, filtering and grouping decrypt nothing
    index = tree.index_of("c7")
    shown = index.data(ChatRole.View)
    assert shown.last_message == "text of c7"
    assert shown.pending_message is None
    assert index.data(ChatRole.RawView) == views[7]
    assert tree.view_at(index) is shown
    assert model.view("c7") is shown
    assert asked == ["c7"]
    model.update([dataclasses.replace(v) for v in views])  # equal views of a later sync
    assert tree.index_of("c7").data(ChatRole.View).last_message == "text of c7"
    assert asked == ["c7"]
    changed = [dataclasses.replace(v, pending_message=b"new") if v.id == "c7" else v
               for v in views]
    model.update(changed)
    assert tree.index_of("c7").data(ChatRole.View).last_message == "text of c7"
    assert asked == ["c7", "c7"]  # a changed message is decrypted again
    qtmodeltester.check(tree)


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
