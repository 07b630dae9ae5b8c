"""The flat chat model, the filter and the section tree (qtmodeltester on the models)."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from viewfactory import make_view

from komandor_desktop.domain import Reason
from komandor_desktop.gui.chatmodel import ChatFilter, ChatListModel, ChatRole
from komandor_desktop.gui.demo import demo_views
from komandor_desktop.gui.sectionmodel import SectionTreeModel

NOW = 1_750_000_000_000


@pytest.fixture
def watch(qtmodeltester, qtlog):  # type: ignore[no-untyped-def]
    """qtmodeltester.check each model, and keep a C++ tester on each for every later signal.

    pytest-qt keeps only the last tester and reports its failures as Qt warnings;
    here every model keeps one, and any "FAIL!" warning fails the test.
    """
    testers: list[QAbstractItemModelTester] = []

    def attach(*models):  # type: ignore[no-untyped-def]
        for m in models:
            qtmodeltester.check(m)
            testers.append(QAbstractItemModelTester(
                m, QAbstractItemModelTester.FailureReportingMode.Warning))

    yield attach
    failures = [r.message for r in qtlog.records if "FAIL!" in r.message]
    assert failures == []


@pytest.fixture
def stack(watch):  # type: ignore[no-untyped-def]
    model = ChatListModel()
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    watch(model, tree)
    model.update(demo_views(NOW))
    return model, chat_filter, tree


def test_models_pass_modeltester_through_updates(watch, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ChatListModel()
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    watch(model, tree)
    views = demo_views(NOW)
    model.update(views)
    model.update(views[5:] + [make_view("x", "Новый", company="ААА", company_id="aaa")])
    chat_filter.set_search("ов")
    chat_filter.set_unread_only(True)
    chat_filter.set_search("")
    model.update([dataclasses.replace(v, unread=v.unread + 1) for v in views])
    model.update([])
    for m in (model, tree):
        qtmodeltester.check(m)
    assert tree.rowCount() == 0


def test_sections_in_ui_order(stack) -> None:  # type: ignore[no-untyped-def]
    _model, _chat_filter, tree = stack
    assert tree.section_keys() == [
        "pinned", "company:c-vector", "company:c-sokolov", "company:c-romashka",
        "groups", "no_company",
    ]
    pinned = tree.section_index("pinned")
    assert [tree.index(r, 0, pinned).data(ChatRole.Id) for r in range(2)] == ["fav", "sys"]
    romashka = tree.section_index("company:c-romashka")
    assert romashka.data() == "ООО «Ромашка»"
    assert romashka.data(ChatRole.SectionCount) == 4
    assert romashka.data(ChatRole.SectionUnread) == 3
    names = [tree.index(r, 0, romashka).data() for r in range(4)]
    assert names == ["Иванов Иван", "Смирнова Мария", "Кузнецов Пётр", "Орлова Анна"]


def test_switched_off_rows_are_selectable_with_tooltip_and_description(stack) -> None:  # type: ignore[no-untyped-def]
    model, _chat_filter, tree = stack
    index = tree.index_of("c2")
    assert index.data(ChatRole.Enabled) is False
    flags = tree.flags(index)
    assert flags & Qt.ItemFlag.ItemIsSelectable
    assert flags & Qt.ItemFlag.ItemIsEnabled
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith(
        "Для сертификата этого устройства ещё нет ключа.")
    desc = index.data(Qt.ItemDataRole.AccessibleDescriptionRole)
    assert desc.startswith("Ждём ключ. Для сертификата")
    on = tree.index_of("c1")
    assert on.data(Qt.ItemDataRole.ToolTipRole) is None
    assert "Счёт на оплату" in on.data(Qt.ItemDataRole.AccessibleDescriptionRole)
    header = tree.section_index("pinned")
    assert not tree.flags(header) & Qt.ItemFlag.ItemIsSelectable
    flat = model.flags(model.index_of("c2"))
    assert flat & Qt.ItemFlag.ItemIsSelectable
    assert flat & Qt.ItemFlag.ItemIsEnabled


def test_update_in_place_signals_and_persistent_selection(stack, qtbot) -> None:  # type: ignore[no-untyped-def]
    model, _chat_filter, tree = stack
    views = model.views()
    selection = QItemSelectionModel(tree)
    selected = tree.index_of("c3")
    selection.setCurrentIndex(selected, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    keep = QPersistentModelIndex(selected)
    changed = [dataclasses.replace(v, unread=7, last_message_time=NOW + 1)
               if v.id == "c3" else v for v in views if v.id != "c4"]
    resets: list[int] = []
    tree.modelReset.connect(lambda: resets.append(1))
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.update(changed)
    assert blocker.args[0].data(ChatRole.Id) == "c3"
    assert resets == []
    assert keep.isValid()
    assert keep.data(ChatRole.Id) == "c3"
    assert keep.row() == 0  # moved to the top of its section, same persistent index
    assert selection.currentIndex().data(ChatRole.Id) == "c3"
    assert selection.isSelected(tree.index_of("c3"))
    assert model.view("c4") is None
    assert not tree.index_of("c4").isValid()


def test_update_moves_chat_between_sections(stack) -> None:  # type: ignore[no-untyped-def]
    model, _chat_filter, tree = stack
    views = [dataclasses.replace(v, section=next(x.section for x in model.views() if x.id == "c6"))
             if v.id == "p2" else v for v in model.views()]
    model.update(views)
    vector = tree.section_index("company:c-vector")
    ids = [tree.index(r, 0, vector).data(ChatRole.Id) for r in range(tree.rowCount(vector))]
    assert "p2" in ids
    assert tree.chat_ids().count("p2") == 1


def test_update_rejects_duplicate_ids() -> None:
    view = make_view("a", "A")
    with pytest.raises(ValueError, match="duplicate"):
        ChatListModel().update([view, view])


def test_search_matches_name_company_title_phone(stack) -> None:  # type: ignore[no-untyped-def]
    _model, chat_filter, tree = stack
    chat_filter.set_search("ИВАНОВ")
    assert tree.chat_ids() == ["c1"]
    chat_filter.set_search("вектор")
    assert sorted(tree.chat_ids()) == ["c5", "c6"]
    chat_filter.set_search("юрист")
    assert tree.chat_ids() == ["c2"]
    chat_filter.set_search("+7 (916) 123")
    assert tree.chat_ids() == ["c1"]
    chat_filter.set_search("8 916 123-45")
    assert tree.chat_ids() == ["c1"]
    chat_filter.set_search("нет такого")
    assert tree.chat_ids() == []
    assert tree.section_keys() == []


def test_unread_filter_and_section_sums(stack) -> None:  # type: ignore[no-untyped-def]
    _model, chat_filter, tree = stack
    chat_filter.set_unread_only(True)
    assert set(tree.chat_ids()) == {"sys", "c1", "c6", "g1", "p6"}
    assert tree.section_index("company:c-sokolov") == QModelIndex()
    chat_filter.set_search("лебедева")
    assert tree.chat_ids() == ["c6"]
    assert tree.section_index("company:c-vector").data(ChatRole.SectionCount) == 1
    chat_filter.set_unread_only(False)
    chat_filter.set_search("")
    assert len(tree.chat_ids()) == 20


def test_reason_change_updates_row(stack) -> None:  # type: ignore[no-untyped-def]
    model, _chat_filter, tree = stack
    fixed = make_view("c2", "Смирнова Мария", company="ООО «Ромашка»", company_id="c-romashka",
                      last_message="Готово", last_message_time=NOW)
    model.update([fixed if v.id == "c2" else v for v in model.views()])
    index = tree.index_of("c2")
    assert index.data(ChatRole.Enabled) is True
    broken = make_view("c2", "Смирнова Мария", company="ООО «Ромашка»",
                       company_id="c-romashka", reason=Reason.KEY_NOT_IMPORTABLE)
    model.update([broken if v.id == "c2" else v for v in model.views()])
    assert tree.index_of("c2").data(ChatRole.ReasonText) == "Ключ не расшифровывается"
