"""The window's composition root: a profile (or the demo) -> session -> bridge -> window.

``cli.main`` calls ``run_app`` when no sub-command is given. Everything here is
wiring; the rules live in the core packages and the widgets in ``gui/``.

The demo (``--demo``) starts the emulator inside the application, over real
loopback HTTP, with the ``demo`` seed and simulated contacts, logs the demo
user into a fresh home of its own (``HOME/demo``) and opens the window. Its
secrets are encrypted with a random passphrase that lives only in memory for
that run, which is enough since the demo server is new every run too. This is
the only place the client side imports the emulator, and only in demo mode.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import IdentityError, KomandorError
from .identity import Profile, get_passphrase, login, store_passphrase_in_keyring
from .identity.passphrase import passphrase_from_keyring
from .session import Session

log = logging.getLogger(__name__)

INTERVAL_MS = 30_000  # background sync period
DEMO_INTERVAL_MS = 4_000  # the demo's simulated contacts act every few seconds
DEMO_NAME = "Иван Петров"


def run_app(*, home: Path, lang: str | None, demo: bool, crypto: str = "v1",
            screenshot: Path | None = None) -> int:
    """Open the window (or render it to ``screenshot``); returns the exit code."""
    if screenshot is not None and not os.environ.get("DISPLAY") \
            and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    import qasync

    from .gui.app import create_app
    from .gui.i18n import LanguageSwitch, resolve_language

    app = create_app([sys.argv[0]])
    languages = LanguageSwitch(app)
    languages.set_language(resolve_language(lang))
    runner = Runner(home=home, languages=languages, demo=demo, crypto=crypto,
                    screenshot=screenshot)
    if not demo and Profile.exists(home):
        passphrase = _ask_passphrase(home)
        if passphrase is None:
            return 3
        runner.passphrase = passphrase
    return int(qasync.run(runner.main(app)))


def _ask_passphrase(home: Path) -> str | None:
    """The profile's passphrase: env, keyring, else a password dialog (before the loop)."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    from .identity.passphrase import ENV_VAR

    if os.environ.get(ENV_VAR) or passphrase_from_keyring(home) is not None:
        return get_passphrase(home, interactive=False)
    text, ok = QInputDialog.getText(None, "Komandor", f"Passphrase for {home}:",
                                    QLineEdit.EchoMode.Password)
    return text if ok and text else None


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    """Resolve ``future`` once; later signals are ignored."""
    if not future.done():
        future.set_result(value)


class Runner:
    """Owns the session, the emulator of the demo, the bridge and the window."""

    def __init__(self, *, home: Path, languages: Any, demo: bool, crypto: str,
                 screenshot: Path | None) -> None:
        self.home = home
        self.languages = languages
        self.demo = demo
        self.crypto = crypto
        self.screenshot = screenshot
        self.passphrase: str | None = None
        self.session: Session | None = None
        self.server: Any = None
        self.window: Any = None
        self.bridge: Any = None

    async def main(self, app: Any) -> int:
        quit_event = asyncio.Event()
        app.aboutToQuit.connect(quit_event.set)
        try:
            self.session = await (self._demo_session() if self.demo else self._session())
            if self.session is None:
                return 3
            self._open_window()
            if self.screenshot is not None:
                return await self._render(self.screenshot)
            await quit_event.wait()
            return 0
        finally:
            await self._close()

    async def _session(self) -> Session | None:
        if self.passphrase is not None:
            return Session.open(self.home, self.passphrase)
        return await self._login_dialog()

    async def _demo_session(self) -> Session:
        from .emulator import DEMO_CODE, DEMO_PHONE, EmulatorConfig, EmulatorServer

        home = self.home / "demo"
        shutil.rmtree(home, ignore_errors=True)
        db = Path(tempfile.mkdtemp(prefix="komandor-demo-")) / "emulator.sqlite3"
        config = EmulatorConfig(db_url=f"sqlite:///{db}", seed="demo", simulate=True,
                                sim_delay=2.0, crypto=self.crypto)
        self.server = EmulatorServer(config)
        await asyncio.to_thread(self.server.start)
        profile = await login(home, self.server.url, DEMO_PHONE, DEMO_CODE,
                              passphrase=secrets.token_urlsafe(32), name=DEMO_NAME)
        return Session(home, profile)

    async def _login_dialog(self) -> Session | None:
        """No profile in this home: sign in with the dialog, then open the session."""
        from .gui.dialogs import LoginDialog

        done: asyncio.Future[Session | None] = asyncio.get_running_loop().create_future()

        async def do_login(server: str, phone: str, code: str, name: str | None) -> None:
            passphrase = self._new_passphrase()
            profile = await login(self.home, server, phone, code, passphrase=passphrase,
                                  name=name)
            if not done.done():
                done.set_result(Session(self.home, profile))

        dialog = LoginDialog(None, server_url=os.environ.get("KOMANDOR_SERVER", ""),
                             login=do_login)
        dialog.rejected.connect(lambda: _settle(done, None))
        dialog.show()
        try:
            return await done
        finally:
            dialog.close()

    def _new_passphrase(self) -> str:
        """For a new profile: env, else a random one kept in the OS keyring."""
        try:
            return get_passphrase(self.home, interactive=False)
        except IdentityError:
            fresh = secrets.token_urlsafe(32)
            if store_passphrase_in_keyring(self.home, fresh):
                return fresh
            raise

    def _open_window(self) -> None:
        from PySide6.QtCore import QSettings

        from .gui.app import attach_tray
        from .gui.bridge import SyncBridge
        from .gui.i18n import current_language
        from .gui.mainwindow import MainWindow

        session = self.session
        assert session is not None
        self.bridge = SyncBridge(views=lambda: session.list_views(current_language()),
                                 interval_ms=DEMO_INTERVAL_MS if self.demo else INTERVAL_MS)
        session.engine.listener = self.bridge.listener
        self.bridge.set_engine(session.engine)
        ident = session.profile.identity
        self.window = MainWindow(
            self.bridge, settings=None if self.screenshot else QSettings(),
            languages=self.languages, user_name=ident.name or ident.phone,
            inspector_data=lambda cid: session.inspector_data(cid, current_language()),
            previews=session.preview)
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
        try:
            if self.bridge is not None:
                await self.bridge.aclose()
            if self.session is not None:
                await self.session.aclose()
        except KomandorError as exc:
            log.warning("closing: %s", exc)
        finally:
            if self.server is not None:
                await asyncio.to_thread(self.server.stop)
