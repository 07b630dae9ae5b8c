"""The real window over the real sync engine and the real emulator (demo world).

The emulator runs in process (``httpx.ASGITransport``); its simulated contacts
are stepped by the test (``simulate_step``) so that a `wait` chat switches on
at a known moment, while the window is open.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from e2e import Wire, device, emulator
from PySide6.QtCore import QSettings, Qt

from komandor_desktop.emulator import DEMO_PHONE, UNREGISTERED_PHONE
from komandor_desktop.emulator.simulation import simulate_step
from komandor_desktop.gui import i18n
from komandor_desktop.gui.bridge import SyncBridge
from komandor_desktop.gui.chatmodel import ChatRole
from komandor_desktop.gui.mainwindow import MainWindow
from komandor_desktop.worker.passes import InProcessWorker


@pytest.fixture
def demo(tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any) -> Iterator[dict[str, Any]]:
    languages = i18n.LanguageSwitch()
    languages.set_language("ru")
    app = emulator(tmp_path, seed="demo")
    wire = Wire(app)
    task = asyncio.ensure_future(device(wire, tmp_path / "home", DEMO_PHONE, name="Иван Петров"))
    qtbot.waitUntil(task.done, timeout=30_000)
    session = task.result()
    bridge = SyncBridge(InProcessWorker(session.engine),  # the worker's contract, in process
                        views=lambda: session.list_views("ru"), interval_ms=0)
    window = MainWindow(bridge, settings=QSettings(str(tmp_path / "ui.ini"),
                                                   QSettings.Format.IniFormat),
                        languages=languages, user_name="Иван Петров",
                        inspector_data=lambda cid: session.inspector_data(cid, "ru"),
                        previews=session.preview)
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.show()
    run_pass(bridge, qtbot)
    yield {"app": app, "wire": wire, "session": session, "bridge": bridge, "window": window}
    closing = asyncio.ensure_future(bridge.aclose())
    qtbot.waitUntil(closing.done)
    closing = asyncio.ensure_future(session.aclose())
    qtbot.waitUntil(closing.done)
    languages.set_language("en")


def run_pass(bridge: SyncBridge, qtbot: Any, phones: tuple[str, ...] = ()) -> None:
    with qtbot.waitSignal(bridge.syncFinished, timeout=60_000):
        if phones:
            bridge.add_contacts(list(phones))
        else:
            bridge.request_sync()


def row(window: MainWindow, name: str) -> Any:
    view = next(v for v in window.model.views() if v.name == name)
    return window.pane.tree_model.index_of(view.id)


def test_grouping_order_and_pinned_chats(demo: dict[str, Any]) -> None:
    tree = demo["window"].pane.tree_model
    keys = tree.section_keys()
    assert keys[0] == "pinned"
    assert keys[-2:] == ["groups", "no_company"]
    titles = [tree.index(r, 0).data(Qt.ItemDataRole.DisplayRole) for r in range(len(keys))]
    companies = titles[1:-2]
    assert companies == sorted(companies, key=str.casefold)
    assert {"ООО «Ромашка»", "АО «Вектор»"} <= set(companies)
    names = [demo["window"].model.view(i).name for i in tree.chat_ids()]
    assert names[:2] == ["Избранное", "Командор"]


def test_switched_off_rows_explain_themselves(demo: dict[str, Any]) -> None:
    window = demo["window"]
    morozov = row(window, "Алексей Морозов")
    assert morozov.data(Qt.ItemDataRole.ToolTipRole).startswith(
        "Для сертификата этого устройства ещё нет ключа.")
    assert morozov.flags() & Qt.ItemFlag.ItemIsSelectable
    unregistered = next(v for v in window.model.views() if v.phone == UNREGISTERED_PHONE)
    assert not unregistered.enabled
    assert "зарегистрируется" in unregistered.tooltip
    assert window.pane.select_chat(unregistered.id)
    assert window.detail.view.id == unregistered.id  # selectable, the panel explains it


def test_wait_chat_switches_on_in_place_while_the_window_is_open(demo: dict[str, Any],
                                                                 qtbot: Any) -> None:
    window, bridge = demo["window"], demo["bridge"]
    alpha = next(v for v in window.model.views() if v.name == "Проект Альфа")
    assert alpha.status.value == "wait"
    assert not alpha.enabled
    assert window.pane.select_chat(alpha.id)
    scroll = window.pane.tree.verticalScrollBar().value()
    assert simulate_step(demo["app"].state.emulator) > 0  # an online colleague exports it
    run_pass(bridge, qtbot)
    now = window.model.view(alpha.id)
    assert now.status.value == "sync"
    assert now.enabled
    assert window.pane.current_chat().id == alpha.id  # selection kept
    assert window.pane.tree.verticalScrollBar().value() == scroll
    still = next(v for v in window.model.views() if v.name == "Алексей Морозов")
    assert not still.enabled  # offline: stays wait


def test_search_and_unread_filter(demo: dict[str, Any], qtbot: Any) -> None:
    window = demo["window"]
    tree = window.pane.tree_model
    window.pane.search.setText("смирнов")
    shown = [window.model.view(i).name for i in tree.chat_ids()]
    assert shown == ["Игорь Смирнов"]
    window.pane.search.setText("Вектор")  # company
    assert {window.model.view(i).company for i in tree.chat_ids()} <= {"АО «Вектор»", None}
    window.pane.search.clear()
    window.pane.set_unread_only(True)
    assert all(window.model.view(i).unread > 0 for i in tree.chat_ids())
    assert tree.chat_ids()


def test_add_contacts_with_a_bad_phone_sends_nothing(demo: dict[str, Any], qtbot: Any) -> None:
    window, wire = demo["window"], demo["wire"]
    before = len(wire.requests)
    dialog = window.open_add_contacts()
    dialog.phones.setPlainText("12345")
    assert dialog.submit() is False
    assert "«12345»" in dialog.error.text()
    assert len(wire.requests) == before
    dialog.phones.setPlainText("8 (916) 000-11-22")
    with qtbot.waitSignal(demo["bridge"].syncFinished, timeout=60_000):
        assert dialog.submit() is not False
    added = [r for r in wire.requests[before:] if "phones" in str(r.url)]
    assert added
    assert "79160001122" in str(added[0].url)
    assert any(v.phone == "79160001122" for v in window.model.views())


def test_inspector_shows_checks_key_and_raw_json(demo: dict[str, Any]) -> None:
    window = demo["window"]
    alpha = next(v for v in window.model.views() if v.name == "Проект Альфа")
    data = demo["session"].inspector_data(alpha.id)
    assert data["status"] == "wait"
    assert data["reason"] == "waiting_for_key"
    assert data["certificates"]
    assert all(c["check"] == "ok" for c in data["certificates"])
    assert json.loads(data["raw"])["id"] == alpha.id
    smirnov = next(v for v in window.model.views() if v.name == "Игорь Смирнов")
    key = demo["session"].inspector_data(smirnov.id)["key"]
    assert key["check"] == "ok"
    assert key["signer_cid"]
    dialog = window.open_inspector(alpha.id)
    assert dialog is not None
    copied = json.loads(dialog.copy_json())
    assert copied["chat_id"] == alpha.id
    assert copied["wait_list"]


@pytest.mark.slow
def test_demo_screenshot_command(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "komandor_desktop", "--home", str(tmp_path),
                           "--demo", "--screenshot", str(shot)], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


def test_login_dialog_signs_in_against_the_emulator(tmp_path: Path, loop: qasync.QEventLoop,
                                                    qtbot: Any) -> None:
    from e2e import LOCAL, PASSPHRASE

    from komandor_desktop.gui.login import LoginDialog
    from komandor_desktop.identity import Profile, login

    wire = Wire(emulator(tmp_path))
    home = tmp_path / "home"

    async def do_login(server: str, phone: str, code: str, name: str | None) -> None:
        await login(home, server, phone, code, passphrase=PASSPHRASE, name=name,
                    transport=wire.transport())

    dialog = LoginDialog(None, server_url="http://komandor.example.org", login=do_login)
    qtbot.addWidget(dialog)
    dialog.phone.setText("9990000077")
    dialog.code.setText("1111")
    dialog.name.setText("Ирина")
    task = dialog.submit()
    qtbot.waitUntil(task.done)
    assert "https" in dialog.error.text()  # plain http to a remote host is refused
    assert not wire.requests  # nothing was sent
    dialog.server.setText(LOCAL)
    dialog.code.setText("0000")
    task = dialog.submit()
    qtbot.waitUntil(task.done)
    assert dialog.error.isVisibleTo(dialog)  # wrong code: the server's message is shown
    assert not Profile.exists(home)
    dialog.code.setText("1111")
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        dialog.submit()
    assert Profile.exists(home)


def test_offline_state_then_recovery_on_retry(demo: dict[str, Any], qtbot: Any) -> None:
    window, bridge, wire = demo["window"], demo["bridge"], demo["wire"]
    wire.drop = lambda request: True  # the server is unreachable
    # retry events of the HTTP client come first (delay 0 with the tests' instant
    # policy); then the pass gives up and the bridge schedules its own retry
    with qtbot.waitSignal(bridge.offline, timeout=60_000,
                          check_params_cb=lambda message, seconds: seconds > 0) as blocker:
        bridge.request_sync()
    message, seconds = blocker.args
    assert "dropped by the test" in message
    assert window.status.state == "offline"
    assert window.status.label.text().startswith("Нет связи с сервером. Повтор через")
    assert window.status.retry.isVisible()
    assert all(v.name for v in window.model.views())  # the list stays as it was
    wire.drop = None
    with qtbot.waitSignal(bridge.syncFinished, timeout=60_000):
        window.status.retry.click()
    assert window.status.state != "offline"
    assert window.status.label.text().startswith("Ключи синхронизированы")


def test_previews_are_decrypted_for_the_rows_shown(demo: dict[str, Any], qtbot: Any) -> None:
    window = demo["window"]
    system = next(v for v in window.model.views() if v.system)
    index = window.pane.tree_model.index_of(system.id)
    shown = index.data(ChatRole.View)
    assert shown.last_message.startswith("Добро пожаловать")  # decrypted on demand
    raw = index.data(ChatRole.RawView)
    assert raw.last_message is None  # the list itself carries no plaintext


def test_offline_banner_says_since_when_and_goes_by_itself(demo: dict[str, Any],
                                                           qtbot: Any) -> None:
    window, bridge, wire = demo["window"], demo["bridge"], demo["wire"]
    banner = window.banner
    assert not banner.isVisible()  # the fixture's pass succeeded
    wire.drop = lambda request: True
    with qtbot.waitSignal(bridge.unreachable, timeout=60_000):
        bridge.request_sync()
    assert banner.isVisible()
    text = banner.label.text()
    assert text.startswith("Нет связи с сервером: список может быть устаревшим.")
    assert "Последняя успешная синхронизация: " in text
    assert text.rstrip(".")[-5:-2].endswith(":")  # today: the time of the fixture's pass
    wire.drop = None
    with qtbot.waitSignal(bridge.syncFinished, timeout=60_000):
        banner.retry.click()
    assert not banner.isVisible()
    assert window.status.label.text().startswith("Ключи синхронизированы")
