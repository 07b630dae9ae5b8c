"""The one adapter between the sync worker and Qt (Electrum's QtEventListener).

``SyncBridge`` asks its worker for sync passes — at start, every
``interval_ms``, on demand, after contacts were added, and after an offline
back-off — and re-emits what happens as typed Signals. The worker speaks the
contract of ``worker/contract.py``: ``await worker.sync(phones)`` returns the
pass's outcome (``Finished``, ``Offline``, ``SignedOut`` or ``Failed``), and
the events during a pass (``Progress``, ``Retrying``, ``ChatsChanged``)
arrive at ``on_event``. The window's worker is a process of its own
(``gui/worker.py``); ``worker.passes.InProcessWorker`` runs an engine on
this loop behind the same interface (tests, benchmarks).

Only one pass runs at a time; requests made meanwhile are merged into one
follow-up pass (their phones too). Task references are kept here: qasync
0.28 keeps only weak ones (qasync #159).

Signals:
    viewsChanged(object): a fresh list after a pass or an event: ``list[ChatView]``, or
        a ``ChatListing`` whose views are built when shown.
    progress(int, int): keys done / total of the running pass.
    syncFinished(qint64): a pass succeeded, at this Unix ms time.
    offline(str, int): the server is unreachable; message, seconds to retry (also
        while a pass retries a request by itself).
    unreachable(str, int): a pass gave up on the server; message, seconds until
        the bridge's own retry (the banner above the list shows then).
    signedOut(): the session cannot be renewed; sign in again.
    error(str): a pass failed for another reason.
    busyChanged(bool): a pass started (True) or ended (False).
    workerStateChanged(str): the worker's lifecycle (``gui.worker.WorkerState``
        values), for a worker that has one (the worker process).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..worker.contract import (
    ChatsChanged,
    Failed,
    Finished,
    Message,
    Offline,
    Progress,
    Retrying,
    SignedOut,
)

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (5, 15, 30, 60, 120)


class SyncWorker(Protocol):
    """What the bridge needs of a worker (``ProcessWorker``, ``InProcessWorker``)."""

    on_event: Callable[[Message], None] | None

    async def sync(self, phones: tuple[str, ...] = ()) -> Message: ...

    async def aclose(self) -> None: ...


class SyncBridge(QObject):
    """Runs the sync engine on the Qt event loop and reports through Signals.

    Args:
        worker: the sync worker (may be set later with ``set_worker``).
        views: returns the current ``list[ChatView]`` or a ``ChatListing``.
        interval_ms: period of background passes; 0 (the default) disables the timer
            (the window passes ``ClientConfig.sync_interval_ms``).
        clock_ms: "now" in Unix ms, injectable for tests.
    """

    viewsChanged = Signal(object)  # list[ChatView] or a ChatListing (views on demand)
    progress = Signal(int, int)
    syncFinished = Signal("qint64")  # type: ignore[arg-type]  # 64-bit: Unix ms overflow int
    offline = Signal(str, int)
    unreachable = Signal(str, int)
    signedOut = Signal()
    error = Signal(str)
    busyChanged = Signal(bool)
    workerStateChanged = Signal(str)

    def __init__(
        self,
        worker: SyncWorker | None = None,
        views: Callable[[], Sequence[Any]] | None = None,
        *,
        interval_ms: int = 0,
        clock_ms: Callable[[], int] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._worker: SyncWorker | None = None
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
        if worker is not None:
            self.set_worker(worker)

    # -- wiring -------------------------------------------------------------

    def set_worker(self, worker: SyncWorker) -> None:
        """Attach the worker; its events come to ``on_event`` from now on."""
        self._worker = worker
        worker.on_event = self.on_event
        state_changed = getattr(worker, "stateChanged", None)
        if state_changed is not None:  # the worker process reports its lifecycle
            state_changed.connect(self.workerStateChanged)

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
        """Stop, cancel what runs, close the worker; awaited before the loop ends."""
        self.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._worker is not None:
            await self._worker.aclose()

    # -- passes -------------------------------------------------------------

    def request_sync(self, phones: Sequence[str] = ()) -> asyncio.Task[None] | None:
        """Start a pass (with ``phones`` to add), or merge into the running one's follow-up.

        Returns the new task, or None when merged.
        """
        self._retry.stop()
        if self._running:
            self._again = [*(self._again or []), *phones]
            return None
        if self._worker is None:
            self.error.emit("sync worker not attached")
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
            finished = await self._run_pass(phones)
        finally:
            self._running = False
            self.busyChanged.emit(False)
            if not finished:
                await self.refresh_views_async()
            again, self._again = self._again, None
            if again is not None:
                self.request_sync(again)

    async def _run_pass(self, phones: list[str]) -> bool:
        """One pass in the worker; True when it succeeded (its views shown first)."""
        assert self._worker is not None
        outcome = await self._worker.sync(tuple(phones))
        if isinstance(outcome, Finished):
            self._failures = 0
            await self.refresh_views_async()
            self.syncFinished.emit(outcome.at_ms or self._clock_ms())
            return True
        self._report(outcome)
        return False

    def _report(self, outcome: Message) -> None:
        """The Signal of a pass's failed outcome (each outcome is reported once)."""
        if isinstance(outcome, SignedOut):
            self.stop()
            self.signedOut.emit()
        elif isinstance(outcome, Offline):
            self._went_offline(outcome.message)
        elif isinstance(outcome, Failed):
            self.error.emit(outcome.message)

    def _went_offline(self, message: str) -> None:
        delay = BACKOFF_SECONDS[min(self._failures, len(BACKOFF_SECONDS) - 1)]
        self._failures += 1
        self._retry.start(delay * 1000)
        self.offline.emit(message, delay)
        self.unreachable.emit(message, delay)

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

    # -- worker events ------------------------------------------------------

    def on_event(self, message: Message) -> None:
        """What the worker tells between outcomes, as Signals.

        ``ChatsChanged`` shows new chats as soon as the store has them (save
        first, then notify). An outcome that arrives outside a pass (the
        worker could not open the profile) is reported like a pass's.
        """
        if isinstance(message, Progress):
            self.progress.emit(message.done, message.total)
        elif isinstance(message, Retrying):
            self.offline.emit(message.message, math.ceil(message.delay))
        elif isinstance(message, ChatsChanged):
            self._refresh_views_soon()
        elif isinstance(message, Failed | Offline | SignedOut) and not self._running:
            self._report(message)
