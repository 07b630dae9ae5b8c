"""Fixtures shared by several test files."""

from __future__ import annotations

import asyncio

import pytest


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


