"""``komandor-desktop --self-test``: prove that this installation works, then exit.

Made for installers and frozen builds (PyInstaller), whose failures are
files or plugins left out, a worker process that cannot be started, or a
crypto pool whose spawned children re-run the program. It needs no screen
and no network and touches nothing of the user's: everything happens in a
temporary folder that is removed at the end.

What it does, in order; the first step that fails ends it with its reason on
standard error and a non-zero exit code:

1. Qt starts (offscreen unless ``$QT_QPA_PLATFORM`` says otherwise); the SVG
   icons render; the Russian translations load.
2. The embedded emulator starts on loopback with the ``demo`` seed; the demo
   user logs into a temporary home.
3. A full sync runs in the sync worker process (``gui.worker.ProcessWorker``,
   the very command the window starts) with the crypto pool forced on
   (``$KOMANDOR_POOL_MIN=1``): the keys are made and checked in spawned pool
   processes, which must be seen running under the worker (Linux ``/proc``).
4. A second worker process syncs again with the default threshold (the small
   demo then uses no pool), through the window's ``SyncBridge``; it must find
   nothing left to register.
5. Every chat that this device can sync is ``sync`` and usable, and every
   stored last message decrypts (``session.Reader.views``).
6. The main window is rendered once (``MainWindow.grab``).

Exit codes: 0 all passed; 1 a step failed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import POOL_MIN_VAR

#: What the pool pass's worker is told: every crypto job goes to the spawned pool.
POOL_ENVIRONMENT = {POOL_MIN_VAR: "1"}

log = logging.getLogger(__name__)

PASS_TIMEOUT_S = 180.0
# Reasons that wait for someone else (a contact to register, another device
# to share its key): a sync of this device cannot clear them.
OTHERS_REASONS = frozenset({"contact_not_registered", "waiting_for_key"})


class SelfTestFailed(Exception):
    """A step of the self-test failed; the message says which and why."""


def run_self_test() -> int:
    """Run every step (module docstring); 0 when all passed, else 1 with the reason."""
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="komandor-selftest-"))
    try:
        import qasync

        from .gui.application import create_application
        from .gui.i18n import LanguageSwitch

        program = sys.argv[0] if sys.argv else "komandor-desktop"
        app = create_application([program, "-platform", "offscreen"])  # no screen needed
        app.setQuitOnLastWindowClosed(False)  # closing the window must not end the loop
        languages = LanguageSwitch(app)
        languages.set_language("ru")  # raises when the program's .qm is missing
        steps = SelfTest(work, languages)
        qasync.run(steps.run())
    except SelfTestFailed as exc:
        print(f"komandor-desktop: self-test failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # anything unexpected is a failure with its reason too
        log.debug("self-test error", exc_info=True)
        print(f"komandor-desktop: self-test failed: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"komandor-desktop: self-test passed in {time.monotonic() - started:.1f} s "
          f"({'; '.join(steps.done)})")
    return 0


class SelfTest:
    """The steps, on a running qasync loop; ``done`` lists what passed."""

    def __init__(self, work: Path, languages: Any) -> None:
        self.work = work
        self.languages = languages
        self.home = work / "home"
        self.passphrase = secrets.token_urlsafe(32)
        self.done: list[str] = []

    async def run(self) -> None:
        from .emulator import DEMO_CODE, DEMO_PHONE, EmulatorConfig, EmulatorServer
        from .identity import Profile, login
        from .session import Reader

        self._check_resources()
        config = EmulatorConfig(db_url=f"sqlite:///{self.work / 'emulator.sqlite3'}",
                                seed="demo")
        server = EmulatorServer(config)
        await asyncio.to_thread(server.start)
        try:
            if server.url is None:
                raise SelfTestFailed("the embedded emulator did not start")
            await login(self.home, server.url, DEMO_PHONE, DEMO_CODE,
                        passphrase=self.passphrase, name="Self Test")
            self.done.append("emulator and login")
            report = await self._pool_sync()
            if not report.get("registered"):
                raise SelfTestFailed(f"the first sync registered no key: {report}")
            self.done.append(f"sync in the worker with the crypto pool "
                             f"({report['registered']} keys)")
            reader = Reader(self.home, await asyncio.to_thread(
                Profile.load, self.home, self.passphrase))
            try:
                await self._window_sync(reader)
                self._check_chats(reader)
            finally:
                await reader.aclose()
        finally:
            await asyncio.to_thread(server.stop)

    def _check_resources(self) -> None:
        from .gui import icons

        if icons.pixmap("app", 64).isNull():
            raise SelfTestFailed("the application icon (SVG) does not render")
        self.done.append("Qt, icons and translations")

    async def _pool_sync(self) -> dict[str, Any]:
        """A full sync in a worker process whose crypto jobs all go to the pool."""
        from .gui.worker import ProcessWorker
        from .worker.contract import Finished

        worker = ProcessWorker(str(self.home), self.passphrase, restart_delays=(3600,),
                               environment=POOL_ENVIRONMENT)
        worker.start()
        try:
            outcome = await asyncio.wait_for(worker.sync(), PASS_TIMEOUT_S)
            if not isinstance(outcome, Finished):
                raise SelfTestFailed(f"the sync worker's pass did not finish: {outcome}")
            if outcome.report.get("errors"):
                raise SelfTestFailed(f"the sync reported errors: {outcome.report['errors']}")
            pid = worker.pid
            if pid is None:
                raise SelfTestFailed("the sync worker exited after its pass")
            children = _children(pid)
            if children is not None and not children:
                raise SelfTestFailed("the crypto pool was forced on, but the sync worker "
                                     "started no pool process")
            return dict(outcome.report)
        finally:
            await worker.aclose()

    async def _window_sync(self, reader: Any) -> None:
        """A second pass as the window runs it: bridge, worker process, main window."""
        from .gui.bridge import SyncBridge
        from .gui.mainwindow import MainWindow
        from .gui.worker import ProcessWorker

        worker = ProcessWorker(str(self.home), self.passphrase, restart_delays=(3600,))
        bridge = SyncBridge(worker, views=lambda: reader.list_views("ru"), interval_ms=0)
        window = MainWindow(bridge, languages=self.languages, user_name="Self Test")
        try:
            window.resize(1000, 700)
            window.show()
            worker.start()
            outcome = asyncio.get_running_loop().create_future()
            slots: list[tuple[Any, Callable[..., None]]] = [
                (bridge.syncFinished, lambda *_: _settle(outcome, None)),
                (bridge.error, lambda message: _settle(outcome, f"error: {message}")),
                (bridge.offline, lambda message, *_: _settle(outcome, f"offline: {message}")),
            ]
            for signal, slot in slots:
                signal.connect(slot)
            bridge.request_sync()
            try:
                failure = await asyncio.wait_for(outcome, PASS_TIMEOUT_S)
            except TimeoutError:
                failure = f"no outcome within {PASS_TIMEOUT_S:.0f} s"
            if failure is not None:
                raise SelfTestFailed(f"the window's sync failed: {failure}")
            await bridge.refresh_views_async()
            self.done.append("second sync through the window's bridge")
            image = window.grab()
            if image.isNull() or image.width() < 300 or image.height() < 200:
                raise SelfTestFailed(f"the main window did not render ({image.size()})")
            self.done.append("main window rendered")
        finally:
            window.close()
            await bridge.aclose()  # closes the worker too

    def _check_chats(self, reader: Any) -> None:
        """Every chat this device can sync is ``sync`` and usable; last messages decrypt."""
        views = reader.views("ru")
        stored = {chat.id: chat for chat in reader.store.chats()}
        problems = []
        syncable = readable = 0
        for view in views:
            reason = view.reason.value if view.reason else None
            if reason in OTHERS_REASONS:
                continue
            syncable += 1
            if view.status.value != "sync" or not view.enabled:
                problems.append(f"{view.name}: {view.status.value}, {reason}")
                continue
            chat = stored.get(view.id)
            if chat is not None and chat.last_message_text is not None:
                if view.last_message is None:
                    problems.append(f"{view.name}: the last message does not decrypt")
                else:
                    readable += 1
        if problems:
            raise SelfTestFailed("chats not synced: " + "; ".join(problems))
        if syncable == 0 or readable == 0:
            raise SelfTestFailed(f"the demo world looks empty: {syncable} syncable chat(s), "
                                 f"{readable} decrypted message(s)")
        self.done.append(f"{syncable} chats in sync, {readable} message(s) decrypted")


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _children(pid: int) -> list[int] | None:
    """The ids of ``pid``'s child processes; None where ``/proc`` cannot tell (not Linux)."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        return None
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def main() -> int:
    """``python -m komandor_desktop.selftest``."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    return run_self_test()


if __name__ == "__main__":
    raise SystemExit(main())
