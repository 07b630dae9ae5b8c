"""Who stalls the window's event loop during a big sync: ``python -m bench.gaps``.

An opt-in diagnostic for the "event loop: longest 10 ms tick gap" row (not part
of ``python -m bench``). It runs that row's scenario — the real MainWindow and
SyncBridge on qasync, a first sync of the world's 10,000 keys against an
emulator in its own process — and attributes every late tick to its cause:

- a 10 ms QTimer on the main thread records every gap over ``--threshold-ms``
  and, from the kernel's schedstat, the main thread's time on a CPU in it
  (near the gap's length: the loop itself was busy, Python or Qt's C++) and
  its time runnable but waiting for a CPU (the machine was busy); the rest it
  slept — waiting for the GIL;
- ``py-spy record --idle`` samples every thread's stack (``--rate`` per second,
  chrometrace with timestamps): what each thread was doing during the gap;
- ``gc.callbacks`` log every garbage collection over 5 ms (it holds the GIL);
- the engine's events and the bridge's ``viewsChanged`` are time-stamped, so
  each gap gets the phase it fell in;
- with ``--gil-sampler DIR``, a native module ``gilspy`` from ``DIR`` (not part
  of the project: ``start(period_us)`` starts a C thread that reads the GIL
  holder from ``_PyRuntime``, ``stop()`` returns ``[(unix time, its native
  thread id or 0)]`` at each change) says which thread held the GIL and for
  how long: the cause of a wait. py-spy's own ``--gil`` cannot (its trace
  drops the moments a thread stops holding it).

py-spy runs ``--nonblocking``: by default it stops the process for every
sample, and on a busy machine those stops showed up as gaps of their own.

The clocks are aligned by a marker: the child spins in ``_align_marker`` for
50 ms just before the sync; py-spy's first sample in it is that moment. py-spy
needs ptrace (``py-spy dump --pid`` must work). Output per gap: its length,
when (ms after the sync started), the main thread's CPU ms, the phase, the GIL
holders (ms, with that thread's stack) or, without the sampler, the busiest
stacks of every thread. ``--json FILE`` keeps the record; ``--runs N``;
``--world DIR`` reuses a built template (built there when missing);
The child is tuned as the sync worker tunes its own process
(``runtime.tune_process``) once the window is up; ``--switch-ms``/``--freeze``/
``--warm`` are experiments on top of that (another ``sys.setswitchinterval``, a
second ``gc.freeze()``, the crypto pool started before the sync).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY_SPY = Path(sys.executable).with_name("py-spy")
MARKER_S = 0.05
GC_MIN_S = 0.005
Span = tuple[float, float, str]  # start, end (unix s), what
WAITING = re.compile(r"^\S+ (Condition\.wait|\S*select|\S*sleep|\S*_recv\w*|\S*recv)\b")


# -- the child: one instrumented sync in a window ---------------------------------------


def _child(args: dict[str, Any]) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([sys.argv[0]])
    import qasync

    collections: list[Span] = []
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        now = time.time()
        if phase == "start":
            started[0] = now
        elif now - started[0] > GC_MIN_S:
            collections.append((started[0], now, f"{threading.current_thread().name}: gc "
                                f"generation {info['generation']} ({info['collected']} freed)"))

    gc.callbacks.append(on_gc)
    record = dict(qasync.run(_scenario(args)))
    record["collections"] = collections
    return record


def _align_marker() -> float:
    """Spin in this function for ``MARKER_S``: the clocks' common point."""
    started = time.time()
    while time.time() - started < MARKER_S:
        pass
    return started


def _open_window(args: dict[str, Any]) -> tuple[Any, Any, Any, list[tuple[float, str]]]:
    """The bench's window, bridge and client (``bench.window_modes``'), events logged."""
    from komandor_desktop.gui.bridge import SyncBridge
    from komandor_desktop.gui.mainwindow import MainWindow
    from komandor_desktop.session import STORE_FILE
    from komandor_desktop.worker.passes import InProcessWorker

    from .client import Client
    from .window_modes import _views_source

    home = Path(args["home"])
    events: list[tuple[float, str]] = []
    client = Client(home, url=args["url"])
    views, previews = _views_source(home / STORE_FILE, home)
    bridge = SyncBridge(InProcessWorker(client.engine), views=views, interval_ms=0)

    def on_event(message: Any) -> None:
        events.append((time.time(), _event_name(message)))
        bridge.on_event(message)

    assert bridge._worker is not None  # noqa: SLF001 - the bench listens in on the worker
    bridge._worker.on_event = on_event  # noqa: SLF001
    bridge.viewsChanged.connect(lambda v: events.append((time.time(), f"viewsChanged({len(v)})")))
    window = MainWindow(bridge, user_name="Bench", previews=previews)
    window.resize(1100, 760)
    window.show()
    return window, bridge, client, events


