"""Add-contacts and login dialogs, inspector, and the Russian translation files."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from komandor_desktop import errors
from komandor_desktop.gui import i18n
from komandor_desktop.gui.dialogs import AddContactsDialog
from komandor_desktop.gui.inspector import InspectorDialog, as_json
from komandor_desktop.gui.login import LoginDialog


@pytest.fixture
def languages(qapp):  # type: ignore[no-untyped-def]
    switch = i18n.LanguageSwitch()
    switch.set_language("ru")
    yield switch
    switch.set_language("en")  # leaves no translator installed for the next test


def test_add_contacts_bad_phone_shows_sentence_and_sends_nothing(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    sent: list[list[str]] = []
    dialog = AddContactsDialog(on_submit=sent.append)
    qtbot.addWidget(dialog)
    assert dialog.hint.text() == "+7 (9XX) XXX-XX-XX, по одному на строку"
    dialog.phones.setPlainText("+7 916 123-45-67\n12345\n\n8 (903) 555-01-02\nабв")
    assert dialog.submit() is False
    assert sent == []
    assert dialog.error.text() == (
        "Номер «12345» не похож на российский мобильный: +7 9XX XXX-XX-XX.\n"
        "Номер «абв» не похож на российский мобильный: +7 9XX XXX-XX-XX.")
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.result() == 0


def test_add_contacts_good_phones_normalised_and_deduplicated(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    sent: list[list[str]] = []
    dialog = AddContactsDialog(on_submit=sent.append)
    qtbot.addWidget(dialog)
    dialog.phones.setPlainText(" +7 916 123-45-67 \n89035550102\n9161234567\n")
    with qtbot.waitSignal(dialog.phonesAccepted) as accepted:
        assert dialog.submit() is True
    assert sent == [["79161234567", "79035550102"]]
    assert accepted.args == [["79161234567", "79035550102"]]
    assert dialog.result() == AddContactsDialog.DialogCode.Accepted


def test_add_contacts_empty_and_english(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    languages.set_language("en")
    dialog = AddContactsDialog(on_submit=lambda phones: pytest.fail("sent"))
    qtbot.addWidget(dialog)
    assert dialog.submit() is False
    assert dialog.error.text() == "Enter at least one phone number."
    dialog.phones.setPlainText("555")
    dialog.submit()
    assert dialog.error.text() == "“555” is not a Russian mobile number: +7 9XX XXX-XX-XX."


def shown(qtbot: Any, dialog: QDialog) -> QDialog:
    """Show and activate ``dialog`` so real key presses move the focus."""
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def unnamed_widgets(dialog: QWidget) -> list[QWidget]:
    """The inputs and buttons of ``dialog`` that have no accessible name."""
    widgets: list[QWidget] = []
    for kind in (QLineEdit, QPlainTextEdit, QPushButton, QCheckBox):
        widgets += dialog.findChildren(kind)
    assert widgets
    return [w for w in widgets if not w.accessibleName()]


def test_add_contacts_ctrl_enter_submits(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        sent: list[list[str]] = []
        dialog = shown(qtbot, AddContactsDialog(on_submit=sent.append))
        dialog.phones.setFocus()
        qtbot.keyClicks(dialog.phones, "+7 916 123-45-67")
        qtbot.keyClick(dialog.phones, Qt.Key.Key_Return)  # a plain Enter is a new line
        qtbot.keyClicks(dialog.phones, "89035550102")
        assert sent == []
        with qtbot.waitSignal(dialog.phonesAccepted, timeout=2000):
            qtbot.keyClick(dialog.phones, key, Qt.KeyboardModifier.ControlModifier)
        assert sent == [["79161234567", "79035550102"]]
        assert dialog.result() == QDialog.DialogCode.Accepted


def test_add_contacts_refuses_own_number(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    sent: list[list[str]] = []
    dialog = AddContactsDialog(on_submit=sent.append, own_phone="79161234567")
    qtbot.addWidget(dialog)
    dialog.phones.setPlainText("89035550102\n+7 916 123-45-67\n12")
    assert dialog.submit() is False
    assert sent == []
    assert dialog.error.text() == (  # one sentence per refused line, in input order
        "«+7 916 123-45-67» — это ваш собственный номер: добавлять его не нужно.\n"
        "Номер «12» не похож на российский мобильный: +7 9XX XXX-XX-XX.")
    languages.set_language("en")
    dialog = AddContactsDialog(on_submit=sent.append, own_phone="+7 916 123-45-67")
    qtbot.addWidget(dialog)
    dialog.phones.setPlainText("9161234567")
    assert dialog.submit() is False
    assert dialog.error.text() == "“9161234567” is your own number: no need to add it."
    assert sent == []


def test_add_contacts_accessible_names(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = AddContactsDialog()
    qtbot.addWidget(dialog)
    assert unnamed_widgets(dialog) == []
    assert dialog.phones.accessibleName() == "Номера телефонов, по одному на строку"


# -- login dialog ------------------------------------------------------------

SERVER = "https://komandor.example.ru"
PHONE_FORMS = ["+79990000041", "+7 999 000-00-41", "8 999 000 00 41", "79990000041",
               "9990000041", "+7 (999) 000-00-41"]


def login_dialog(qtbot: Any, **kwargs: Any) -> LoginDialog:
    dialog = shown(qtbot, LoginDialog(server_url=SERVER, **kwargs))
    assert isinstance(dialog, LoginDialog)
    return dialog


@pytest.mark.parametrize("text", PHONE_FORMS)
def test_phone_typed_in_any_form_is_normalised(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    dialog = login_dialog(qtbot)
    dialog.phone.setFocus()
    qtbot.keyClicks(dialog.phone, text)
    assert dialog.phone.text() == text
    dialog.code.setText("1234")
    values = dialog.values()
    assert values is not None, dialog.error.text()
    assert values["phone"] == "79990000041"


@pytest.mark.parametrize("text", PHONE_FORMS)
def test_phone_pasted_in_any_form_is_normalised(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    dialog = login_dialog(qtbot)
    dialog.phone.setFocus()
    QApplication.clipboard().setText(text)
    qtbot.keyClick(dialog.phone, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert dialog.phone.text() == text
    dialog.code.setText("1234")
    values = dialog.values()
    assert values is not None, dialog.error.text()
    assert values["phone"] == "79990000041"


def test_phone_is_formatted_when_it_loses_focus(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = login_dialog(qtbot)
    assert dialog.phone.placeholderText() == "+7 9XX XXX-XX-XX"
    dialog.phone.setFocus()
    qtbot.keyClicks(dialog.phone, "8 (999) 0000041")
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Tab)
    assert dialog.phone.text() == "+7 999 000-00-41"
    dialog.phone.setFocus()
    dialog.phone.selectAll()
    qtbot.keyClicks(dialog.phone, "8 999 00")  # not a number yet: left as typed, no nagging
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Tab)
    assert dialog.phone.text() == "8 999 00"
    assert not dialog.error.isVisibleTo(dialog)


def test_login_tab_order_follows_the_steps(qtbot) -> None:  # type: ignore[no-untyped-def]
    async def request_code(server: str, phone: str) -> None:
        pass

    dialog = login_dialog(qtbot, request_code=request_code)
    dialog.server.setFocus()
    seen = [QApplication.focusWidget()]
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    cancel = dialog.buttons.button(dialog.buttons.StandardButton.Cancel)
    assert seen == [dialog.server, dialog.phone, dialog.get_code, dialog.code, dialog.name,
                    ok, cancel]


def test_login_accessible_names(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    async def request_code(server: str, phone: str) -> None:
        pass

    dialog = LoginDialog(request_code=request_code)
    qtbot.addWidget(dialog)
    assert unnamed_widgets(dialog) == []
    assert dialog.phone.accessibleName() == "Номер телефона"
    assert dialog.get_code.accessibleName() == "Получить код"


def test_get_code_counts_down_then_offers_a_resend(loop, qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str]] = []
    gate = asyncio.Event()

    async def request_code(server: str, phone: str) -> None:
        calls.append((server, phone))
        await gate.wait()

    dialog = login_dialog(qtbot, request_code=request_code, resend_seconds=2)
    dialog.phone.setFocus()
    qtbot.keyClicks(dialog.phone, "89990000041")
    assert not dialog.code_requested_for(SERVER, "79990000041")
    qtbot.mouseClick(dialog.get_code, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(calls))
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not dialog.get_code.isEnabled()  # busy
    assert not ok.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: dialog.info.isVisibleTo(dialog))
    assert calls == [(SERVER, "79990000041")]
    assert dialog.info.text() == "Код отправлен на +7 999 000-00-41"
    assert QApplication.focusWidget() is dialog.code
    assert ok.isEnabled()
    assert not dialog.get_code.isEnabled()
    assert dialog.get_code.text() == "Получить код ещё раз через 2 с"
    qtbot.waitUntil(lambda: dialog.get_code.text() == "Получить код ещё раз через 1 с",
                    timeout=1600)
    assert not dialog.get_code.isEnabled()
    qtbot.waitUntil(dialog.get_code.isEnabled, timeout=1600)
    assert dialog.get_code.text() == "Получить код ещё раз"
    assert dialog.code_requested_for(SERVER + "/", "+7 999 000-00-41")
    assert not dialog.code_requested_for(SERVER, "79990000042")
    assert not dialog.code_requested_for("https://other.example.ru", "79990000041")
    assert dialog.code_requested


def test_get_code_rate_limited_counts_down_from_retry_after(loop, qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    async def request_code(server: str, phone: str) -> None:
        raise errors.RateLimited(429, "rate_limited", "Too many requests", retry_after=1.2)

    dialog = login_dialog(qtbot, request_code=request_code, resend_seconds=60)
    dialog.phone.setText("9990000041")
    task = dialog.send_code()
    assert task is not None
    qtbot.waitUntil(task.done)
    assert dialog.error.text() == (
        "Сервер просит подождать: новый код можно запросить через 2 с.")
    assert dialog.get_code.text() == "Получить код ещё раз через 2 с"
    assert not dialog.get_code.isEnabled()
    assert not dialog.code_requested_for(SERVER, "79990000041")
    qtbot.waitUntil(dialog.get_code.isEnabled, timeout=3000)
    assert dialog.get_code.text() == "Получить код"


def test_get_code_error_shows_the_message(loop, qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    async def request_code(server: str, phone: str) -> None:
        raise errors.TransportError("Сервер недоступен: connection refused")

    dialog = login_dialog(qtbot, request_code=request_code)
    dialog.phone.setText("9990000041")
    task = dialog.send_code()
    assert task is not None
    qtbot.waitUntil(task.done)
    assert dialog.error.text() == "Сервер недоступен: connection refused"
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.get_code.isEnabled()
    assert dialog.get_code.text() == "Получить код"
    assert not dialog.info.isVisibleTo(dialog)
    assert not dialog.code_requested


def test_get_code_without_a_requester_is_not_offered(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog()
    qtbot.addWidget(dialog)
    assert not dialog.get_code.isVisibleTo(dialog)


INSPECTOR = {
    "chat_id": "c5", "name": "Волков Сергей", "status": "wait", "enabled": False,
    "reason": "certificate_rejected", "reason_text": "Сертификат не прошёл проверку",
    "tooltip": "Сертификат Волков Сергей: срок действия истёк. Ключ ему не передаётся.",
    "certificates": [
        {"pid": "p1", "cid": "cid-a", "hash": "ab" * 32, "check": "ok"},
        {"pid": "p2", "cid": "cid-b", "hash": "cd" * 32, "check": "срок действия истёк"},
    ],
    "wait_list": [{"pid": "p2", "cid": "cid-c", "hash": "ef" * 32, "check": "ok"}],
    "key": {"id": "k1", "signer_pid": "p1", "signer_cid": "cid-a", "check": "ok"},
    "outbox": {"created_at": 1750000000000, "targets": ["cid-b", "cid-c"]},
    "raw": '{"id":"c5","status":"wait"}',
    "extra": b"\x01",
}


def test_inspector_shows_everything_and_copies_json(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = InspectorDialog()
    qtbot.addWidget(dialog)
    dialog.set_data(INSPECTOR)
    assert dialog.windowTitle() == "Инспектор чата — Волков Сергей"
    assert dialog.fields["status"].text() == "wait"
    assert dialog.fields["enabled"].text() == "нет"
    assert dialog.fields["reason"].text().startswith("certificate_rejected — Сертификат не")
    assert dialog.fields["signer"].text() == "p1 / cid-a"
    assert "cid-b, cid-c" in dialog.fields["outbox"].text()
    rows = [[dialog.certs.topLevelItem(i).text(c) for c in range(5)]
            for i in range(dialog.certs.topLevelItemCount())]
    assert rows[0][1:] == ["cid-a", "ab" * 8, "✔", ""]
    assert rows[1][3] == "✖ срок действия истёк"
    assert rows[2][1] == "cid-c"
    assert rows[2][4] == "ждёт ключ"
    assert json.loads(dialog.raw.toPlainText()) == {"id": "c5", "status": "wait"}
    assert dialog.copy.text() == "Копировать как JSON"
    dialog.copy.click()
    copied = QGuiApplication.clipboard().text()
    assert copied == as_json(INSPECTOR)
    assert json.loads(copied)["certificates"][1]["check"] == "срок действия истёк"


def test_inspector_every_value_has_a_label(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = InspectorDialog()
    qtbot.addWidget(dialog)
    dialog.set_data(INSPECTOR)
    forms = dialog.findChildren(QFormLayout)
    assert forms
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            caption = item.widget() if item is not None else None
            assert isinstance(caption, QLabel), f"row {row} has no label"
            assert caption.text(), f"row {row} has an empty label"
    caption = dialog._form.labelForField(dialog.fields["status"])
    assert isinstance(caption, QLabel)
    assert caption.text() == "Статус на сервере"
    languages.set_language("en")  # LanguageChange is posted: retranslate() runs soon
    qtbot.waitUntil(lambda: caption.text() == "Server status")


def test_inspector_tolerates_sparse_data(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = InspectorDialog()
    qtbot.addWidget(dialog)
    dialog.set_data({"chat_id": "x", "raw": "not json"})
    assert dialog.fields["key_id"].text() == "—"
    assert dialog.raw.toPlainText() == "not json"
    assert dialog.certs.topLevelItemCount() == 0


def test_switch_installs_and_removes_translator(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    switch = i18n.LanguageSwitch()
    with qtbot.waitSignal(switch.languageChanged) as changed:
        switch.set_language("ru")
    assert changed.args == ["ru"]
    assert i18n.current_language() == "ru"
    assert QCoreApplication.translate("MainWindow", "Sync now (F5)") == "Синхронизировать (F5)"
    switch.set_language("en")
    assert i18n.current_language() == "en"
    assert QCoreApplication.translate("MainWindow", "Sync now (F5)") == "Sync now (F5)"


def test_ts_is_complete_and_qm_is_current(tmp_path: Path) -> None:
    """Every tr() string of gui/ is in the .ts, translated, and the .qm matches it."""
    bin_dir = Path(sys.executable).parent
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (Path(i18n.__file__).parent).glob("*.py"))
    subprocess.run([str(bin_dir / "pyside6-lupdate"), "-no-obsolete", "-locations", "none",
                    *sources, "-ts", str(fresh)], check=True, capture_output=True)
    found = {(ctx.findtext("name"), m.findtext("source"))
             for ctx in ET.parse(fresh).getroot().iter("context") for m in ctx.iter("message")}
    shipped = ET.parse(i18n.TS_RU).getroot()
    translated = {(ctx.findtext("name"), m.findtext("source")): m.find("translation")
                  for ctx in shipped.iter("context") for m in ctx.iter("message")}
    assert found == set(translated), "run pyside6-lupdate and translate the new strings"
    unfinished = [k for k, t in translated.items() if t.get("type") or not (t.text or "")]
    assert unfinished == []
    qm = tmp_path / "ru.qm"
    subprocess.run([str(bin_dir / "pyside6-lrelease"), str(i18n.TS_RU), "-qm", str(qm)],
                   check=True, capture_output=True)
    assert qm.read_bytes() == i18n.QM_RU.read_bytes(), "rebuild komandor_ru.qm with lrelease"
