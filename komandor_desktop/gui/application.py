"""The Qt application around the window: QApplication, style, tray, per-profile settings.

``create_application`` is what the window program's composition root
(``komandor_desktop/window.py``) calls before it runs its coroutine on the
qasync loop; the way the process ends is in ``lifecycle.py``.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from . import icons, style
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


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication with names (for QSettings), icon and the scheme's style.

    An existing QApplication (tests) is taken as it is; else one is made from
    ``argv``, whose Qt options (``-platform offscreen``) Qt reads.
    """
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
