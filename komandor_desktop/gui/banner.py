"""The banner above the list when the server cannot be reached or sign-in has expired.

The status line says it too, in a few words at the bottom edge; a person who
opens the window in the morning and sees yesterday's list needs it said where
they look: that the list may be out of date, since when, and what to do. The
banner says so in words, with [Повторить] and the time of the last successful
sync, and goes away by itself when a pass succeeds.

Signals:
    retryRequested(): the user pressed [Retry].
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from ..texts import format_time
from .i18n import current_language


class ConnectionBanner(QFrame):
    """Hidden while syncs succeed; says why the list may be stale when they do not."""

    retryRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self._clock = clock or (lambda: datetime.now().astimezone())
        self.state = "hidden"  # hidden | offline | signed_out
        self._last_ok_ms: int | None = None
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.retry = QPushButton(self)
        self.retry.setObjectName("bannerButton")
        self.retry.setCursor(Qt.CursorShape.PointingHandCursor)
        self.retry.clicked.connect(self.retryRequested)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        row.setSpacing(10)
        row.addWidget(self.label, 1)
        row.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignVCenter)
        self._render()

    # -- what the bridge says ------------------------------------------------

    def synced(self, ms_time: int) -> None:
        """A pass succeeded: remember when, and go away."""
        self._last_ok_ms = int(ms_time)
        self._set("hidden")

    def offline(self, _message: str = "", _retry_seconds: int = 0) -> None:
        """The server cannot be reached (the bridge retries by itself meanwhile)."""
        self._set("offline")

    def signed_out(self) -> None:
        """Neither the token nor the certificate sign-in worked."""
        self._set("signed_out")

    def _set(self, state: str) -> None:
        self.state = state
        self._render()

    # -- words ---------------------------------------------------------------

    def _render(self) -> None:
        self.setVisible(self.state != "hidden")
        self.retry.setText(self.tr("Retry"))
        self.retry.setAccessibleName(self.tr("Retry"))
        if self.state == "hidden":
            return
        if self.state == "offline":
            first = self.tr("No connection to the server: the list may be out of date.")
        else:
            first = self.tr("Sign-in has expired: the list is not updated.")
        text = f"{first} {self._since()}"
        self.label.setText(text)
        self.setAccessibleName(text)

    def _since(self) -> str:
        if self._last_ok_ms is None:
            return self.tr("It has not been synced on this device yet.")
        when = format_time(self._last_ok_ms, now=self._clock(), lang=current_language())
        if ":" not in when:  # not today: the day, then the time of day
            time_of_day = datetime.fromtimestamp(self._last_ok_ms / 1000).astimezone()
            when = f"{when} {time_of_day.strftime('%H:%M')}"
        return self.tr("Last successful sync: {time}.").format(time=when)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)
