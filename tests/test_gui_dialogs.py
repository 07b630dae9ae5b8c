"""Add-contacts dialog, inspector, and the Russian translation files."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication

from komandor_desktop.gui import i18n
from komandor_desktop.gui.dialogs import AddContactsDialog
from komandor_desktop.gui.inspector import InspectorDialog, as_json


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


def test_inspector_tolerates_sparse_data(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = InspectorDialog()
    qtbot.addWidget(dialog)
    dialog.set_data({"chat_id": "x", "raw": "not json"})
    assert dialog.fields["key_id"].text() == "—"
    assert dialog.raw.toPlainText() == "not json"
    assert dialog.certs.topLevelItemCount() == 0


def test_language_resolution_order() -> None:
    assert i18n.resolve_language(None, {}) == "ru"
    assert i18n.resolve_language(None, {"KOMANDOR_LANG": "en"}) == "en"
    assert i18n.resolve_language("ru", {"KOMANDOR_LANG": "en"}) == "ru"
    assert i18n.resolve_language("en_US", {}) == "en"
    assert i18n.lang_from_argv(["x", "--lang", "en"]) == "en"
    assert i18n.lang_from_argv(["x", "--lang=ru"]) == "ru"
    assert i18n.lang_from_argv(["x"]) is None


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
