"""The passphrase dialog: choose one for a new profile, or unlock an existing one.

The passphrase encrypts ``secrets.bin`` (the private key and the token).
Without ``$KOMANDOR_PASSPHRASE`` or a keyring entry the window has to ask,
and a developer message would leave the user stuck; so this dialog asks in
words, explains what the phrase protects, and retries a wrong one in place.

Checking the phrase is injected (``unlock``, e.g. ``Profile.load`` in a
thread), like the login steps of ``login.LoginDialog``: no identity code
here, and tests drive the dialog with fakes or with a real profile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from .. import errors
from .dialogkit import TaskSet, add_form_row, error_label, grow_to_fit

Mode = Literal["new", "unlock"]
MIN_LENGTH = 8
_STRENGTH_COLOURS = {0: "#d64545", 1: "#d64545", 2: "#b7791f", 3: "#2f855a"}


def strength(text: str) -> int:
    """0 too short, 1 weak, 2 medium, 3 strong — a hint, not a gate.

    Length counts most (scrypt makes each guess slow, so a long phrase of
    plain words is strong); mixing letter cases, digits and other signs makes
    up for some of the length.
    """
    if len(text) < MIN_LENGTH:
        return 0
    classes = sum((
        any(c.islower() for c in text),
        any(c.isupper() for c in text),
        any(c.isdigit() for c in text),
        any(not c.isalnum() for c in text),
    ))
    if len(text) >= 16 or (len(text) >= 12 and classes >= 3):
        return 3
    if len(text) >= 12 or classes >= 3 or (len(text) >= 10 and classes >= 2):
        return 2
    return 1


class PassphraseDialog(QDialog):
    """Asks for the passphrase of ``secrets.bin``.

    Args:
        mode: "new" (choose one: typed twice, at least 8 characters, with a
            strength hint) or "unlock" (type the existing one).
        profile_label: how the user knows the profile (name or phone).
        keyring_available: whether the OS keyring works; only then is the
            "remember" checkbox shown (checked by default for a new profile).
        unlock: ``async (passphrase)`` for mode "unlock"; raise
            ``WrongPassphrase`` to ask again, another ``KomandorError`` to show
            its message. Its result is kept in ``unlocked()``. Without it OK
            just accepts.

    After ``accepted``: ``passphrase()`` and ``remember()``.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        mode: Mode,
        profile_label: str,
        keyring_available: bool,
        unlock: Callable[[str], Awaitable[Any]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.mode: Mode = mode
        self._unlock = unlock
        self._unlocked: Any = None
        self._tasks = TaskSet()
        self.setMinimumWidth(500)  # the explanation and a name with a phone fit in 2 lines
        new = mode == "new"
        self.setWindowTitle(self.tr("New passphrase") if new else self.tr("Unlock the profile"))
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setText(
            (self.tr("Choose a passphrase for {profile}.") if new
             else self.tr("Enter the passphrase of {profile}.")).format(profile=profile_label))
        self.explanation = QLabel(self.tr(
            "The passphrase protects your keys on this computer. Nobody can recover "
            "it, not even the server: keep it safe."), self)
        self.explanation.setWordWrap(True)
        self.explanation.setVisible(new)
        self.first = self._password_field(self.tr("Passphrase"))
        self.repeat = self._password_field(self.tr("Repeat the passphrase"))
        self.repeat.setVisible(new)
        self.strength = QLabel(self)
        self.strength.setWordWrap(True)
        self.strength.hide()
        self.remember_box = QCheckBox(self.tr("Remember in the system keyring"), self)
        self.remember_box.setAccessibleName(self.tr("Remember in the system keyring"))
        self.remember_box.setVisible(keyring_available)
        self.remember_box.setChecked(keyring_available and new)
        self.error = error_label(self)
        self.buttons = self._button_box(self.tr("Save") if new else self.tr("Unlock"))
        self._lay_out(new)
        if new:
            self.first.textChanged.connect(self._update_strength)

    def _password_field(self, name: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        return field

    def _button_box(self, ok_text: str) -> QDialogButtonBox:
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
        self.ok.setText(ok_text)
        self.ok.setAccessibleName(ok_text)
        self.ok.setDefault(True)  # Enter in either field submits
        self.cancel.setText(self.tr("Cancel"))
        self.cancel.setAccessibleName(self.tr("Cancel"))
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        return box

    def _lay_out(self, new: bool) -> None:
        form = QFormLayout()
        add_form_row(form, self.tr("Passphrase"), self.first)
        if new:
            form.addRow("", self.strength)
            add_form_row(form, self.tr("Repeat"), self.repeat)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.explanation)
        layout.addLayout(form)
        layout.addWidget(self.remember_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        chain = [self.first, self.repeat, self.remember_box, self.ok, self.cancel]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        for field in (self.first, self.repeat):
            field.textEdited.connect(self.error.hide)
        self.first.setFocus()

    # -- what the caller reads ---------------------------------------------

    def passphrase(self) -> str:
        return self.first.text()

    def remember(self) -> bool:
        """Whether to keep the passphrase in the OS keyring (never without one)."""
        return self.remember_box.isVisibleTo(self) and self.remember_box.isChecked()

    def unlocked(self) -> Any:
        """What ``unlock`` returned (e.g. the Profile), once accepted."""
        return self._unlocked

    # -- actions ------------------------------------------------------------

    def submit(self) -> asyncio.Future[Any] | None:
        """Check the input; "new" accepts, "unlock" runs ``unlock`` as a task."""
        if self.mode == "new":
            if self._new_is_valid():
                self.accept()
            return None
        if not self.first.text():
            self._show_error(self.tr("Enter the passphrase."))
            return None
        if self._unlock is None:
            self.accept()
            return None
        self._set_busy(True)
        return self._tasks.start(self._try_unlock(self._unlock(self.first.text())))

    def _new_is_valid(self) -> bool:
        text, again = self.first.text(), self.repeat.text()
        if len(text) < MIN_LENGTH:
            self._show_error(self.tr(
                "The passphrase must be at least {count} characters long."
            ).format(count=MIN_LENGTH), self.first)
        elif not again:
            self._show_error(self.tr("Repeat the passphrase in the second field."), self.repeat)
        elif again != text:
            self._show_error(self.tr(
                "The two passphrases do not match: type the same one twice."), self.repeat)
        else:
            return True
        return False

    async def _try_unlock(self, call: Awaitable[Any]) -> None:
        try:
            self._unlocked = await call
        except errors.WrongPassphrase:
            self._set_busy(False)
            self._show_error(self.tr("Wrong passphrase. Try again."), self.first)
        except errors.KomandorError as exc:
            self._set_busy(False)
            self._show_error(getattr(exc, "message", None) or str(exc), self.first)
        else:
            self._set_busy(False)
            self.accept()

    def done(self, result: int) -> None:
        self._tasks.cancel()
        super().done(result)

    def _update_strength(self, text: str) -> None:
        level = strength(text)
        if not text:
            self.strength.hide()
            return
        if level == 0:
            words = self.tr("Too short: at least {count} characters").format(count=MIN_LENGTH)
        else:
            name = {1: self.tr("weak"), 2: self.tr("medium"), 3: self.tr("strong")}[level]
            words = self.tr("Strength: {level}").format(level=name)
        self.strength.setText(words)
        self.strength.setStyleSheet(f"color: {_STRENGTH_COLOURS[level]};")
        self.strength.show()

    def _set_busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)
        self.first.setReadOnly(busy)  # keeps the focus, unlike disabling

    def _show_error(self, text: str, field: QLineEdit | None = None) -> None:
        self.error.setText(text)
        self.error.show()
        grow_to_fit(self)
        if field is not None:
            field.setFocus()
            field.selectAll()  # retyping replaces the wrong phrase
