"""One Qt measurement in a fresh process, started as ``python -m bench.window_child MODE ARGS``.

Qt allows one application per process and memory is only comparable in a
fresh one, so every run of the window benchmarks is a child of ``bench.window``.
Prints one JSON line with the figure. Modes:

- ``window``: the real MainWindow, empty and painted first; then the store is
  read, views built (``Session.list_views``'s path) and set, until the chat
  tree's viewport has painted, the previews of the painted rows decrypted
  (``Session.preview``'s path): seconds.
- ``baseline``: a bare QListView over a QStandardItemModel, empty and painted
  first; then the same 10,000 display strings are read with sqlite3, put in
  the model, until the viewport has painted: seconds.
- ``memory``: ``window``'s path, reporting the peak RSS above the empty window.
- ``responsive``: the window as the app runs it — the real SyncBridge over
  the sync worker process (``gui.worker.ProcessWorker``) — running a first
  sync of the world against an emulator in its own process; the longest gap
  between ticks of a 10 ms QTimer while the sync (and the window's view
  refreshes on each ``ChatsChanged``) run. ``"inprocess": true`` runs the
  engine on the window's loop instead (``InProcessWorker``), as before the
  worker moved out, for comparison.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QListView, QWidget

from komandor_desktop.gui.mainwindow import MainWindow
from komandor_desktop.identity import Profile
from komandor_desktop.session import STORE_FILE, list_chats
from komandor_desktop.store import Store
from komandor_desktop.sync.keyring import KeyRing
from komandor_desktop.sync.planner import own_certificate

from .world import PASSPHRASE

_WAIT = QEventLoop.ProcessEventsFlag.WaitForMoreEvents


class _PaintWatch(QObject):
    """Counts paint events of one widget."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False

    def wait_for_paint(self, app: QApplication, timeout: float = 60.0) -> None:
        seen = self.count
        deadline = time.monotonic() + timeout
        while self.count == seen:
            app.processEvents()
            if time.monotonic() > deadline:
                raise TimeoutError("no paint")


def _views_source(store_path: Path, home: Path,
                  ) -> tuple[Callable[[], Sequence[Any]], Callable[[str], str | None]]:
    """What ``Session.list_views`` and ``Session.preview`` do (the window's path).

    The list: the light store read and its entries in the window's order,
    views built for the painted rows; the previews: one full chat read, its
    key check and decryption, asked by the window for the rows it paints.
    """
    profile = Profile.load(home, PASSPHRASE)
    identity = profile.identity
    keyring = KeyRing(pid=identity.pid, cid=identity.cid, private_key=profile.private_key,
                      own_certificates=[own_certificate(identity)],
                      trust_anchor=profile.trust_anchor)
    store = Store(store_path)

    def views() -> Sequence[Any]:
        return list_chats(store, identity)

    def preview(chat_id: str) -> str | None:
        chat = store.chat(chat_id)
        return None if chat is None else keyring.decrypt_last_message(chat)

    return views, preview


def _window(app: QApplication,
            previews: Callable[[str], str | None]) -> tuple[MainWindow, _PaintWatch]:
    window = MainWindow(user_name="Bench", previews=previews)
    window.resize(1100, 760)
    watch = _PaintWatch(window.pane.tree.viewport())
    window.show()
    watch.wait_for_paint(app)
    return window, watch


def measure_window(app: QApplication, args: dict[str, Any]) -> dict[str, float]:
    views, previews = _views_source(Path(args["store"]), Path(args["home"]))
    window, watch = _window(app, previews)
    start = time.perf_counter()
    window.set_views(views())
    watch.wait_for_paint(app)
    first = time.perf_counter() - start
    # the previews of the painted rows come from a thread (gui/previews.py): the
    # figure is taken once they are in and painted, as it was when paint decrypted
    previews_cache = window.model.previews
    if previews_cache._busy:  # noqa: SLF001 - the bench waits for the background work
        painted = watch.count
        while previews_cache._busy:  # noqa: SLF001 - block for events: a spin would
            app.processEvents(_WAIT, 50)  # take the GIL from the decrypting thread
        app.processEvents()  # the repaint the last batch asked for
        if watch.count == painted:
            watch.wait_for_paint(app)
    return {"seconds": time.perf_counter() - start, "rows": window.model.rowCount(),
            "first_paint_without_previews_s": first}