async def _scenario(args: dict[str, Any]) -> dict[str, Any]:
    from komandor_desktop.runtime import tune_process

    window, bridge, client, events = _open_window(args)
    await asyncio.sleep(0.3)
    tune_process()  # the engine runs in this process: tuned as the worker tunes its own
    if args.get("switch_ms"):  # an experiment: another interval than the tuned one
        sys.setswitchinterval(args["switch_ms"] / 1000)
    if args.get("freeze"):
        gc.freeze()
    if args.get("warm"):
        client.engine._workers.warm()  # noqa: SLF001 - an experiment: the pool started earlier
    sampler = None
    if args.get("gil_sampler"):
        sys.path.insert(0, args["gil_sampler"])
        sampler = importlib.import_module("gilspy")
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the parent has attached py-spy
    await asyncio.sleep(0.3)
    if sampler is not None:
        sampler.start(200)
    marker = _align_marker()
    record = await _timed_sync(bridge, args["threshold_ms"] / 1000)
    record.update(marker=marker, events=events, rows=window.model.rowCount(),
                  holders=sampler.stop() if sampler is not None else [])
    await bridge.aclose()
    await client.aclose()
    window.close()
    return record


async def _timed_sync(bridge: Any, threshold: float) -> dict[str, Any]:
    """One sync pass of ``bridge`` under a 10 ms QTimer: its gaps over ``threshold`` s."""
    from PySide6.QtCore import QTimer

    gaps: list[tuple[float, float, float, float]] = []  # start, end, main's run s, queued s
    schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
    last = [time.time(), *_sched(schedstat)]

    def tick() -> None:
        now, ran, queued = time.time(), *_sched(schedstat)
        if now - last[0] > threshold:
            gaps.append((last[0], now, ran - last[1], queued - last[2]))
        last[:] = now, ran, queued

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    started = time.time()
    timer.start()
    task = bridge.request_sync()
    assert task is not None
    await task
    await asyncio.sleep(0.1)
    timer.stop()
    return {"started": started, "gaps": gaps, "sync_s": time.time() - started}


def _sched(path: Path) -> tuple[float, float]:
    """The thread's time on a CPU and waiting for one (s), from the kernel's schedstat."""
    ran, queued, _ = path.read_text().split()
    return int(ran) / 1e9, int(queued) / 1e9


def _event_name(message: Any) -> str:
    kind = str(getattr(message, "kind", ""))
    if kind == "progress":
        return f"progress {message.done}/{message.total}"
    if kind == "chats_changed":
        return f"refreshed ({len(message.ids)} changed)"
    return kind


# -- reading the record -----------------------------------------------------------------


def thread_spans(trace: list[dict[str, Any]],
                 depth: int) -> tuple[dict[int, list[Span]], dict[int, str]]:
    """Per native thread id: (start µs, end µs, innermost frames) from py-spy's chrometrace,
    and the threads' names.

    py-spy writes B/E events only when a thread's stack changes; with ``--idle``
    every thread is sampled every time, so a stack holds until its next event.
    """
    native: dict[int, int] = {}
    names: dict[int, str] = {}
    for event in trace:
        found = re.match(r"thread \((\d+)\)(?:: (.*))?", event["name"])
        if found and event["ph"] == "B":
            native[event["tid"]] = int(found.group(1))
            names[int(found.group(1))] = found.group(2) or found.group(1)
    stacks: dict[int, list[str]] = {}
    since: dict[int, float] = {}
    spans: dict[int, list[Span]] = {}
    for event in sorted(trace, key=lambda e: e["ts"]):
        if event["ph"] not in ("B", "E"):
            continue
        tid, ts = event["tid"], float(event["ts"])
        stack = stacks.setdefault(tid, [])
        if ts > since.get(tid, ts) and len(stack) > 1:
            spans.setdefault(native.get(tid, -1), []).append(
                (since[tid], ts, " < ".join(list(reversed(stack[1:]))[:depth])))
        since[tid] = ts
        if event["ph"] == "B":
            line = event["args"].get("line")
            stack.append(f"{Path(event['args']['filename']).name}:{line} {event['name']}"
                         if line else event["name"])
        elif stack:
            stack.pop()
    return spans, names


