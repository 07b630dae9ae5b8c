"""Issue 4's load figure: 5,000 new chats x 3 certificates, first full sync.

The emulator runs in its own process over loopback; the client runs in a
child process of its own, so that its peak RSS (``ru_maxrss``) is the
client's alone. Recorded, not judged against a ratio: the budgets are loose
ceilings that catch a regression by an order of magnitude.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from . import world as worlds
from .common import RUNS, Result, SpawnedEmulator

CHATS = 5000
MEMBERS = 2  # contacts per chat besides the viewer: 3 certificates per chat


def run(scratch: Path, runs: int = RUNS) -> list[Result]:
    print(f"building the load world ({CHATS:,} chats x {MEMBERS + 1} certificates) ...",
          flush=True)
    template = worlds.build(scratch / "load-template", chats=CHATS, members=MEMBERS)
    walls, peaks = [], []
    for _ in range(runs):
        world = template.fresh(scratch / "load-run")
        with SpawnedEmulator(world.db_url()) as server:
            done = subprocess.run([sys.executable, "-m", "bench.load_child", str(world.home),
                                   server.url, str(world.keys)],
                                  capture_output=True, text=True, timeout=900,
                                  cwd=Path(__file__).resolve().parent.parent)
        if done.returncode != 0:
            raise RuntimeError(f"the load sync failed: {done.stderr[-2000:]}")
        figures = json.loads(done.stdout)
        walls.append(figures["wall_s"])
        peaks.append(figures["peak_rss_mb"])
    notes = {"chats": CHATS, "certificates_per_chat": MEMBERS + 1, "keys": template.keys}
    return [Result("load: first full sync, 5,000 chats x 3 certificates", "s", walls, None,
                   300.0, "absolute", notes=notes),
            Result("load: client peak RSS during that sync", "MB", peaks, None, 1024.0,
                   "absolute", notes=notes)]
