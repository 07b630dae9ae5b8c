"""How the window's process ends: one quit path for the menu, the window, and signals.

Qt's own ways out (the last window closing, ``QApplication.quit()``) stop the
event loop under the running coroutine: qasync then raises "Event loop
stopped before Future completed", and whatever cleanup was still to await
(closing HTTP, stopping the crypto workers and the demo's emulator) runs
without a loop and ends in a traceback. So the app never lets Qt quit on its
own (``setQuitOnLastWindowClosed(False)``); every way out — Quit in the menu,
Ctrl+Q, closing the window, SIGTERM, SIGINT, SIGHUP — calls one callback,
which makes the main coroutine finish its cleanup and return, and only then
does the loop stop.

Signals reach Python only when Python code runs; a Qt loop that sleeps in C++
would sit on a SIGTERM until its next timer. ``signal.set_wakeup_fd`` makes
the C-level handler write a byte to a socket that a ``QSocketNotifier``
watches, so the loop wakes at once; the byte is the signal's number, which
is what the slot acts on (the Python-level handler itself does nothing).
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from PySide6.QtCore import QSocketNotifier

QUIT_SIGNALS = tuple(
    sig for sig in (getattr(signal, name, None) for name in ("SIGTERM", "SIGINT", "SIGHUP"))
    if sig is not None
)


class QuitOnSignals:
    """While entered, SIGTERM/SIGINT/SIGHUP call ``on_quit`` on the Qt thread.

    Args:
        on_quit: called with no arguments, once per signal received.

    Usage::

        with QuitOnSignals(runner.request_quit):
            qasync.run(runner.main(app))
    """

    def __init__(self, on_quit: Callable[[], None]) -> None:
        self._on_quit = on_quit
        self._previous: dict[int, Any] = {}
        self._old_fd = -1
        self._pair: tuple[socket.socket, socket.socket] | None = None
        self._notifier: QSocketNotifier | None = None

    def __enter__(self) -> QuitOnSignals:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._pair = (reader, writer)
        self._old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        for sig in QUIT_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        signal.set_wakeup_fd(self._old_fd)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
        if self._pair is not None:
            for end in self._pair:
                end.close()

    @staticmethod
    def _handle(_signum: int, _frame: FrameType | None) -> None:
        """Replaces the default handlers (SIGINT's KeyboardInterrupt, SIGTERM's death).

        It runs between two bytecodes of whatever Python code was running, so
        it does nothing; the wake-up byte brings the signal to ``_drain``.
        """

    def _drain(self, *_: object) -> None:
        assert self._pair is not None
        received = b""
        try:
            while chunk := self._pair[0].recv(512):
                received += chunk
        except (BlockingIOError, InterruptedError):
            pass
        for number in received:
            if number in QUIT_SIGNALS:
                self._on_quit()
