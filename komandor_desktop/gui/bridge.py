"""The one adapter between the asyncio sync engine and Qt (Electrum's QtEventListener).

``SyncBridge`` runs ``engine.sync(...)`` as tasks on the qasync loop — at
start, every ``interval_ms``, on demand, after contacts were added, and after
an offline back-off — and re-emits what happens as typed Signals. The engine
reports progress through a plain callable, ``bridge.listener(event)``, which
the composition root passes to ``SyncEngine(listener=...)``; events are read
by duck typing (``kind``, ``done``, ``total``, ``message``, ``delay``).

Only one pass runs at a time; requests made meanwhile are merged into one
follow-up pass (their phones too). Task references are kept here: qasync
0.28 keeps only weak ones (qasync #159).

Signals:
    viewsChanged(object): a fresh list after a pass or an event: ``list[ChatView]``, or
        a ``ChatListing`` whose views are built when shown.
    progress(int, int): keys done / total of the running pass.
    syncFinished(qint64): a pass succeeded, at this Unix ms time.
    offline(str, int): the server is unreachable; message, seconds to retry.
    signedOut(): the session cannot be renewed; sign in again.
    error(str): a pass failed for another reason.
    busyChanged(bool): a pass started (True) or ended (False).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from .. import errors

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (5, 15, 30, 60, 120)


class Engine(Protocol):
    """What the bridge needs of ``sync.SyncEngine``."""

    async def sync(self, *args: Any, **kwargs: Any) -> Any: ...


class SyncBridge(QObject):
    """Runs the sync engine on the Qt event loop and reports through Signals.

    Args:
        engine: the sync engine (``async def sync(max_rounds=..., phones=...)``);
            may be set later with ``set_engine`` when the engine needs ``listener``.
        views: returns the current ``list[ChatView]`` (the lead's ``build_views``).
        interval_ms: period of background passes; 0 disables the timer.
        clock_ms: "now" in Unix ms, injectable for tests.
    """

    viewsChanged = Signal(object)  # list[ChatView] or a ChatListing (views on demand)
    progress = Signal(int, int)
    syncFinished = Signal("qint64")  # type: ignore[arg-type]  # 64-bit: Unix ms overflow int
    offline = Signal(str, int)
    signedOut = Signal()
    error = Signal(str)
    busyChanged = Signal(bool)

    def __init__(
        self,
        engine: Engine | None = None,
        views: Callable[[], Sequence[Any]] | None = None,
        *,
        interval_ms: int = 30_000,
        clock_ms: Callable[[], int] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._views = views
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._tasks: set[asyncio.Task[None]] = set()
        self._build: asyncio.Future[None] | None = None  # views built in a worker thread
        self._views_stale = False  # asked for again while a build runs
        self._running = False
        self._again: list[str] | None = None  # phones of a merged follow-up pass
        self._failures = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.request_sync)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setTimerType(Qt.TimerType.PreciseTimer)
        self._retry.timeout.connect(self.request_sync)

    # -- wiring -------------------------------------------------------------

    def set_engine(self, engine: Engine) -> None:
        """Attach the engine (built after the bridge, since it takes ``listener``)."""
        self._engine = engine

    @property
    def busy(self) -> bool:
        return self._running

    def start(self) -> None:
        """First pass now, then one every ``interval_ms``."""
        if self._timer.interval() > 0:
            self._timer.start()
        self.request_sync()

    def stop(self) -> None:
        """No new passes: timers stop; a running pass finishes (see ``aclose``)."""
        self._timer.stop()
        self._retry.stop()

    async def aclose(self) -> None:
        """Stop and cancel what runs; awaited by the app before the loop ends."""
        self.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- passes -------------------------------------------------------------

    def request_sync(self, phones: Sequence[str] = ()) -> asyncio.Task[None] | None:
        """Start a pass (with ``phones`` to add), or merge into the running one's follow-up.

        Returns the new task, or None when merged.
        """
        self._retry.stop()
        if self._running:
            self._again = [*(self._again or []), *phones]
            return None
        if self._engine is None:
            self.error.emit("sync engine not attached")
            return None
        self._running = True
        self.busyChanged.emit(True)
        task = asyncio.ensure_future(self._pass(list(phones)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def add_contacts(self, phones: Sequence[str]) -> asyncio.Task[None] | None:
        """A pass that asks the server for chats with these normalised phones."""
        return self.request_sync(phones)

    async def _pass(self, phones: list[str]) -> None:
        finished = False  # a successful pass shows its views before syncFinished
        try:
            finished = await self._run_engine(phones)
        finally:
            self._running = False
            self.busyChanged.emit(False)
            if not finished:
                await self.refresh_views_async()
            again, self._again = self._again, None
            if again is not None:
                self.request_sync(again)

    async def _run_engine(self, phones: list[str]) -> bool:
        assert self._engine is not None
        try:
            if phones:
                await self._engine.sync(phones=tuple(phones))
            else:
                await self._engine.sync()
        except asyncio.CancelledError:
            raise
        except (errors.Unauthorized, errors.IdentityError):
            self.stop()
            self.signedOut.emit()
        except errors.TransportError as exc:
            self._went_offline(str(exc))
        except errors.KomandorError as exc:
            self.error.emit(str(exc))
        except Exception as exc:  # the loop must survive any engine bug
            log.exception("sync pass failed")
            self.error.emit(f"{type(exc).__name__}: {exc}")
        else:
            self._failures = 0
            await self.refresh_views_async()
            self.syncFinished.emit(self._clock_ms())
            return True
        return False

    def _went_offline(self, message: str) -> None:
        delay = BACKOFF_SECONDS[min(self._failures, len(BACKOFF_SECONDS) - 1)]
        self._failures += 1
        self._retry.start(delay * 1000)
        self.offline.emit(message, delay)

    def refresh_views(self) -> None:
        """Emit ``viewsChanged`` with the current views (also after a language switch)."""
        if self._views is None:
            return
        try:
            views = self._views()
        except Exception as exc:
            log.exception("building the chat views failed")
            self.error.emit(f"{type(exc).__name__}: {exc}")
            return
        self.viewsChanged.emit(views)

    async def refresh_views_async(self) -> None:
        """``refresh_views`` with the views built in a worker thread; returns once shown.

        Reading thousands of chats and checking their keys takes hundreds of
        milliseconds: on the event loop that would freeze the window. Requests
        made while a build runs are merged into one more build after it.
        """
        if self._views is None:
            return
        self._views_stale = True
        if self._build is None or self._build.done():
            self._build = asyncio.ensure_future(self._build_views())
            self._tasks.add(self._build)
            self._build.add_done_callback(self._tasks.discard)
        await asyncio.shield(self._build)

    async def _build_views(self) -> None:
        assert self._views is not None
        while self._views_stale:
            self._views_stale = False
            try:
                views = await asyncio.to_thread(self._views)
            except Exception as exc:
                log.exception("building the chat views failed")
                self.error.emit(f"{type(exc).__name__}: {exc}")
                return
            self.viewsChanged.emit(views)

    def _refresh_views_soon(self) -> None:
        task = asyncio.ensure_future(self.refresh_views_async())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- engine events ------------------------------------------------------

    def listener(self, event: Any) -> None:
        """Callable for ``SyncEngine(listener=...)``: translate one event to Signals.

        "refreshed" shows new chats as soon as the store has them (save first,
        then notify). Outcome events ("done", "error", "offline", "signed_out")
        of a pass this bridge runs are reported from the pass's result instead,
        so each outcome is emitted once.
        """
        kind = str(getattr(event, "kind", "") or "")
        if kind == "progress":
            self.progress.emit(int(getattr(event, "done", 0) or 0),
                               int(getattr(event, "total", 0) or 0))
        elif kind == "retry":
            delay = float(getattr(event, "delay", 0) or 0)
            self.offline.emit(str(getattr(event, "message", "") or ""), math.ceil(delay))
        elif kind == "refreshed" or (kind == "done" and not self._running):
            self._refresh_views_soon()
        elif self._running:
            return
        elif kind == "error":
            self.error.emit(str(getattr(event, "message", "") or ""))
        elif kind == "offline":
            self._went_offline(str(getattr(event, "message", "") or ""))
        elif kind == "signed_out":
            self.signedOut.emit()
