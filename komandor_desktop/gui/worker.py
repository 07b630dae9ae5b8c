"""The window's side of the sync worker process (``komandor_desktop.worker``).

``ProcessWorker`` starts ``python -m komandor_desktop.worker`` with
``QProcess`` (its output arrives as Qt events: no thread of ours reads a
pipe), hands it the profile with ``Open``, and turns ``sync()`` calls into
``SyncNow`` commands whose outcome event it awaits. The worker's other events
go to ``on_event`` (the bridge). The worker's standard error is the window's.

Its lifecycle is explicit (``WorkerState``) and shown by the window: a worker
that exits without being asked to has crashed; a pass it was running ends as
``Failed``, and it is started again after a back-off (1, 2, 5, 10, 30 s; the
count resets once a pass succeeds). A worker that cannot open the profile
(exit 3) is not restarted.

Signals:
    stateChanged(str): a ``WorkerState`` value.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ..worker.contract import (
    EVENTS,
    OUTCOMES,
    ContractError,
    Failed,
    Finished,
    Message,
    Open,
    Ready,
    Started,
    Stop,
    Stopped,
    SyncNow,
    decode,
    encode,
)
from ..worker.main import EXIT_NO_PROFILE

log = logging.getLogger(__name__)

RESTART_DELAYS_S = (1, 2, 5, 10, 30)
STOP_TIMEOUT_S = 10.0


class WorkerState(StrEnum):
    """Where the worker process is in its life."""

    STARTING = "starting"  # started, not Ready yet
    IDLE = "idle"  # Ready, no pass running
    SYNCING = "syncing"  # a pass runs
    CRASHED = "crashed"  # exited unasked; a restart is scheduled
    FAILED = "failed"  # cannot open the profile; not restarted
    STOPPED = "stopped"  # stopped by ``aclose`` (or never started)


def worker_command() -> list[str]:
    """The command line of the worker process (the same interpreter as the window).

    A frozen build (PyInstaller) has no interpreter to run ``-m`` with: its
    executable starts the worker when given ``--sync-worker`` (packaging/entry.py).
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "--sync-worker"]
    return [sys.executable, "-m", "komandor_desktop.worker"]


