"""The passphrase dialog: a new profile's phrase, and unlocking an existing one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cryptohelpers import issue, key, make_ca, pem
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_gui_dialogs import shown, unnamed_widgets

from komandor_desktop import errors
from komandor_desktop.domain import Identity
from komandor_desktop.gui.passphrase import PassphraseDialog, strength
from komandor_desktop.identity import Profile


def new_dialog(qtbot: Any, keyring: bool = True) -> PassphraseDialog:
    dialog = shown(qtbot, PassphraseDialog(mode="new", profile_label="Ирина",
                                           keyring_available=keyring))
    assert isinstance(dialog, PassphraseDialog)
    return dialog


def type_into(qtbot: Any, field: Any, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def test_strength_grows_with_length_and_character_classes() -> None:
    assert strength("") == strength("Ab1!xyz") == 0
    assert strength("abcdefgh") == 1
    assert strength("abcdefgh12") == 2
    assert strength("Abcdefgh12!x") == 3
    assert strength("correct horse battery") == 3


def test_new_explains_and_offers_the_keyring(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = new_dialog(qtbot)
    assert dialog.windowTitle() == "Новая парольная фраза"
    assert dialog.intro.text() == "Придумайте парольную фразу для профиля Ирина."
    assert "на этом компьютере" in dialog.explanation.text()
    assert "восстановить" in dialog.explanation.text().lower()
    assert dialog.explanation.isVisible()
    assert dialog.repeat.isVisible()
    assert dialog.remember_box.text() == "Запомнить в связке ключей системы"
    assert dialog.remember_box.isVisible()
    assert dialog.remember_box.isChecked()
    assert dialog.first.echoMode() == dialog.first.EchoMode.Password
    assert unnamed_widgets(dialog) == []
    assert QApplication.focusWidget() is dialog.first
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.ok


def test_new_without_a_keyring_does_not_offer_it(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = new_dialog(qtbot, keyring=False)
    assert not dialog.remember_box.isVisible()
    type_into(qtbot, dialog.first, "long enough phrase")
    type_into(qtbot, dialog.repeat, "long enough phrase")
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.remember() is False


def test_new_strength_hint_is_live(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = new_dialog(qtbot)
    assert not dialog.strength.isVisible()
    type_into(qtbot, dialog.first, "abc")
    assert dialog.strength.text() == "Слишком короткая: нужно не меньше 8 символов"
    qtbot.keyClicks(dialog.first, "defgh")
    assert dialog.strength.text() == "Надёжность: слабая"
    qtbot.keyClicks(dialog.first, "12")
    assert dialog.strength.text() == "Надёжность: средняя"
    qtbot.keyClicks(dialog.first, " Horse!")
    assert dialog.strength.text() == "Надёжность: высокая"
    assert dialog.strength.isVisible()


def test_new_refuses_short_and_mismatched_then_enter_accepts(qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    dialog = new_dialog(qtbot)
    type_into(qtbot, dialog.first, "long enough 1")
    qtbot.keyClick(dialog.first, Qt.Key.Key_Return)
    assert dialog.error.text() == "Повторите фразу во втором поле."
    assert QApplication.focusWidget() is dialog.repeat
    type_into(qtbot, dialog.first, "short1")
    assert not dialog.error.isVisible()  # typing clears the old complaint
    type_into(qtbot, dialog.repeat, "short1")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert dialog.error.text() == "Парольная фраза должна быть не короче 8 символов."
    assert dialog.isVisible()
    assert QApplication.focusWidget() is dialog.first
    type_into(qtbot, dialog.first, "long enough 1")
    type_into(qtbot, dialog.repeat, "long enough 2")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert dialog.error.text() == "Фразы не совпадают: введите одну и ту же дважды."
    assert dialog.result() == 0
    type_into(qtbot, dialog.repeat, "long enough 1")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert dialog.passphrase() == "long enough 1"
    assert dialog.remember() is True


def unlock_dialog(qtbot: Any, unlock: Any, keyring: bool = True) -> PassphraseDialog:
    dialog = shown(qtbot, PassphraseDialog(mode="unlock", profile_label="+7 999 000-00-41",
                                           keyring_available=keyring, unlock=unlock))
    assert isinstance(dialog, PassphraseDialog)
    return dialog


def test_unlock_wrong_then_right(loop, qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    tries: list[str] = []
    gate = asyncio.Event()

    async def unlock(passphrase: str) -> str:
        tries.append(passphrase)
        await gate.wait()
        if passphrase != "the right one":
            raise errors.WrongPassphrase("wrong passphrase")
        return "profile"

    dialog = unlock_dialog(qtbot, unlock)
    assert dialog.windowTitle() == "Открыть профиль"
    assert dialog.intro.text() == "Введите парольную фразу профиля +7 999 000-00-41."
    assert not dialog.repeat.isVisible()
    assert not dialog.explanation.isVisible()
    assert dialog.remember_box.isVisible()
    assert not dialog.remember_box.isChecked()
    assert unnamed_widgets(dialog) == []
    assert QApplication.focusWidget() is dialog.first
    gate.set()
    for wrong in ("wrong one", "still wrong"):
        type_into(qtbot, dialog.first, wrong)
        qtbot.keyClick(dialog.first, Qt.Key.Key_Return)
        qtbot.waitUntil(dialog.error.isVisible)
        assert dialog.error.text() == "Неверная парольная фраза. Попробуйте ещё раз."
        assert dialog.isVisible()
        assert dialog.result() == 0
        assert dialog.ok.isEnabled()
        assert QApplication.focusWidget() is dialog.first
        assert dialog.first.selectedText() == wrong  # the next keys replace it
    gate.clear()
    qtbot.keyClicks(dialog.first, "the right one")
    assert dialog.first.text() == "the right one"
    assert not dialog.error.isVisible()
    qtbot.keyClick(dialog.first, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tries) == 3)
    assert not dialog.ok.isEnabled()  # busy while unlock runs
    assert dialog.first.isReadOnly()
    dialog.remember_box.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        gate.set()
    assert tries == ["wrong one", "still wrong", "the right one"]
    assert dialog.unlocked() == "profile"
    assert dialog.passphrase() == "the right one"
    assert dialog.remember() is True


def test_unlock_shows_other_errors_and_refuses_empty(loop, qtbot, languages) -> None:  # type: ignore[no-untyped-def]
    async def unlock(passphrase: str) -> None:
        raise errors.IdentityError("secrets.bin is damaged: bad header")

    dialog = unlock_dialog(qtbot, unlock, keyring=False)
    assert not dialog.remember_box.isVisible()
    assert dialog.submit() is None
    assert dialog.error.text() == "Введите парольную фразу."
    type_into(qtbot, dialog.first, "anything")
    task = dialog.submit()
    assert task is not None
    qtbot.waitUntil(task.done)
    assert dialog.error.text() == "secrets.bin is damaged: bad header"
    assert dialog.result() == 0
    assert dialog.remember() is False


def test_unlock_english(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    async def unlock(passphrase: str) -> None:
        raise errors.WrongPassphrase("wrong passphrase")

    dialog = unlock_dialog(qtbot, unlock)
    assert dialog.remember_box.text() == "Remember in the system keyring"
    type_into(qtbot, dialog.first, "nope")
    task = dialog.submit()
    assert task is not None
    qtbot.waitUntil(task.done)
    assert dialog.error.text() == "Wrong passphrase. Try again."


def make_profile(home: Path, passphrase: str) -> None:
    """A real profile on disk: key pair, CA-issued certificate, secrets.bin."""
    ca_key, ca_cert = make_ca()
    user_key = key("p256", 7)
    cert = issue(ca_key, user_key, cn="79990000041")
    identity = Identity(server_url="https://komandor.example.ru", phone="79990000041",
                        pid="p-1", cid="c-1", certificate_pem=pem(cert),
                        ca_certificate_pem=pem(ca_cert), name="Ирина")
    Profile.create(home, identity, user_key, "token-1", passphrase)


@pytest.mark.usefixtures("languages")
def test_unlock_a_real_profile(tmp_path: Path, loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    make_profile(home, "correct horse battery staple")
    dialog = unlock_dialog(qtbot, lambda p: asyncio.to_thread(Profile.load, home, p))
    type_into(qtbot, dialog.first, "incorrect horse")
    qtbot.keyClick(dialog.first, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.error.isVisible, timeout=30_000)
    assert dialog.error.text() == "Неверная парольная фраза. Попробуйте ещё раз."
    qtbot.keyClicks(dialog.first, "correct horse battery staple")
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        qtbot.keyClick(dialog.first, Qt.Key.Key_Return)
    profile = dialog.unlocked()
    assert isinstance(profile, Profile)
    assert profile.identity.name == "Ирина"
    assert profile.token == "token-1"
