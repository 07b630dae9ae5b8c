"""The status line: sync progress, last sync time, offline countdown, session state.

One widget in the window's QStatusBar with a coloured dot, a message, a
progress bar (only while syncing) and a [Retry] button (only when offline or
after an error). The offline countdown ticks once a second from the delay the
bridge reports; the bridge itself schedules the actual retry.

Signals:
    retryRequested(): the user pressed [Retry].
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ..texts import wrap_tooltip

COLORS = {
    "idle": "#9aa4b2",
    "syncing": "#2f7de1",
    "synced": "#2fa84f",
    "offline": "#e0a100",
    "error": "#d64545",
    "signed_out": "#d64545",
    "starting": "#9aa4b2",
    "restarting": "#e0a100",
    "worker_failed": "#d64545",
}

#: What the sync worker's state (``gui.worker.WorkerState``) shows, when it says more
#: than the passes do: a worker that is starting, restarting after a crash, or gone.
WORKER_STATES = {"starting": "starting", "crashed": "restarting", "failed": "worker_failed"}


class _Dot(QWidget):
    """A small round state light."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(10, 10)
        self.color = QColor(COLORS["idle"])

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.color)
        p.drawEllipse(1, 1, 8, 8)
        p.end()


class SyncStatus(QWidget):
    """Shows what the sync is doing, in the sentences of UI.md."""

    retryRequested = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(parent)
        self._clock = clock or (lambda: datetime.now().astimezone())
        self.state = "idle"
        self._args: tuple[int, ...] = ()
        self._offline_message = ""
        self._seconds_left = 0
        self.dot = _Dot(self)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar(self)
        self.progress.setFixedWidth(140)
        self.progress.setFixedHeight(8)
        self.progress.setTextVisible(False)
        self.retry = QPushButton(self)
        self.retry.setFlat(True)
        self.retry.setCursor(Qt.CursorShape.PointingHandCursor)
        self.retry.clicked.connect(self.retryRequested)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        row.setSpacing(8)
        row.addWidget(self.dot)
        row.addWidget(self.label)
        row.addWidget(self.progress)
        row.addWidget(self.retry)
        row.addStretch(1)
        self._render()

    # -- states -------------------------------------------------------------

    def show_progress(self, done: int, total: int) -> None:
        """ "Синхронизация ключей: {done} из {total}…" with a progress bar."""
        self._set("syncing", done, total)

    def show_synced(self, ms_time: int) -> None:
        """ "Ключи синхронизированы · {time}"."""
        self._set("synced", ms_time)

    def show_offline(self, message: str, retry_seconds: int) -> None:
        """ "Нет связи с сервером. Повтор через {seconds} с." and [Retry]."""
        self._offline_message = message
        self._seconds_left = max(0, int(retry_seconds))
        self._set("offline")
        self._ticker.start()

    def show_worker(self, worker_state: str) -> None:
        """The sync worker's lifecycle: starting, restarting after a crash, failed.

        A worker that is idle or syncing again clears what this showed; the
        passes' own messages (progress, synced, offline) then take over.
        """
        state = WORKER_STATES.get(worker_state)
        if state is not None:
            if state != "starting" or self.state == "idle":
                self._set(state)
        elif self.state in WORKER_STATES.values():
            self._set("idle")

    def show_signed_out(self) -> None:
        self._set("signed_out")

    def show_error(self, message: str) -> None:
        self._offline_message = message
        self._set("error")

    def _set(self, state: str, *args: int) -> None:
        self.state = state
        self._args = args
        if state != "offline":
            self._ticker.stop()
        self._render()

    def _tick(self) -> None:
        self._seconds_left = max(0, self._seconds_left - 1)
        if self._seconds_left == 0:
            self._ticker.stop()
        self._render()

    @property
    def seconds_left(self) -> int:
        return self._seconds_left

    # -- words --------------------------------------------------------------

    def _render(self) -> None:
        self.dot.color = QColor(COLORS[self.state])
        self.dot.update()
        self.progress.setVisible(self.state == "syncing")
        self.retry.setVisible(self.state in ("offline", "error"))
        self.retry.setText(self.tr("Retry"))
        text = self._text()
        self.label.setText(text)
        failed = self.state in ("offline", "error")
        self.label.setToolTip(wrap_tooltip(self._offline_message) if failed else "")
        self.setAccessibleDescription(text)
        if self.state == "syncing":
            done, total = self._args
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(min(done, max(total, 1)))

    def _text(self) -> str:
        if self.state == "syncing":
            done, total = self._args
            return self.tr("Syncing keys: {done} of {total}…").format(done=done, total=total)
        if self.state == "synced":
            when = datetime.fromtimestamp(self._args[0] / 1000).astimezone()
            return self.tr("Keys in sync · {time}").format(time=when.strftime("%H:%M"))
        if self.state == "offline":
            return self.tr("Server unreachable. Retrying in {seconds} s.").format(
                seconds=self._seconds_left
            )
        if self.state == "signed_out":
            return self.tr("Session expired — please sign in again.")
        if self.state == "error":
            return self.tr("Sync failed: {message}").format(message=self._offline_message)
        if self.state == "starting":
            return self.tr("Starting the sync…")
        if self.state == "restarting":
            return self.tr("The sync stopped unexpectedly and is restarting…")
        if self.state == "worker_failed":
            return self.tr("The sync cannot start: the profile does not open.")
        return ""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)
