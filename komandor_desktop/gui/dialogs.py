"""Add-contacts and login dialogs.

Both check their input with the protocol's own normalisation before anything
leaves the dialog: a bad phone shows the UI.md sentence for each bad entry
and nothing is sent. What happens with good input is injected (a callable for
the phones, async callables for the login steps), so the dialogs hold no
network code and tests drive them directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QPalette, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import errors
from ..texts import bad_phone_text
from .i18n import current_language

Normalizer = Callable[[list[str]], list[str]]


def _default_normalizer() -> Normalizer:
    from ..protocol import normalize_phones

    return normalize_phones


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("errorText")
    label.setWordWrap(True)
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, "#d64545")
    label.setPalette(pal)
    label.hide()
    return label


class AddContactsDialog(QDialog):
    """Phones, one per line; good ones go to ``on_submit`` (e.g. ``bridge.add_contacts``).

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
    ) -> None:
        super().__init__(parent)
        self._on_submit = on_submit
        self._normalize = normalize or _default_normalizer()
        self.setWindowTitle(self.tr("Add contacts…"))
        self.setMinimumWidth(420)
        self.hint = QLabel(self.tr("+7 (9XX) XXX-XX-XX, one per line"), self)
        self.phones = QPlainTextEdit(self)
        self.phones.setPlaceholderText("+7 916 123-45-67\n8 903 555-01-02")
        self.phones.setTabChangesFocus(True)
        self.error = _error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Add"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.phones)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> bool:
        """Validate every line; on success hand the phones over and close."""
        texts = [line.strip() for line in self.phones.toPlainText().splitlines() if line.strip()]
        if not texts:
            self._show_error(self.tr("Enter at least one phone number."))
            return False
        try:
            phones = self._normalize(texts)
        except errors.InvalidPhone as exc:
            lang = current_language()
            self._show_error("\n".join(bad_phone_text(t, lang) for t in exc.texts))
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
        self.phones.setFocus()


class LoginDialog(QDialog):
    """Server, phone, SMS code and name; runs the injected async login steps.

    Args:
        request_code: ``async (server_url, phone)`` — asks the server to send a code.
        login: ``async (server_url, phone, code, name)`` — signs in; raise a
            ``KomandorError`` to show its message and keep the dialog open.

    Signals:
        submitted(dict): valid values {server_url, phone, code, name} (phone normalised).
    """

    submitted = Signal(dict)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        server_url: str = "",
        request_code: Callable[[str, str], Awaitable[Any]] | None = None,
        login: Callable[[str, str, str, str | None], Awaitable[Any]] | None = None,
        normalize_phone: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._request_code = request_code
        self._login = login
        self._normalize_phone = normalize_phone or _default_phone_normalizer()
        self._tasks: set[asyncio.Future[Any]] = set()
        self.setWindowTitle(self.tr("Sign in to Komandor"))
        self.setMinimumWidth(420)
        self.server = QLineEdit(server_url, self)
        self.server.setPlaceholderText("https://komandor.example.ru")
        self.phone = QLineEdit(self)
        self.phone.setInputMask("+7 (999) 999-99-99;_")
        self.code = QLineEdit(self)
        self.code.setValidator(QRegularExpressionValidator(r"\d{0,8}", self.code))
        self.name = QLineEdit(self)
        self.get_code = QPushButton(self.tr("Get code"), self)
        self.get_code.clicked.connect(self.send_code)
        self.error = _error_label(self)
        self.info = QLabel(self)
        self.info.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Server"), self.server)
        form.addRow(self.tr("Phone"), self.phone)
        form.addRow("", self.get_code)
        form.addRow(self.tr("Code from SMS"), self.code)
        form.addRow(self.tr("Name (optional)"), self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.info)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    # -- validation ---------------------------------------------------------

    def _server_url(self) -> str | None:
        text = self.server.text().strip()
        url = QUrl(text)
        if not url.isValid() or url.scheme() not in ("http", "https") or not url.host():
            self._show_error(self.tr("Enter the server address, e.g. https://komandor.example.ru"))
            return None
        return text.rstrip("/")

    def _phone(self) -> str | None:
        raw = self.phone.text()
        try:
            return self._normalize_phone(raw)
        except errors.InvalidPhone:
            shown = raw.replace("_", "").rstrip(" -()")
            self._show_error(bad_phone_text(shown, current_language()))
            return None

    def values(self) -> dict[str, Any] | None:
        """The checked form values, or None (an error is shown)."""
        server = self._server_url()
        phone = server and self._phone()
        if not server or not phone:
            return None
        code = self.code.text().strip()
        if len(code) < 4:
            self._show_error(self.tr("Enter the code from the SMS."))
            return None
        self.error.hide()
        return {"server_url": server, "phone": phone, "code": code,
                "name": self.name.text().strip() or None}

    # -- actions ------------------------------------------------------------

    def send_code(self) -> asyncio.Future[Any] | None:
        """Ask for an SMS code (server and phone must be valid)."""
        server = self._server_url()
        phone = server and self._phone()
        if not server or not phone or self._request_code is None:
            return None
        self.error.hide()
        return self._run(self._request_code(server, phone), self._code_sent)

    def submit(self) -> asyncio.Future[Any] | None:
        """Validate, emit ``submitted``, then run ``login`` if given (else accept)."""
        values = self.values()
        if values is None:
            return None
        self.submitted.emit(values)
        if self._login is None:
            self.accept()
            return None
        call = self._login(values["server_url"], values["phone"], values["code"], values["name"])
        return self._run(call, self.accept)

    def _code_sent(self) -> None:
        self.info.setText(self.tr("The code was sent by SMS."))
        self.info.show()
        self.code.setFocus()

    def _run(self, call: Awaitable[Any], on_success: Callable[[], None]) -> asyncio.Future[Any]:
        self._set_busy(True)
        task = asyncio.ensure_future(self._guarded(call, on_success))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, call: Awaitable[Any], on_success: Callable[[], None]) -> None:
        try:
            await call
        except errors.KomandorError as exc:
            self._show_error(getattr(exc, "message", None) or str(exc))
        else:
            on_success()
        finally:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        self.get_code.setEnabled(not busy)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def _default_phone_normalizer() -> Callable[[str], str]:
    from ..protocol import normalize_phone

    return normalize_phone
