"""Where the load row's memory goes: per process, per phase, and (``--trace``) per line.

``python -m bench.loadmem [--runs N] [--trace] [--template DIR]`` builds the
load world (5,000 chats x 3 certificates, as ``bench.load``), or reuses one
built before in ``DIR``, and runs the first full sync in a child process that
samples its own RSS and that of its pool workers every few milliseconds. It
prints, per process, the peak (``VmHWM`` of ``/proc/<pid>/status``, read just
before the pool is stopped) and the phase the main process was in at its peak
RSS. With ``--trace`` the child also runs ``tracemalloc`` and prints the
biggest live allocations at the traced peak, grouped by the project line that
made them (tracing slows the sync several times; its figures are Python
allocations only, not RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

SAMPLE_S = 0.005
ROOT = Path(__file__).resolve().parent.parent


def _status(pid: int | str, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class _Phases:
    """Which instrumented steps are running (several overlap: store, plan, checks)."""

    def __init__(self) -> None:
        self.active: list[str] = []
        self.lock = threading.Lock()

    def wrap(self, owner: Any, name: str, label: str) -> None:
        func = getattr(owner, name)
        phases = self

        if asyncio.iscoroutinefunction(func):
            async def awrapped(*args: Any, **kwargs: Any) -> Any:
                phases.enter(label)
                try:
                    return await func(*args, **kwargs)
                finally:
                    phases.leave(label)
            setattr(owner, name, awrapped)
            return

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            phases.enter(label)
            try:
                return func(*args, **kwargs)
            finally:
                phases.leave(label)
        setattr(owner, name, wrapped)

    def enter(self, label: str) -> None:
        with self.lock:
            self.active.append(label)

    def leave(self, label: str) -> None:
        with self.lock:
            self.active.remove(label)

    def now(self) -> str:
        with self.lock:
            return "+".join(self.active) or "-"


class _Sampler(threading.Thread):
    """RSS of this process (with its phase) and of its children, every ``SAMPLE_S``."""

    def __init__(self, phases: _Phases, trace: bool) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.phases = phases
        self.trace = trace
        self.stop = threading.Event()
        self.peak_kb, self.peak_phase = 0, "-"
        self.by_phase: dict[str, int] = {}
        self.children: dict[int, int] = {}
        self.traced_peak = 0
        self.snapshot: tracemalloc.Snapshot | None = None
        self.snapshot_phase = "-"

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(SAMPLE_S):
            rss = _status(me, "VmRSS")
            phase = self.phases.now()
            if rss > self.peak_kb:
                self.peak_kb, self.peak_phase = rss, phase
            self.by_phase[phase] = max(self.by_phase.get(phase, 0), rss)
            for child in _children(me):
                self.children[child] = max(self.children.get(child, 0), _status(child, "VmHWM"))
            if self.trace:
                current = tracemalloc.get_traced_memory()[0]
                if current > self.traced_peak * 1.03 + (4 << 20):
                    self.traced_peak = current
                    self.snapshot, self.snapshot_phase = tracemalloc.take_snapshot(), \
                        self.phases.now()


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(c) for c in text)
    except OSError:
        pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    except OSError:
        return "?"


def _top(snapshot: tracemalloc.Snapshot, limit: int = 25) -> list[dict[str, Any]]:
    """Live blocks grouped by (allocating line, innermost project frame)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for stat in snapshot.statistics("traceback"):
        frames = list(stat.traceback)  # most recent call last
        where = f"{frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno}"
        ours = next((f for f in reversed(frames) if "komandor_desktop" in f.filename), None)
        owner = "-" if ours is None else \
            f"{ours.filename.split('komandor_desktop/')[-1]}:{ours.lineno}"
        entry = groups.setdefault((where, owner), [0, 0])
        entry[0] += stat.size
        entry[1] += stat.count
    rows = sorted(groups.items(), key=lambda kv: -kv[1][0])[:limit]
    return [{"mb": round(size / 2**20, 1), "blocks": count, "line": where, "project": owner}
            for (where, owner), (size, count) in rows]