def measure_baseline(app: QApplication, args: dict[str, Any]) -> dict[str, float]:
    view = QListView()
    view.resize(380, 700)
    watch = _PaintWatch(view.viewport())
    view.show()
    watch.wait_for_paint(app)
    start = time.perf_counter()
    db = sqlite3.connect(args["store"])
    names = [row[0] for row in db.execute(
        "SELECT coalesce(chat_name, profile_name, id) FROM chats ORDER BY id")]
    db.close()
    model = QStandardItemModel(view)
    for name in names:
        model.appendRow(QStandardItem(name))
    view.setModel(model)
    watch.wait_for_paint(app)
    return {"seconds": time.perf_counter() - start, "rows": model.rowCount()}


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


class _PeakSampler:
    """Peak RSS by the kernel's high-water mark, reset here; sampling as a fallback."""

    def __init__(self) -> None:
        self.base = _rss_kb("VmRSS")
        self.peak = self.base
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            self.hwm = True
        except OSError:
            self.hwm = False
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_kb("VmRSS"))

    def stop(self) -> int:
        if self.hwm:
            return _rss_kb("VmHWM")
        self._stop.set()
        self._thread.join()
        return max(self.peak, _rss_kb("VmRSS"))


def measure_memory(app: QApplication, args: dict[str, Any]) -> dict[str, float]:
    views, previews = _views_source(Path(args["store"]), Path(args["home"]))
    window, watch = _window(app, previews)
    sampler = _PeakSampler()
    window.set_views(views())
    watch.wait_for_paint(app)
    peak = sampler.stop()
    return {"mb": (peak - sampler.base) / 1024, "hwm": sampler.hwm,
            "empty_window_mb": sampler.base / 1024}


def _point_identity_at(home: Path, url: str) -> None:
    """The world's profile logged in at an in-process URL; the worker must reach ``url``."""
    import dataclasses

    from komandor_desktop.identity.profile import read_identity, write_identity

    write_identity(home, dataclasses.replace(read_identity(home), server_url=url))


def measure_responsive(app: QApplication, args: dict[str, Any]) -> dict[str, float]:
    import qasync

    from komandor_desktop.gui.bridge import SyncBridge
    from komandor_desktop.gui.worker import ProcessWorker
    from komandor_desktop.runtime import tune_process
    from komandor_desktop.worker.passes import InProcessWorker

    from .client import Client

    home = Path(args["home"])

    async def main() -> dict[str, float]:
        client: Client | None = None
        worker: Any
        if args.get("inprocess"):
            client = Client(home, url=args["url"])
            worker = InProcessWorker(client.engine)
        else:
            _point_identity_at(home, args["url"])  # the worker reads the server from it
            worker = ProcessWorker(str(home), PASSPHRASE)
            worker.start()
        views, previews = _views_source(home / STORE_FILE, home)
        bridge = SyncBridge(worker, views=views, interval_ms=0)
        window = MainWindow(bridge, user_name="Bench", previews=previews)
        window.resize(1100, 760)
        window.show()
        await asyncio.sleep(0.3)
        if client is not None:
            tune_process()  # the engine is in this process: tuned as the worker tunes its own
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        timer.start()
        started = time.perf_counter()
        task = bridge.request_sync()
        assert task is not None
        await task
        await asyncio.sleep(0.1)
        timer.stop()
        took = time.perf_counter() - started
        await bridge.aclose()
        if client is not None:
            await client.aclose()
        rows = window.model.rowCount()
        window.close()
        return {"max_gap_ms": max(gaps) * 1000, "ticks": len(gaps), "sync_s": took,
                "rows": rows}

    return qasync.run(main())


MODES = {"window": measure_window, "baseline": measure_baseline, "memory": measure_memory,
         "responsive": measure_responsive}


def main(argv: list[str]) -> int:
    mode, args = argv[0], json.loads(argv[1])
    app = QApplication.instance() or QApplication([sys.argv[0]])
    result = MODES[mode](app, args)  # type: ignore[arg-type]
    print(json.dumps(result), flush=True)
    return 0


def run() -> None:
    """Measure ``sys.argv[1:]`` and leave without interpreter finalisation."""
    code = main(sys.argv[1:])
    sys.stderr.flush()
    # Skip interpreter finalisation: tearing down Qt objects still referenced by
    # qasync at exit can crash in C (the figure is already printed).
    os._exit(code)
