"""The main window: layout words, selection across syncs, keyboard, settings, status, screenshot."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from gui_support import NOW, NOW_MS
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from komandor_desktop.gui.demo import demo_views
from komandor_desktop.gui.mainwindow import MainWindow


def test_title_toolbar_and_filters_in_russian(window) -> None:  # type: ignore[no-untyped-def]
    assert window.windowTitle() == "Командор — Иван Петров"
    assert window.sync_action.text() == "Синхронизировать (F5)"
    assert window.sync_action.shortcut().toString() == "F5"
    assert window.add_action.text() == "Добавить контакты…"
    assert window.pane.all_button.text() == "Все"
    assert window.pane.unread_button.text() == "Непрочитанные"
    assert window.pane.search.placeholderText() == "Поиск (Ctrl+F)"
    assert window.find_action.shortcut().toString() == "Ctrl+F"


def test_language_switch_retranslates_everything(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c1")
    window.status.show_progress(3, 7)
    with qtbot.waitSignal(window.languageChosen):
        window.lang_en.trigger()
    qtbot.waitUntil(lambda: window.windowTitle() == "Komandor — Иван Петров")  # LanguageChange
    assert window.pane.unread_button.text() == "Unread"
    assert window.status.label.text() == "Syncing keys: 3 of 7…"
    assert window.detail.badges.text() == "Individual · ✔ Verified profile"
    assert window.delegate_time("c3") == "yesterday"
    window.lang_ru.trigger()
    qtbot.waitUntil(lambda: window.status.label.text() == "Синхронизация ключей: 3 из 7…")
    assert window.delegate_time("c3") == "вчера"


def test_selection_survives_sync_and_detail_follows(window) -> None:  # type: ignore[no-untyped-def]
    assert window.pane.select_chat("c2")
    assert window.detail.view.id == "c2"
    assert window.detail.state_card.isVisible()
    assert window.detail.state_title.text() == "Ждём ключ"
    scroll = window.pane.tree.verticalScrollBar().value()
    views = [dataclasses.replace(v, unread=v.unread + 1) if v.id != "c2" else
             dataclasses.replace(v, last_message_time=NOW_MS) for v in demo_views(NOW_MS)
             if v.id != "p7"]
    window.set_views(views)
    assert window.pane.current_chat().id == "c2"
    assert window.detail.view.last_message_time == NOW_MS
    assert window.pane.tree.selectionModel().isSelected(window.pane.tree.currentIndex())
    assert window.pane.tree.verticalScrollBar().value() == scroll


def test_activation_only_for_switched_on_chats(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    opened: list[str] = []
    window.chatOpened.connect(opened.append)
    tree = window.pane.tree
    tree.setFocus()
    window.pane.select_chat("c2")
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    window.pane.select_chat("c1")
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert opened == ["c1"]
    # neither F2 nor a double click turns a row into a text field
    qtbot.keyClick(tree, Qt.Key.Key_F2)
    assert tree.state() != QAbstractItemView.State.EditingState
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton,
                      pos=tree.visualRect(tree.currentIndex()).center())
    assert tree.state() != QAbstractItemView.State.EditingState


def test_keyboard_navigation_and_folding(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.find_action.trigger()
    assert window.pane.search.hasFocus()
    qtbot.keyClicks(window.pane.search, "+7 916 12")  # QTest types ASCII only
    assert window.pane.tree_model.chat_ids() == ["c1"]
    window.pane.search.setText("ромаш")
    assert window.pane.tree_model.section_keys() == ["company:c-romashka"]
    qtbot.keyClick(window.pane.search, Qt.Key.Key_Down)
    tree = window.pane.tree
    assert tree.hasFocus()
    assert window.pane.current_chat().id == "c1"
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    assert window.pane.current_chat().id == "c2"
    qtbot.keyClick(window.pane.search, Qt.Key.Key_Escape)
    assert window.pane.search.text() == ""
    header = window.pane.tree_model.section_index("groups")
    tree.setCurrentIndex(header)
    qtbot.keyClick(tree, Qt.Key.Key_Space)
    assert not tree.isExpanded(header)
    assert window.pane.collapsed_sections() == ["groups"]
    qtbot.keyClick(tree, Qt.Key.Key_Space)
    assert tree.isExpanded(header)


def test_settings_keep_geometry_and_folded_sections(window, qtbot, languages, settings) -> None:  # type: ignore[no-untyped-def]
    pinned = window.pane.tree_model.section_index("company:c-vector")
    window.pane.tree.collapse(pinned)
    window.resize(720, 500)  # the offscreen screen is 800x600
    window.close()
    assert settings.value("list/collapsed") == "company:c-vector" or settings.value(
        "list/collapsed") == ["company:c-vector"]
    again = MainWindow(settings=settings, languages=languages)
    qtbot.addWidget(again)
    again.set_views(demo_views(NOW_MS))
    assert (again.size().width(), again.size().height()) == (720, 500)
    tree = again.pane.tree
    model = again.pane.tree_model
    assert not tree.isExpanded(model.section_index("company:c-vector"))
    assert tree.isExpanded(model.section_index("pinned"))


def test_bridge_signals_drive_status_bar(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = window.bridge
    bridge.progress.emit(2, 9)
    assert window.status.label.text() == "Синхронизация ключей: 2 из 9…"
    assert window.status.progress.isVisibleTo(window)
    assert window.status.progress.value() == 2
    bridge.syncFinished.emit(NOW_MS)
    expected = datetime.fromtimestamp(NOW_MS / 1000).astimezone().strftime("%H:%M")
    assert window.status.label.text() == f"Ключи синхронизированы · {expected}"
    assert not window.status.progress.isVisibleTo(window)
    bridge.offline.emit("connection refused", 3)
    assert window.status.label.text() == "Нет связи с сервером. Повтор через 3 с."
    assert window.status.retry.isVisibleTo(window)
    assert window.status.retry.text() == "Повторить"
    qtbot.waitUntil(lambda: window.status.seconds_left == 2, timeout=2500)
    with qtbot.waitSignal(window.signInRequested):
        bridge.signedOut.emit()
    assert window.status.label.text() == "Сессия истекла — войдите снова."
    unread: list[int] = []
    window.unreadChanged.connect(unread.append)
    first = demo_views(NOW_MS)[:3]  # Favorites (0), Командор (2), Лебедева (12)
    bridge.viewsChanged.emit(first)
    assert window.model.rowCount() == 3
    assert unread == [14]


def test_inspector_opens_for_switched_off_chat(window) -> None:  # type: ignore[no-untyped-def]
    inspector = window.open_inspector("c5")
    assert inspector is not None
    assert inspector.isVisible()
    assert window.pane.current_chat().id == "c5"
    assert inspector.data["reason"] == "certificate_rejected"
    assert inspector.data["certificates"][1]["check"] == "срок действия истёк"
    assert "Сертификат не прошёл проверку" in window.detail.state_title.text()


def test_add_contacts_dialog_from_toolbar(window) -> None:  # type: ignore[no-untyped-def]
    window.add_action.trigger()
    dialog = window.add_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.phones.setPlainText("12")
    assert dialog.submit() is False
    assert dialog.isVisible()
    dialog.reject()


def test_screenshot(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c1")
    window.pane.tree.scrollToTop()
    window.status.show_progress(3, 7)
    QApplication.processEvents()
    image = window.grab().toImage()
    assert image.width() >= 1000
    assert not image.isNull()
    row = window.pane.tree.visualRect(window.pane.tree_model.index_of("c1"))
    assert row.height() == 64
    assert image.save("/tmp/komandor-gui.png")
    y = window.pane.tree.mapTo(window, row.center()).y()
    colors = {image.pixel(x, y) for x in range(0, 370, 5)}
    assert len(colors) > 3  # avatar, text and the selection were painted


def test_ctrl_q_closes_the_window_on_every_platform(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    # StandardKey.Quit is empty on Windows and offscreen: Ctrl+Q did nothing there
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    with qtbot.waitSignal(window.closed, timeout=5_000):
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Q,
                       Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_profile_settings_are_kept_apart_per_profile(qapp, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from komandor_desktop.gui.application import profile_settings

    demo, real = profile_settings("demo"), profile_settings(str(tmp_path / "home"))
    assert demo.fileName() != real.fileName()
    assert profile_settings("demo").fileName() == demo.fileName()
    assert str(tmp_path) not in real.fileName()  # not inside the profile's own home


def test_banner_before_any_sync_and_when_signed_out(window, qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    banner = window.banner
    assert not banner.isVisible()
    window.bridge.unreachable.emit("connection refused", 5)
    assert banner.isVisible()
    assert banner.label.text() == ("Нет связи с сервером: список может быть устаревшим. "
                                   "На этом устройстве синхронизаций ещё не было.")
    window.bridge.signedOut.emit()
    assert banner.label.text().startswith("Вход истёк: список не обновляется.")
    languages.set_language("en")  # LanguageChange reaches the widgets as a posted event
    qtbot.waitUntil(lambda: banner.label.text().startswith(
        "Sign-in has expired: the list is not updated."))
    assert banner.retry.text() == "Retry"
    yesterday = int((NOW - timedelta(days=1)).timestamp() * 1000)
    window.bridge.syncFinished.emit(yesterday)
    assert not banner.isVisible()
    window.bridge.unreachable.emit("connection refused", 5)
    assert banner.label.text().endswith(
        f"Last successful sync: yesterday {(NOW - timedelta(days=1)).astimezone():%H:%M}.")
    with qtbot.waitSignal(window.banner.retryRequested):
        banner.retry.click()
