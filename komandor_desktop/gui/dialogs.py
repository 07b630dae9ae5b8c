"""The add-contacts dialog (the sign-in dialog is ``login.py``).

It checks its input with the protocol's own normalisation before anything
leaves the dialog: a bad phone shows the UI.md sentence for each bad entry
and nothing is sent. What happens with good input is injected (a callable for
the phones), so the dialog holds no network code and tests drive it directly.

Phone fields take whatever people type or paste (``+7 (999) …``, ``8 999 …``,
bare digits): an input mask would shift pasted digits into the wrong slots,
so the number is normalised on use and only re-formatted for the eye.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .. import errors
from ..texts import bad_phone_text
from .dialogkit import error_label, grow_to_fit
from .i18n import current_language

Normalizer = Callable[[list[str]], list[str]]


def _default_normalizer() -> Normalizer:
    from ..protocol import normalize_phones

    return normalize_phones


class AddContactsDialog(QDialog):
    """Phones, one per line; good ones go to ``on_submit`` (e.g. ``bridge.add_contacts``).

    Args:
        own_phone: the user's own number; a line that normalises to it is
            refused with a sentence (adding oneself makes no chat).

    Signals:
        phonesAccepted(list): the normalised phones, deduplicated, in input order.
    """

    phonesAccepted = Signal(list)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        on_submit: Callable[[list[str]], Any] | None = None,
        normalize: Normalizer | None = None,
        own_phone: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_submit = on_submit
        self._normalize = normalize or _default_normalizer()
        self._own_phone = self._normalized(own_phone) if own_phone else None
        self.setWindowTitle(self.tr("Add contacts…"))
        self.setMinimumWidth(420)
        self.hint = QLabel(self.tr("+7 (9XX) XXX-XX-XX, one per line"), self)
        self.phones = QPlainTextEdit(self)
        self.phones.setPlaceholderText("+7 916 123-45-67\n8 903 555-01-02")
        self.phones.setTabChangesFocus(True)
        self.phones.setAccessibleName(self.tr("Phone numbers, one per line"))
        self.hint.setBuddy(self.phones)
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        ok.setText(self.tr("Add"))
        ok.setAccessibleName(self.tr("Add"))
        ok.setToolTip("Ctrl+Enter")
        cancel.setText(self.tr("Cancel"))
        cancel.setAccessibleName(self.tr("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        # Enter is a new line in the list, so submitting needs its own keys
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | key), self)
            shortcut.activated.connect(self.submit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.phones)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _normalized(self, text: str) -> str | None:
        try:
            return self._normalize([text])[0]
        except errors.InvalidPhone:
            return None

    def submit(self) -> bool:
        """Validate every line; on success hand the phones over and close."""
        texts = [line.strip() for line in self.phones.toPlainText().splitlines() if line.strip()]
        if not texts:
            self._show_error(self.tr("Enter at least one phone number."))
            return False
        lang = current_language()
        problems: list[str] = []
        phones: list[str] = []
        for text in texts:
            try:
                phone = self._normalize([text])[0]
            except errors.InvalidPhone as exc:
                problems += [bad_phone_text(t, lang) for t in exc.texts]
                continue
            if phone == self._own_phone:
                problems.append(
                    self.tr("“{text}” is your own number: no need to add it.").format(text=text))
                continue
            phones.append(phone)
        if problems:
            self._show_error("\n".join(problems))
            return False
        unique = list(dict.fromkeys(phones))
        self.error.hide()
        if self._on_submit is not None:
            self._on_submit(unique)
        self.phonesAccepted.emit(unique)
        self.accept()
        return True

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        grow_to_fit(self)
        self.phones.setFocus()