def _overlaps(spans: Iterable[Span], lo: float, hi: float, scale: float) -> dict[str, float]:
    held: dict[str, float] = {}
    for start, end, name in spans:
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            held[name] = held.get(name, 0.0) + overlap * scale
    return dict(sorted(held.items(), key=lambda kv: -kv[1]))


def _gap(record: dict[str, Any], spans: dict[int, list[Span]], names: dict[int, str],
         offset: float, gap: list[float]) -> dict[str, Any]:
    start, end, cpu, queued = gap
    lo, hi = start * 1e6 - offset, end * 1e6 - offset  # in py-spy's clock
    before = [name for t, name in record["events"] if t <= start]
    out: dict[str, Any] = {
        "gap_ms": (end - start) * 1000, "at_ms": (start - record["started"]) * 1000,
        "main_cpu_ms": cpu * 1000, "main_queued_ms": queued * 1000,
        "phase": before[-1] if before else "-",
        "events_during": [name for t, name in record["events"] if start < t <= end],
        "gc_ms": _overlaps(record["collections"], start, end, 1000)}
    main = next((n for n, name in names.items() if name == "MainThread"), -1)
    out["main_ms"] = dict(list(_overlaps(spans.get(main, []), lo, hi, 1 / 1000).items())[:3])
    if not record["holders"]:
        out["stacks_ms"] = {  # what the other threads ran, waits left out
            names.get(n, str(n)): {stack: ms for stack, ms in _overlaps(s, lo, hi, 1 / 1000).items()
                                   if not WAITING.match(stack)}
            for n, s in spans.items() if n != main}
        return out
    changes = record["holders"]
    held: dict[int, float] = {}
    for (a, native), (b, _) in zip(changes, changes[1:], strict=False):
        overlap = min(b, end) - max(a, start)
        if overlap > 0:
            held[native] = held.get(native, 0.0) + overlap * 1000
    out["gil_ms"] = {
        names.get(native, str(native)) if native else "(nobody)": {
            "ms": ms,
            "stacks": dict(list(_overlaps(spans.get(native, []), lo, hi, 1 / 1000).items())[:3])}
        for native, ms in sorted(held.items(), key=lambda kv: -kv[1])}
    return out


def attribute(record: dict[str, Any], trace: list[dict[str, Any]],
              depth: int) -> list[dict[str, Any]]:
    """Every gap with its phase, GC runs, and who held the GIL (or what ran) in it."""
    spans, names = thread_spans(trace, depth)
    marks = [s for per in spans.values() for s, _, name in per if "_align_marker" in name]
    offset = record["marker"] * 1e6 - (min(marks) if marks else 0.0)  # unix µs - trace µs
    return [_gap(record, spans, names, offset, gap) for gap in record["gaps"]]


# -- the parent -------------------------------------------------------------------------


def _spy(pid: int, out: Path, rate: int) -> subprocess.Popen[str]:
    """py-spy attached to ``pid``; returns once it samples."""
    spy = subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--idle", "--threads",
                            "--nonblocking",
                            "--rate", str(rate), "--format", "chrometrace", "--output", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert spy.stdout is not None
    for line in spy.stdout:
        if "Sampling process" in line:
            return spy
    raise RuntimeError(f"py-spy did not start (exit {spy.wait()}); it needs ptrace")


