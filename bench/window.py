"""The window rows: first paint of 10,000 chats, its memory, and the event loop during a sync.

Every run is a fresh child process (``bench.window_child``), so Qt starts
clean and the peak RSS is this run's alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from komandor_desktop.protocol import parse_chats
from komandor_desktop.store import Store

from . import chats as synthetic
from .common import RUNS, Result, SpawnedEmulator
from .world import World

ROOT = Path(__file__).resolve().parent.parent


def _child(mode: str, args: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run([sys.executable, "-m", "bench.window_child", mode, json.dumps(args)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"window_child {mode} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _store(scratch: Path) -> Path:
    """A client store holding the 10,000 synthetic chats."""
    path = scratch / "window-store.sqlite3"
    path.unlink(missing_ok=True)
    with Store(path) as store:
        store.refresh(parse_chats(synthetic.make_chats()), now_ms=int(time.time() * 1000))
    return path


def run(group: str, template: World | None, scratch: Path, runs: int = RUNS) -> list[Result]:
    assert template is not None, "the window benchmarks need the world (the viewer's home)"
    scratch.mkdir(parents=True, exist_ok=True)
    if group == "responsiveness":
        return [_responsiveness(template, scratch, runs)]
    args = {"store": str(_store(scratch)), "home": str(template.home)}
    if group == "window":
        measured, bases, early = [], [], []
        for _ in range(runs):
            bases.append(_child("baseline", args)["seconds"])
            found = _child("window", args)
            measured.append(found["seconds"])
            early.append(found["first_paint_without_previews_s"])
        return [Result("window, 10,000 chats, first paint", "s", measured, bases, 1.5,
                       notes={"baseline": "QListView + QStandardItemModel, same strings",
                              "measured": "until the painted rows' previews are shown",
                              "first_paint_without_previews_s": early})]
    found = [_child("memory", args) for _ in range(runs)]
    return [Result("memory, 10,000 chats, peak RSS above empty window", "MB",
                   [f["mb"] for f in found], None, 150, "absolute",
                   notes={"empty_window_mb": [f["empty_window_mb"] for f in found],
                          "kernel_high_water_mark": found[0]["hwm"]})]


def _responsiveness(template: World, scratch: Path, runs: int) -> Result:
    gaps, syncs, inprocess = [], [], []
    for _ in range(runs):
        for mode, into in ((False, gaps), (True, inprocess)):
            world = template.fresh(scratch / "run")
            with SpawnedEmulator(world.db_url()) as server:
                found = _child("responsive", {"home": str(world.home), "url": server.url,
                                              "inprocess": mode})
            into.append(found["max_gap_ms"])
            if not mode:
                syncs.append(found["sync_s"])
    return Result("event loop: longest 10 ms tick gap during the sync", "ms", gaps, None, 50,
                  "absolute", notes={"sync_s": syncs, "keys": template.keys,
                                     "engine_on_the_window_loop_ms": inprocess,
                                     "worker": "a process of its own (gui/worker.py)"})
