"""The sign-in dialog: server, phone, SMS code and name.

It checks its input with the protocol's own normalisation before anything
leaves it (a bad phone shows the UI.md sentence and nothing is sent), and
runs the injected async steps (asking for a code, signing in), so it holds
no network code and tests drive it directly.

The phone field takes whatever people type or paste (``+7 (999) …``,
``8 999 …``, bare digits): an input mask would shift pasted digits into the
wrong slots, so the number is normalised on use and only re-formatted for
the eye.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import errors
from ..texts import bad_phone_text, format_phone
from .dialogkit import PHONE_FORMAT, TaskSet, add_form_row, error_label, grow_to_fit
from .i18n import current_language


def _default_phone_normalizer() -> Callable[[str], str]:
    from ..protocol import normalize_phone

    return normalize_phone


class LoginDialog(QDialog):
    """Server, phone, SMS code and name; runs the injected async login steps.

    Args:
        request_code: ``async (server_url, phone)`` — asks the server to send a
            code; without it the "Get code" button is not shown. Raise
            ``RateLimited`` to start the countdown from its ``retry_after``.
        login: ``async (server_url, phone, code, name)`` — signs in; raise a
            ``KomandorError`` to show its message and keep the dialog open.
        resend_seconds: how long "Get code" stays off after a code was sent,
            so an impatient second click does not void the first SMS.

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
        resend_seconds: int = 60,
    ) -> None:
        super().__init__(parent)
        self._request_code = request_code
        self._login = login
        self._normalize_phone = normalize_phone or _default_phone_normalizer()
        self._resend_seconds = resend_seconds
        self._tasks = TaskSet()
        self._busy = False
        self._requested: set[tuple[str, str]] = set()
        self._countdown_for: tuple[str, str] | None = None
        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.setWindowTitle(self.tr("Sign in to Komandor"))
        self.setMinimumWidth(460)
        self._build(server_url)
        self._update_get_code()

    def _build(self, server_url: str) -> None:
        self.server = QLineEdit(server_url, self)
        self.server.setPlaceholderText("https://komandor.example.ru")
        self.server.setAccessibleName(self.tr("Server address"))
        self.phone = QLineEdit(self)
        self.phone.setPlaceholderText(PHONE_FORMAT)
        self.phone.setAccessibleName(self.tr("Phone number"))
        self.phone.editingFinished.connect(self._format_phone)
        self.server.textChanged.connect(self._update_get_code)
        self.phone.textChanged.connect(self._update_get_code)
        self.get_code = QPushButton(self)
        self.get_code.clicked.connect(self.send_code)
        self.get_code.setVisible(self._request_code is not None)
        self.code = QLineEdit(self)
        self.code.setValidator(QRegularExpressionValidator(r"\d{0,8}", self.code))
        self.code.setAccessibleName(self.tr("Code from SMS"))
        self.name = QLineEdit(self)
        self.name.setAccessibleName(self.tr("Name (optional)"))
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.info.hide()
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        ok.setText(self.tr("Sign in"))
        ok.setAccessibleName(self.tr("Sign in"))
        ok.setDefault(True)
        cancel.setText(self.tr("Cancel"))
        cancel.setAccessibleName(self.tr("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self._lay_out(ok, cancel)

    def _lay_out(self, ok: QPushButton, cancel: QPushButton) -> None:
        form = QFormLayout()
        add_form_row(form, self.tr("Server"), self.server)
        add_form_row(form, self.tr("Phone"), self.phone)
        form.addRow("", self.get_code)
        add_form_row(form, self.tr("Code from SMS"), self.code)
        add_form_row(form, self.tr("Name (optional)"), self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.info)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        # the order of the steps, whatever the button box's platform layout is
        chain = [self.server, self.phone, self.get_code, self.code, self.name, ok, cancel]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # -- validation ---------------------------------------------------------

    @staticmethod
    def _parse_server(text: str) -> str | None:
        text = text.strip()
        url = QUrl(text)
        if not url.isValid() or url.scheme() not in ("http", "https") or not url.host():
            return None
        return text.rstrip("/")

    def _parse_phone(self, text: str) -> str | None:
        try:
            return self._normalize_phone(text)
        except errors.InvalidPhone:
            return None

    def _server_url(self) -> str | None:
        server = self._parse_server(self.server.text())
        if server is None:
            self._show_error(self.tr("Enter the server address, e.g. https://komandor.example.ru"))
        return server

    def _phone(self) -> str | None:
        phone = self._parse_phone(self.phone.text())
        if phone is None:
            self._show_error(bad_phone_text(self.phone.text().strip(), current_language()))
        return phone

    def _current_pair(self) -> tuple[str, str] | None:
        server = self._parse_server(self.server.text())
        phone = self._parse_phone(self.phone.text())
        return (server, phone) if server and phone else None

    def _format_phone(self) -> None:
        phone = self._parse_phone(self.phone.text())
        if phone is not None and self.phone.text() != format_phone(phone):
            self.phone.setText(format_phone(phone))

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

    def code_requested_for(self, server_url: str, phone: str) -> bool:
        """Whether this dialog got a code sent for that server and phone.

        The caller's login then skips its own request: a second one could
        void the SMS the user is reading.
        """
        pair = (self._parse_server(server_url), self._parse_phone(phone))
        return pair in self._requested

    @property
    def code_requested(self) -> bool:
        """``code_requested_for`` the server and phone now in the fields."""
        return self._current_pair() in self._requested

    # -- actions ------------------------------------------------------------

    def send_code(self) -> asyncio.Future[Any] | None:
        """Ask for an SMS code (server and phone must be valid)."""
        server = self._server_url()
        phone = server and self._phone()
        if not server or not phone or self._request_code is None:
            return None
        self.error.hide()
        return self._run(self._request(server, phone), lambda: None)

    async def _request(self, server: str, phone: str) -> None:
        assert self._request_code is not None
        try:
            await self._request_code(server, phone)
        except errors.RateLimited as exc:
            wait = exc.retry_after
            seconds = math.ceil(wait) if wait and wait > 0 else self._resend_seconds
            self._start_countdown((server, phone), seconds)
            self._show_error(self.tr(
                "The server asks to wait: you can ask for a new code in {seconds} s."
            ).format(seconds=seconds))
            return
        self._requested.add((server, phone))
        self._start_countdown((server, phone), self._resend_seconds)
        self.info.setText(self.tr("The code was sent to {phone}").format(phone=format_phone(phone)))
        self.info.show()
        grow_to_fit(self)
        self.code.setFocus()

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

    def done(self, result: int) -> None:
        self._tasks.cancel()
        self._timer.stop()
        super().done(result)

    def _run(self, call: Awaitable[Any], on_success: Callable[[], None]) -> asyncio.Future[Any]:
        self._set_busy(True)
        return self._tasks.start(self._guarded(call, on_success))

    async def _guarded(self, call: Awaitable[Any], on_success: Callable[[], None]) -> None:
        try:
            await call
        except errors.KomandorError as exc:
            self._show_error(getattr(exc, "message", None) or str(exc))
        else:
            on_success()
        finally:
            self._set_busy(False)

    # -- the "Get code" button ------------------------------------------------

    def _start_countdown(self, pair: tuple[str, str], seconds: int) -> None:
        self._countdown_for = pair
        self._remaining = seconds
        self._timer.start()
        self._update_get_code()

    def _tick(self) -> None:
        self._remaining -= 1
        if self._remaining <= 0:
            self._timer.stop()
        self._update_get_code()

    def _update_get_code(self) -> None:
        """Text and state of "Get code" for the server and phone now typed in.

        The countdown belongs to the number it was started for: after fixing
        a mistyped phone the user can ask for the right one at once.
        """
        pair = self._current_pair()
        waiting = pair is not None and pair == self._countdown_for and self._remaining > 0
        if waiting:
            text = self.tr("Send again in {seconds} s").format(seconds=self._remaining)
        elif pair is not None and pair in self._requested:
            text = self.tr("Send the code again")
        else:
            text = self.tr("Get code")
        self.get_code.setText(text)
        self.get_code.setAccessibleName(text)
        self.get_code.setEnabled(not waiting and not self._busy)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.buttons.setEnabled(not busy)
        self._update_get_code()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        grow_to_fit(self)
