"""Keyboard and screen readers: Tab order, arrows over headers, the shortcut list, names."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QHeaderView,
    QLineEdit,
    QMenu,
    QWidget,
)

from komandor_desktop.gui.mainwindow import MainWindow


def _tab_chain(window: MainWindow, qtbot) -> list[QWidget]:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.pane.search.setFocus()
    chain: list[QWidget] = []
    for _ in range(20):
        focus = QApplication.focusWidget()
        assert focus is not None
        if focus in chain:
            break
        chain.append(focus)
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    return chain


def test_tab_reaches_toolbar_buttons_and_both_chips(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    chain = _tab_chain(window, qtbot)
    pane, bar = window.pane, window.toolbar
    for widget in (pane.search, pane.all_button, pane.unread_button, pane.tree,
                   bar.widgetForAction(window.sync_action), bar.widgetForAction(window.add_action),
                   window.menu_button):
        assert widget in chain, widget
    # the chips still behave as one choice
    qtbot.mouseClick(pane.unread_button, Qt.MouseButton.LeftButton)
    assert pane.unread_button.isChecked()
    assert not pane.all_button.isChecked()
    assert pane.filter.unread_only
    qtbot.mouseClick(pane.unread_button, Qt.MouseButton.LeftButton)  # a second click keeps it
    assert pane.unread_button.isChecked()
    qtbot.keyClick(pane.all_button, Qt.Key.Key_Space)
    assert pane.all_button.isChecked()
    assert not pane.unread_button.isChecked()
    assert not pane.filter.unread_only


def test_arrows_skip_section_headers(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane, tree = window.pane, window.pane.tree
    tree.setFocus()
    ids = pane.tree_model.chat_ids()
    pane.select_chat(ids[0])
    visited = [ids[0]]
    for _ in ids[1:]:
        qtbot.keyClick(tree, Qt.Key.Key_Down)
        current = pane.current_chat()
        assert current is not None, "the cursor stopped on a header"
        visited.append(current.id)
    assert visited == ids
    qtbot.keyClick(tree, Qt.Key.Key_Down)  # the last chat stays current
    assert pane.current_chat().id == ids[-1]
    for _ in ids[1:]:
        qtbot.keyClick(tree, Qt.Key.Key_Up)
        assert pane.current_chat() is not None
    assert pane.current_chat().id == ids[0]
    qtbot.keyClick(tree, Qt.Key.Key_End)
    assert pane.current_chat().id == ids[-1]
    qtbot.keyClick(tree, Qt.Key.Key_Home)
    assert pane.current_chat().id == ids[0]


def test_f1_and_the_help_menu_list_every_shortcut(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert window.help_action.shortcut().toString() == "F1"
    assert window.help_action in window.menu.actions()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    assert dialog is not None
    assert dialog.isVisible()
    listed = dialog.rows()
    keys = {key for key, _ in listed}
    for action in (window.sync_action, window.add_action, window.inspect_action,
                   window.find_action, window.quit_action, window.help_action):
        assert action.shortcut().toString() in keys
    assert ("F5", "Синхронизировать") in listed
    assert all(what for _, what in listed)
    dialog.close()


def test_shortcut_list_in_english(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.lang_en.trigger()
    qtbot.waitUntil(lambda: window.windowTitle().startswith("Komandor"))
    dialog = window.open_shortcuts()
    assert ("F5", "Sync now") in dialog.rows()
    assert dialog.windowTitle() == "Keyboard shortcuts"
    window.lang_ru.trigger()
    qtbot.waitUntil(lambda: dialog.windowTitle() == "Сочетания клавиш")


def unnamed_interactive(root: QWidget) -> list[QWidget]:
    kinds = (QAbstractButton, QLineEdit, QAbstractItemView, QAbstractScrollArea, QMenu)
    widgets = [w for kind in kinds for w in root.findChildren(kind)]
    assert len(widgets) > 10
    # a hidden header view (the chat tree's) is never shown, so never reached
    return [w for w in widgets if not w.accessibleName()
            and not (isinstance(w, QHeaderView) and w.isHidden())]


def test_every_interactive_widget_has_an_accessible_name(window) -> None:  # type: ignore[no-untyped-def]
    assert unnamed_interactive(window) == []
    window.resize(360, 640)  # the overflow button and narrow layout too
    QApplication.processEvents()
    assert unnamed_interactive(window) == []