def _sample(args: dict[str, Any], trace: Path, rate: int) -> dict[str, Any]:
    """Run the child under py-spy; its record."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    child = subprocess.Popen([sys.executable, "-m", "bench.gaps", "--child", json.dumps(args)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env=env)
    assert child.stdin is not None
    assert child.stdout is not None
    spy = None
    try:
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the child failed (exit {child.wait()})")
        spy = _spy(child.pid, trace, rate)
        child.stdin.write("go\n")
        child.stdin.flush()
        lines = child.stdout.read().strip().splitlines()
        if child.wait(600) != 0 or not lines:
            raise RuntimeError(f"the child failed (exit {child.returncode})")
        spy.communicate(timeout=120)
    finally:
        for proc in (child, spy):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    return dict(json.loads(lines[-1]))


def _run_once(template: Any, scratch: Path, opts: argparse.Namespace) -> dict[str, Any]:
    from .common import SpawnedEmulator

    world = template.fresh(scratch / "run")
    trace = scratch / "trace.json"
    with SpawnedEmulator(world.db_url()) as server:
        args = {"home": str(world.home), "url": server.url, "threshold_ms": opts.threshold_ms,
                "switch_ms": opts.switch_ms, "freeze": opts.freeze, "warm": opts.warm,
                "gil_sampler": str(opts.gil_sampler or "")}
        record = _sample(args, trace, opts.rate)
    gaps = attribute(record, json.loads(trace.read_text()), opts.depth)
    milestones = [(round((t - record["started"]) * 1000), name) for t, name in record["events"]
                  if not name.startswith("progress")]
    return {"sync_s": record["sync_s"], "rows": record["rows"], "gaps": gaps,
            "milestones": milestones}


def _print(run: int, found: dict[str, Any], min_ms: float) -> None:
    longest = max((g["gap_ms"] for g in found["gaps"]), default=0.0)
    print(f"\nrun {run}: sync {found['sync_s']:.2f} s, {found['rows']} rows, "
          f"{len(found['gaps'])} gap(s), longest {longest:.0f} ms")
    print("  milestones (ms): " + ", ".join(f"{name} {at}" for at, name in found["milestones"]))
    for gap in found["gaps"]:
        during = gap["events_during"]
        print(f"  {gap['gap_ms']:5.0f} ms at {gap['at_ms']:6.0f} ms, main ran "
              f"{gap['main_cpu_ms']:3.0f} ms, waited for a CPU {gap['main_queued_ms']:3.0f} ms, "
              f"after: {gap['phase']}"
              + (f" (then: {', '.join(during[:3])}{' ...' if len(during) > 3 else ''})"
                 if during else ""))
        for what, ms in gap["gc_ms"].items():
            print(f"      {ms:5.0f} ms  {what}")
        if gap.get("main_ms"):
            print("      main thread: " + "; ".join(f"{ms:.0f} ms {stack}"
                                                   for stack, ms in gap["main_ms"].items()))
        for name, held in gap.get("gil_ms", {}).items():
            if held["ms"] >= min_ms:
                print(f"      {held['ms']:5.0f} ms  GIL: {name}")
                for stack, ms in held["stacks"].items():
                    print(f"               {ms:5.0f} ms  {stack}")
        for name, stacks in gap.get("stacks_ms", {}).items():
            for stack, ms in list(stacks.items())[:2]:
                if ms >= min_ms:
                    print(f"      {ms:5.0f} ms  {name}: {stack}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gaps", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--threshold-ms", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--depth", type=int, default=4, help="innermost frames shown")
    parser.add_argument("--min-ms", type=float, default=4.0, help="shortest share shown")
    parser.add_argument("--gil-sampler", type=Path, help="directory of a gilspy module")
    parser.add_argument("--switch-ms", type=float, default=0.0)
    parser.add_argument("--freeze", action="store_true")
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--world", type=Path, help="template directory, built when missing")
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args(argv)
    if opts.child:
        print(json.dumps(_child(json.loads(opts.child))), flush=True)
        sys.stderr.flush()
        os._exit(0)  # as bench.window_child: Qt teardown at exit may crash in C
    from . import world

    with tempfile.TemporaryDirectory(prefix="komandor-gaps-") as tmp:
        scratch = Path(tmp)
        root = opts.world or scratch / "template"
        template = (world.World(root, world.CONTACTS, world.CHATS) if (root / world.DB_NAME)
                    .exists() else world.build(root))
        runs = []
        for run in range(1, opts.runs + 1):
            runs.append(_run_once(template, scratch, opts))
            _print(run, runs[-1], opts.min_ms)
    if opts.json:
        opts.json.write_text(json.dumps(runs, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
