"""The window program's composition root: a profile (or the demo) -> reader -> worker
process -> bridge -> window.

``cli.main`` calls ``run_window`` with the run's ``ClientConfig`` when no
sub-command is given. Everything here is wiring; the rules live in the core
packages and the widgets in ``gui/``. This process does not sync: it reads the
store (``session.Reader``) while the sync worker process
(``python -m komandor_desktop.worker``) writes it.

The demo (``--demo``) starts the emulator inside the application, over real
loopback HTTP, with the ``demo`` seed and simulated contacts, logs the demo
user into a fresh folder of its own (``HOME/demo/run-…``, ``demorun.py``: removed
when the run ends) and opens the window. Its
secrets are encrypted with a random passphrase that lives only in memory for
that run, which is enough since the demo server is new every run too. This is
the only place the client side imports the emulator, and only in demo mode.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from .config import ClientConfig
from .demorun import DemoRun
from .errors import IdentityError, InputError, WrongPassphrase
from .identity import Profile, login, send_code, store_passphrase_in_keyring
from .identity.passphrase import keyring_available, known_passphrase
from .identity.profile import read_identity
from .session import Reader
from .texts import format_phone

T = TypeVar("T")

log = logging.getLogger(__name__)

DEMO_NAME = "Иван Петров"


def run_window(config: ClientConfig) -> int:
    """Open the window (or render it to ``config.screenshot``); returns the exit code.

    Every way out of the window (Quit, Ctrl+Q, closing it, SIGTERM/SIGINT/
    SIGHUP) ends in ``Runner.request_quit``: the main coroutine closes the
    bridge, the session, the demo's emulator and its folder, then returns 0.
    """
    import qasync

    from .gui.application import create_application
    from .gui.i18n import LanguageSwitch
    from .gui.lifecycle import QuitOnSignals

    argv = [sys.argv[0]]
    if config.qt_platform is not None:  # a screenshot without a screen: offscreen
        argv += ["-platform", config.qt_platform]
    app = create_application(argv)
    app.setQuitOnLastWindowClosed(False)  # quitting is Runner's: see gui/lifecycle.py
    languages = LanguageSwitch(app)
    languages.set_language(config.lang)
    runner = Runner(config, languages=languages)
    with QuitOnSignals(runner.request_quit):
        return int(qasync.run(runner.main(app)))


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    """Resolve ``future`` once; later signals are ignored."""
    if not future.done():
        future.set_result(value)


async def _dialog_result(dialog: Any) -> bool:
    """Show ``dialog`` and wait for it to close: True when it was accepted."""
    from PySide6.QtWidgets import QDialog

    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(
        lambda result: _settle(done, result == QDialog.DialogCode.Accepted.value))
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    try:
        return await done
    finally:
        dialog.close()


class Runner:
    """Owns the reader, the emulator of the demo, the worker, the bridge and the window.

    Args:
        config: this run's configuration (home, demo, passphrase, server, interval).
        languages: the app's ``gui.i18n.LanguageSwitch``.
    """

    def __init__(self, config: ClientConfig, *, languages: Any) -> None:
        self.config = config
        self.home = config.home
        self.languages = languages
        self.demo = config.demo
        self.crypto = config.crypto
        self.screenshot = config.screenshot
        self.session: Reader | None = None  # the window reads; the worker process syncs
        self.passphrase: str | None = None  # handed to the worker process over its pipe
        self.server: Any = None
        self.demo_run: DemoRun | None = None
        self.window: Any = None
        self.worker: Any = None
        self.bridge: Any = None
        self._quit: asyncio.Event | None = None
        self._quit_early = False  # asked to quit before main() made the event

    def request_quit(self) -> None:
        """End the program cleanly (menu, window closed, a signal); idempotent."""
        if self._quit is None:
            self._quit_early = True
        else:
            self._quit.set()

    async def main(self, app: Any) -> int:
        self._quit = asyncio.Event()
        if self._quit_early:
            self._quit.set()
        app.aboutToQuit.connect(self.request_quit)
        try:
            self.session = await self._unless_quit(
                self._demo_session() if self.demo else self._session())
            if self.session is None:
                return 0  # the user cancelled signing in, or quit meanwhile
            self._open_window()
            if self.screenshot is not None:
                return await self._render(self.screenshot)
            await self._quit.wait()
            return 0
        finally:
            await self._close()

    async def _unless_quit(self, step: Awaitable[T]) -> T | None:
        """``step``'s result, or None (``step`` cancelled) when a quit comes first."""
        assert self._quit is not None
        task = asyncio.ensure_future(step)
        quitting = asyncio.ensure_future(self._quit.wait())
        try:
            await asyncio.wait({task, quitting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            quitting.cancel()
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None

    # -- getting a session ---------------------------------------------------

    async def _session(self) -> Reader | None:
        """The profile of this home, unlocked; or a new one through the login dialog."""
        if not Profile.exists(self.home):
            return await self._login_dialog()
        profile = await self._unlock()
        return None if profile is None else Reader(self.home, profile)

    async def _unlock(self) -> Profile | None:
        """Open the profile: with the passphrase of env or keyring, else ask for it.

        A wrong passphrase in ``$KOMANDOR_PASSPHRASE`` or the keyring is not
        fatal: the dialog asks, says when a typed one is wrong, and lets the
        user try again.
        """
        known = known_passphrase(self.home, self.config.passphrase)
        if known is not None:
            try:
                profile = await asyncio.to_thread(Profile.load, self.home, known)
            except WrongPassphrase:
                log.warning("the stored passphrase does not open %s; asking", self.home)
            else:
                self.passphrase = known
                return profile
        from .gui.passphrase import PassphraseDialog

        async def unlock(passphrase: str) -> Profile:
            return await asyncio.to_thread(Profile.load, self.home, passphrase)

        dialog = PassphraseDialog(None, mode="unlock", profile_label=self._profile_label(),
                                  keyring_available=keyring_available(), unlock=unlock)
        opened = dialog.unlocked() if await _dialog_result(dialog) else None
        if not isinstance(opened, Profile):
            return None
        if dialog.remember():
            store_passphrase_in_keyring(self.home, dialog.passphrase())
        self.passphrase = dialog.passphrase()
        return opened

    def _profile_label(self) -> str:
        try:
            ident = read_identity(self.home)
        except IdentityError:
            return str(self.home)
        return ident.name or ident.phone

    async def _new_passphrase(self, parent: Any, phone: str) -> str | None:
        """For a new profile: ``$KOMANDOR_PASSPHRASE``, else the user chooses one."""
        if self.config.passphrase is not None:
            return self.config.passphrase
        from .gui.passphrase import PassphraseDialog

        dialog = PassphraseDialog(parent, mode="new", profile_label=format_phone(phone),
                                  keyring_available=keyring_available())
        if not await _dialog_result(dialog):
            return None
        if dialog.remember():
            store_passphrase_in_keyring(self.home, dialog.passphrase())
        return str(dialog.passphrase())

    async def _login_dialog(self) -> Reader | None:
        """No profile in this home: sign in with the dialog, then open the session."""
        from PySide6.QtCore import QCoreApplication

        from .gui.login import LoginDialog

        done: asyncio.Future[Reader | None] = asyncio.get_running_loop().create_future()
        dialog: Any = None

        async def do_login(server: str, phone: str, code: str, name: str | None) -> None:
            passphrase = await self._new_passphrase(dialog, phone)
            if passphrase is None:
                raise InputError(QCoreApplication.translate(
                    "Runner", "Choose a passphrase: it protects your keys on this computer."))
            profile = await login(self.home, server, phone, code, passphrase=passphrase,
                                  name=name,
                                  request_code=not dialog.code_requested_for(server, phone))
            self.passphrase = passphrase
            _settle(done, Reader(self.home, profile))

        async def request_code(server: str, phone: str) -> None:
            await send_code(server, phone)

        dialog = LoginDialog(None, server_url=self.config.server,
                             login=do_login, request_code=request_code)
        dialog.rejected.connect(lambda: _settle(done, None))
        dialog.show()
        try:
            return await done
        finally:
            dialog.close()

    async def _demo_session(self) -> Reader:
        from .emulator import DEMO_CODE, DEMO_PHONE, EmulatorConfig, EmulatorServer

        self.demo_run = run = DemoRun.create(self.home / "demo")
        config = EmulatorConfig(db_url=f"sqlite:///{run.db_path}", seed="demo", simulate=True,
                                sim_delay=2.0, crypto=self.crypto)
        self.server = EmulatorServer(config)
        await asyncio.to_thread(self.server.start)
        self.passphrase = secrets.token_urlsafe(32)
        profile = await login(run.home, self.server.url, DEMO_PHONE, DEMO_CODE,
                              passphrase=self.passphrase, name=DEMO_NAME)
        return Reader(run.home, profile)

    def _open_window(self) -> None:
        from .gui.application import attach_tray, profile_settings
        from .gui.bridge import SyncBridge
        from .gui.i18n import current_language
        from .gui.mainwindow import MainWindow
        from .gui.worker import ProcessWorker

        session = self.session
        assert session is not None
        assert self.passphrase is not None
        self.worker = ProcessWorker(str(session.home), self.passphrase)
        self.worker.start()
        self.bridge = SyncBridge(self.worker,
                                 views=lambda: session.list_views(current_language()),
                                 interval_ms=self.config.sync_interval_ms)
        ident = session.profile.identity
        self.window = MainWindow(
            self.bridge,
            settings=None if self.screenshot else profile_settings(
                "demo" if self.demo else str(self.home.resolve())),
            languages=self.languages, user_name=ident.name or ident.phone,
            inspector_data=lambda cid: session.inspector_data(cid, current_language()),
            previews=session.preview)
        self.window.closed.connect(self.request_quit)
        attach_tray(self.window)
        settings = self.window.settings
        if settings is None or settings.value("window/geometry") is None:
            self._first_size()
        self.window.show()
        self.bridge.refresh_views()
        self.bridge.start()

    def _first_size(self) -> None:
        """A first run opens at a comfortable size, never larger than the screen."""
        width, height = 1180, 780
        screen = self.window.screen()
        if screen is not None:
            free = screen.availableGeometry()
            width, height = min(width, free.width() - 40), min(height, free.height() - 60)
        self.window.resize(max(width, 640), max(height, 420))

    async def _render(self, path: Path) -> int:
        """Wait for the first sync to end, then render the window to ``path``.

        In the demo one more pass is awaited (a few seconds), so that the
        simulated contacts' first messages and key exports are in the picture.
        """
        self.window.resize(1180, 780)
        ok = await self._next_pass(within=120)
        if ok and self.demo:
            await self._next_pass(within=15)
        views = self.session.views() if self.session else []
        chosen = next((v.id for v in views if v.enabled and not v.favorites and not v.system
                       and v.last_message), None) or next(
            (v.id for v in views if v.enabled and not v.favorites and not v.system), None)
        if chosen:
            self.window.pane.select_chat(chosen)
        await asyncio.sleep(0.2)
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = self.window.grab().save(str(path))
        if not ok:
            log.error("the first sync did not succeed; the screenshot shows its state")
        return 0 if ok and saved else 1

    async def _next_pass(self, *, within: float) -> bool:
        """True when the bridge's next pass succeeds, False on failure or time-out."""
        finished: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def settle(ok: bool) -> Callable[..., None]:
            return lambda *_: _settle(finished, ok)

        slots = [(self.bridge.syncFinished, settle(True)), (self.bridge.error, settle(False)),
                 (self.bridge.offline, settle(False))]
        for signal, slot in slots:
            signal.connect(slot)
        try:
            return await asyncio.wait_for(finished, timeout=within)
        except TimeoutError:
            return False
        finally:
            for signal, slot in slots:
                signal.disconnect(slot)

    async def _close(self) -> None:
        """Stop everything this run started, in order; never raises.

        The window goes first (its settings are saved on close), then the
        bridge's passes, the session (HTTP, crypto workers, store), the
        demo's emulator, and last the demo's folder.
        """
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        if self.window is not None:
            window = self.window
            window.closed.disconnect(self.request_quit)
            steps.append(("window", lambda: _call(window.close)))
        if self.bridge is not None:
            steps.append(("sync", self.bridge.aclose))
        if self.session is not None:
            steps.append(("session", self.session.aclose))
        if self.server is not None:
            steps.append(("emulator", lambda: asyncio.to_thread(self.server.stop)))
        if self.demo_run is not None:
            steps.append(("demo folder", partial(asyncio.to_thread, self.demo_run.remove)))
        for name, step in steps:
            try:
                await step()
            except Exception as exc:  # the next step must still run
                log.warning("closing the %s: %s", name, exc)


async def _call(function: Callable[[], Any]) -> None:
    function()