def child(home: Path, url: str, trace: bool) -> dict[str, Any]:
    """One instrumented first sync (in the process ``main`` starts)."""
    from komandor_desktop.api import client as api_client
    from komandor_desktop.api import requests as rq
    from komandor_desktop.runtime import tune_process
    from komandor_desktop.store.repository import Store
    from komandor_desktop.sync import sender, workers

    from .client import Client

    if trace:
        tracemalloc.start(12)
    phases = _Phases()
    phases.wrap(api_client.ApiClient, "_read_capped", "read")
    phases.wrap(api_client, "parse_envelope", "envelope")
    phases.wrap(rq, "parse_chats", "parse")
    phases.wrap(Store, "refresh", "store")
    phases.wrap(workers.CryptoWorkers, "verdicts", "verdicts")
    phases.wrap(sender.Sender, "run", "send")
    sampler = _Sampler(phases, trace)
    sampler.start()
    hwm: dict[int, int] = {}

    start_kb = _status(os.getpid(), "VmRSS")

    async def sync() -> Any:
        c = Client(home, url=url)
        hwm[0] = _status(os.getpid(), "VmRSS")
        tune_process()  # as the sync worker's main does
        try:
            return await c.engine.sync()
        finally:
            pool = c.engine._workers._pool  # noqa: SLF001 - read the workers' VmHWM first
            if pool is not None:
                for pid in list(pool._processes or {}):  # noqa: SLF001
                    hwm[pid] = _status(pid, "VmHWM")
            await c.aclose()

    started = time.perf_counter()
    report = asyncio.run(sync())
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    procs = {"main": {"vmhwm_mb": _status(os.getpid(), "VmHWM") / 1024,
                      "start_mb": start_kb / 1024, "client_mb": hwm.pop(0) / 1024,
                      "sampled_peak_mb": sampler.peak_kb / 1024, "phase": sampler.peak_phase,
                      "by_phase_mb": {k: round(v / 1024) for k, v in sampler.by_phase.items()}}}
    for pid, kb in sorted(hwm.items()):
        procs[f"worker {pid}"] = {"vmhwm_mb": max(kb, sampler.children.get(pid, 0)) / 1024}
    for pid, kb in sorted(sampler.children.items()):
        if pid not in hwm:
            procs[f"child {pid} {_cmdline(pid)}"] = {"vmhwm_mb": kb / 1024}
    out: dict[str, Any] = {"wall_s": wall, "registered": report.registered, "processes": procs}
    if trace and sampler.snapshot is not None:
        out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        out["snapshot_mb"] = sampler.traced_peak / 2**20
        out["snapshot_phase"] = sampler.snapshot_phase
        out["top"] = _top(sampler.snapshot)
    return out


def measure(world: Any, *, trace: bool = False, body_cap: int | None = None) -> dict[str, Any]:
    """One instrumented first sync of ``world`` (a fresh ``bench.world.World``) in a child.

    The emulator runs in its own process; ``body_cap`` raises the client's
    response-size cap in the child (``bench.common.lift_body_cap``).
    Raises RuntimeError when the child fails.
    """
    from .common import SpawnedEmulator

    with SpawnedEmulator(world.db_url()) as server:
        cmd = [sys.executable, "-m", "bench.loadmem", "--child", str(world.home), server.url]
        cmd += ["--trace"] if trace else []
        cmd += ["--body-cap", str(body_cap)] if body_cap else []
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"the instrumented sync failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadmem", description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--template", type=Path, help="reuse (or build once) the world here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--body-cap", type=int, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    from . import load  # not at the top: the pool's workers import this module again
    from . import world as worlds

    if opts.child:
        if opts.body_cap:
            from .common import lift_body_cap
            lift_body_cap(opts.body_cap)
        print(json.dumps(child(Path(opts.child[0]), opts.child[1], opts.trace)), flush=True)
        return 0
    root = opts.template or Path("/tmp/komandor-loadmem")
    if (root / "template" / worlds.DB_NAME).exists():
        template = worlds.World(root / "template", worlds.CONTACTS, load.CHATS, load.MEMBERS)
    else:
        print("building the load world ...", flush=True)
        template = worlds.build(root / "template", chats=load.CHATS, members=load.MEMBERS)
    for _ in range(opts.runs):
        try:
            result = measure(template.fresh(root / "run"), trace=opts.trace)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(json.dumps({k: v for k, v in result.items() if k != "top"}, indent=1))
        for row in result.get("top", []):
            print(f"{row['mb']:8.1f} MB {row['blocks']:8d}  {row['line']:<32} {row['project']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
