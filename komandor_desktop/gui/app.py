"""Starting the window: QApplication, language, style, tray, and the qasync loop.

``run_window`` is what the composition root (app.py / cli.py) calls. It
follows the qasync pattern of ARCHITECTURE.md: ``qasync.run(main())``, the
quit Event created inside ``main`` and set by ``aboutToQuit``, the bridge
closed before the loop ends. ``run_demo`` shows the window over the demo
views, without a server.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from . import icons, style
from .bridge import Engine, SyncBridge
from .detail import InspectorData
from .i18n import LanguageSwitch, lang_from_argv, resolve_language
from .mainwindow import MainWindow

ORGANIZATION = "Komandor"
APPLICATION = "Komandor Desktop"


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.DEBUG,
    QtMsgType.QtWarningMsg: logging.INFO,  # Qt's own diagnostics: shown with -v
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    """Qt's messages go through Python's logging (logger ``qt``) instead of raw stderr.

    Platform plugins print notes such as "This plugin does not support
    propagateSizeHints()" that say nothing to a user; they stay in the log,
    visible with ``-v``, and a quiet run leaves standard error empty.
    """
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.INFO), "%s", message)


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication with names (for QSettings), icon and the scheme's style."""
    qInstallMessageHandler(_qt_message)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv or sys.argv))
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app.setWindowIcon(icons.icon("app"))
    apply_style(app)
    hints = QGuiApplication.styleHints()
    if hints is not None:
        hints.colorSchemeChanged.connect(lambda _scheme: apply_style(app))
    return app


def profile_settings(profile_key: str) -> QSettings:
    """The window's remembered state (geometry, splitter, folded sections) of one profile.

    Kept per profile, so that the demo's or another account's layout never
    leaks into this one; the files live in the user's configuration
    directory (``Komandor/profiles/<hash>.ini``), not in the profile's home,
    which holds only the profile's own 0600 files.
    """
    digest = hashlib.sha256(profile_key.encode()).hexdigest()[:16]
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION,
                     f"profiles/{digest}")


def apply_style(app: QApplication) -> None:
    """Light or dark, as the system says (re-applied when it changes)."""
    dark = style.is_dark()
    app.setStyle("Fusion")
    app.setPalette(style.palette(dark))
    app.setStyleSheet(style.stylesheet(dark))


def tray_pixmap(unread: int, size: int = 32) -> QPixmap:
    """The app icon with a red unread badge (none at zero)."""
    pix = icons.pixmap("app", size, None, 2.0)
    if unread <= 0:
        return pix
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#e53935"))
    badge = size * 0.58
    painter.drawEllipse(int(size - badge), 0, int(badge), int(badge))
    font = QFont()
    font.setPixelSize(int(badge * 0.62))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    text = str(unread) if unread < 100 else "99+"
    box = (int(size - badge), 0, int(badge), int(badge))
    painter.drawText(*box, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pix


def attach_tray(window: MainWindow) -> QSystemTrayIcon | None:
    """A tray icon showing the unread count; None where there is no tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(QIcon(tray_pixmap(0)), window)
    tray.setToolTip(window.windowTitle())

    def update(unread: int) -> None:
        tray.setIcon(QIcon(tray_pixmap(unread)))
        tray.setToolTip(f"{window.windowTitle()} · {unread}" if unread else window.windowTitle())

    window.unreadChanged.connect(update)
    def restore(_reason: object) -> None:
        window.showNormal()
        window.activateWindow()

    tray.activated.connect(restore)
    tray.show()
    return tray


def run_window(
    *,
    engine_factory: Callable[[Callable[[Any], None]], Engine] | None,
    views: Callable[[], Sequence[Any]],
    user_name: str = "",
    inspector_data: InspectorData | None = None,
    argv: Sequence[str] | None = None,
    lang: str | None = None,
    setup: Callable[[MainWindow, SyncBridge, LanguageSwitch], None] | None = None,
    interval_ms: int = 30_000,
) -> int:
    """Run the window until it closes; returns the exit code.

    Args:
        engine_factory: ``listener -> engine``; called once with ``bridge.listener``
            (``lambda listener: SyncEngine(client, store, profile, listener=listener)``).
            None runs without syncing (static views).
        views: builds the current ``list[ChatView]`` (called after every pass).
        user_name: for the title.
        inspector_data: ``chat_id -> dict`` (see ``gui/inspector.py``).
        lang: "ru"/"en"; default from ``--lang`` in argv, then KOMANDOR_LANG.
        setup: extra wiring by the caller (login on ``signInRequested``, …).
    """
    args = list(argv if argv is not None else sys.argv)
    app = create_app(args)
    languages = LanguageSwitch(app)
    languages.set_language(lang or resolve_language(lang_from_argv(args)))

    async def main() -> int:
        quit_event = asyncio.Event()
        app.aboutToQuit.connect(quit_event.set)
        bridge = SyncBridge(views=views, interval_ms=interval_ms)
        if engine_factory is not None:
            bridge.set_engine(engine_factory(bridge.listener))
        window = MainWindow(bridge, settings=QSettings(), languages=languages,
                            user_name=user_name, inspector_data=inspector_data)
        attach_tray(window)
        if setup is not None:
            setup(window, bridge, languages)
        window.show()
        bridge.refresh_views()
        if engine_factory is not None:
            bridge.start()
        await quit_event.wait()
        await bridge.aclose()
        return 0

    import qasync  # after PySide6, so qasync binds to it

    return int(qasync.run(main()))


def run_demo(argv: Sequence[str]) -> int:
    """The window over demo views; ``--shot PATH`` renders it to a PNG and exits."""
    from .demo import demo_inspector, demo_views

    args = list(argv)
    lang = resolve_language(lang_from_argv(args))
    shot = args[args.index("--shot") + 1] if "--shot" in args else None
    if shot is None:
        return run_window(engine_factory=None, views=lambda: demo_views(lang=lang),
                          user_name="Иван Петров", argv=[sys.argv[0], *args], lang=lang,
                          inspector_data=demo_inspector)
    app = create_app([sys.argv[0]])
    languages = LanguageSwitch(app)
    languages.set_language(lang)
    window = MainWindow(languages=languages, user_name="Иван Петров",
                        inspector_data=demo_inspector)
    window.resize(1100, 760)
    window.set_views(demo_views(lang=lang))
    window.show()
    window.pane.select_chat("c1")
    window.pane.tree.scrollToTop()
    window.status.show_progress(3, 7)
    app.processEvents()
    return 0 if window.grab().save(shot) else 1
