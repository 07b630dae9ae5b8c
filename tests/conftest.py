"""Fixtures shared by several test files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from gui_support import NOW, NOW_MS
from hypothesis import settings as hypothesis_settings

# Hypothesis's per-example deadline (200 ms) is a timed assertion: on a shared
# two-core machine one example of a cheap property took 482 ms once and failed
# the suite. Speed is measured by `make bench`, never asserted by a test.
hypothesis_settings.register_profile("komandor", deadline=None)
hypothesis_settings.load_profile("komandor")


@pytest.fixture
def loop(qapp):  # type: ignore[no-untyped-def]
    """A qasync loop marked as running on top of pytest-qt's app (ARCHITECTURE.md).

    ``loop.stop()`` would call ``app.exit()``, which makes every later
    ``QEventLoop.exec()`` (qtbot's waits) return at once; so the loop is
    marked stopped without quitting the app.
    """
    import qasync

    event_loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    event_loop.close()




@pytest.fixture
def languages(qapp):  # type: ignore[no-untyped-def]
    from komandor_desktop.gui import i18n

    switch = i18n.LanguageSwitch()
    switch.set_language("ru")
    yield switch
    switch.set_language("en")


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "komandor.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, languages, settings):  # type: ignore[no-untyped-def]
    """The main window over the demo views, in Russian, 1100 x 760, shown."""
    from komandor_desktop.gui.bridge import SyncBridge
    from komandor_desktop.gui.demo import demo_inspector, demo_views
    from komandor_desktop.gui.mainwindow import MainWindow

    bridge = SyncBridge(views=lambda: demo_views(NOW_MS), interval_ms=0)
    win = MainWindow(bridge, settings=settings, languages=languages, user_name="Иван Петров",
                     inspector_data=demo_inspector, clock=lambda: NOW)
    qtbot.addWidget(win)
    win.resize(1100, 760)
    win.set_views(demo_views(NOW_MS))
    win.show()
    qtbot.waitExposed(win)
    return win