class ProcessWorker(QObject):
    """The sync engine in a process of its own, behind the bridge's worker interface.

    Args:
        home: the profile's home.
        passphrase: its passphrase (sent over the pipe in ``Open``).
        command: the worker's command line (tests may wrap it).
        environment: variables added to the worker's environment (the self-test's
            ``KOMANDOR_POOL_MIN``); the rest is this process's.
        restart_delays: seconds before each restart after a crash.
    """

    stateChanged = Signal(str)

    def __init__(self, home: str, passphrase: str, *, command: Sequence[str] | None = None,
                 environment: Mapping[str, str] | None = None,
                 restart_delays: Sequence[float] = RESTART_DELAYS_S,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.on_event: Callable[[Message], None] | None = None
        self._open = Open(home, passphrase)
        self._command = list(command or worker_command())
        self._environment = dict(environment or {})
        self._delays = tuple(restart_delays)
        self._crashes = 0
        self._state = WorkerState.STOPPED
        self._process: QProcess | None = None
        self._ready: asyncio.Future[bool] | None = None  # False: it died first
        self._outcome: asyncio.Future[Message] | None = None
        self._exited: asyncio.Future[None] | None = None
        self._stopping = False
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self.start)

    @property
    def state(self) -> WorkerState:
        return self._state

    @property
    def pid(self) -> int | None:
        """The worker process's id while it runs."""
        if self._process is None or self._process.state() is QProcess.ProcessState.NotRunning:
            return None
        return int(self._process.processId())

    def _set_state(self, state: WorkerState) -> None:
        if state is not self._state:
            self._state = state
            self.stateChanged.emit(state.value)

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Start the process (again) and hand it the profile."""
        if self._stopping or self.pid is not None:
            return
        loop = asyncio.get_event_loop()
        self._ready = loop.create_future()
        self._exited = loop.create_future()
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedErrorChannel)
        if self._environment:
            env = QProcessEnvironment.systemEnvironment()
            for name, value in self._environment.items():
                env.insert(name, value)
            process.setProcessEnvironment(env)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self._process = process
        self._set_state(WorkerState.STARTING)
        process.start(self._command[0], self._command[1:])
        process.write(encode(self._open))

    async def aclose(self) -> None:
        """Ask the worker to stop, wait for it (then kill it), and never restart it."""
        self._stopping = True
        self._restart.stop()
        process = self._process
        if process is not None and process.state() is not QProcess.ProcessState.NotRunning:
            process.write(encode(Stop()))
            process.closeWriteChannel()
            assert self._exited is not None
            try:
                await asyncio.wait_for(asyncio.shield(self._exited), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("the sync worker did not stop in %.0f s; killing it", STOP_TIMEOUT_S)
                process.kill()
                process.waitForFinished(2000)
        self._settle_outcome(Failed("the sync worker was stopped"))
        self._set_state(WorkerState.STOPPED)

    # -- passes ---------------------------------------------------------------

    async def sync(self, phones: tuple[str, ...] = ()) -> Message:
        """One pass in the worker; its outcome event (``Failed`` if the worker dies)."""
        if self._state in (WorkerState.STOPPED, WorkerState.CRASHED) and not self._stopping:
            self._restart.stop()
            self.start()
        if self._state is WorkerState.FAILED or self._stopping or self._ready is None:
            return Failed("the sync worker is not running")
        if not await asyncio.shield(self._ready) or self._process is None:
            return Failed("the sync worker stopped before it was ready")
        self._outcome = asyncio.get_running_loop().create_future()
        self._process.write(encode(SyncNow(tuple(phones))))
        return await asyncio.shield(self._outcome)

    def _settle_outcome(self, message: Message) -> None:
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(message)

    # -- what the process says ------------------------------------------------

    def _read(self) -> None:
        process = self._process
        if process is None:
            return
        while process.canReadLine():
            line = bytes(process.readLine().data())
            try:
                message = decode(line, EVENTS)
            except ContractError as exc:
                log.warning("the sync worker said something else: %s", exc)
                continue
            self._handle(message)

    def _handle(self, message: Message) -> None:
        if isinstance(message, Ready):
            self._set_state(WorkerState.IDLE)
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(True)
        elif isinstance(message, Started):
            self._set_state(WorkerState.SYNCING)
        elif isinstance(message, OUTCOMES):
            if isinstance(message, Finished):
                self._crashes = 0
            if self._state is WorkerState.SYNCING:
                self._set_state(WorkerState.IDLE)
            waiting = self._outcome is not None and not self._outcome.done()
            self._settle_outcome(message)
            if not waiting and self.on_event is not None:
                self.on_event(message)  # e.g. a Failed at Open: no pass is waiting
        elif not isinstance(message, Stopped) and self.on_event is not None:
            self.on_event(message)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error is QProcess.ProcessError.FailedToStart:
            log.error("the sync worker could not be started: %s", self._command)
            self._finished(-1, QProcess.ExitStatus.CrashExit)

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(None)
        self._process = None
        if self._stopping:
            return
        if code == EXIT_NO_PROFILE:
            self._set_state(WorkerState.FAILED)
            self._fail_waiters("the sync worker cannot open the profile")
            return
        delay = self._delays[min(self._crashes, len(self._delays) - 1)]
        self._crashes += 1
        log.warning("the sync worker stopped unexpectedly (exit %s); restart in %s s", code, delay)
        self._set_state(WorkerState.CRASHED)
        self._fail_waiters(f"the sync worker stopped unexpectedly (exit {code})")
        self._restart.start(int(delay * 1000))

    def _fail_waiters(self, reason: str) -> None:
        self._settle_outcome(Failed(reason))
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(False)
