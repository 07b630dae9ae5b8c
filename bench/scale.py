"""``make bench-scale``: how the cost grows with the number of chats.

``python -m bench.scale [--sizes 1000,10000,50000 | --quick] [--runs N] [--lift-cap]``
measures, at each size n (chats):

- the key sync: the in-process sync row's path (``bench.sync.in_process``)
  over the bench world scaled to n group chats of 4 (``bench.world``, with
  contacts in the same 1,000 : 2,500 proportion), next to its bare-crypto
  baseline;
- the store refresh: a first refresh of n synthetic chats (``bench.chats``,
  ``bench.store``'s path), next to json.loads + sqlite3.executemany;
- the window's first paint of that store (``bench.window``'s child process),
  next to a bare QListView;
- memory: the peak RSS of each process of a first sync of the world
  (``bench.loadmem``: the client's main process and its crypto pool's
  workers, the emulator in a process of its own).

Each curve is fitted on a log-log scale (least squares of log cost against
log n): the exponent k of cost ~ n^k (1.0 is linear growth; n log n over
1,000..50,000 fits about 1.1). Writes ``bench-scale.json`` (figures,
exponents, machine) and ``docs/scaling.png``, and prints a table. The figures
of one run are compared with each other only (the machine is shared).

The client refuses response bodies over 256 MB (``protocol.MAX_BODY_BYTES``);
the listing of the sync world is about 8 KB a chat, so a sync of more than
about 32,000 such chats fails with ``ResponseTooLarge``. Such a point is
recorded as failed; ``--lift-cap`` raises the cap in the benchmark's
processes (not in the product) to measure past it.

Imports of the measuring modules are inside the functions: the crypto pool's
workers are spawned and import this main module again.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIZES = (1000, 10_000, 50_000)
QUICK = (500, 2000, 8000)
LIFTED_CAP = 8 << 30  # bytes: what --lift-cap lets the client read


@dataclass(frozen=True)
class Curve:
    """One measured quantity, as a function of the number of chats."""

    key: str
    label: str
    unit: str  # "s" or "MB"
    baseline_of: str | None = None  # the curve this one is the baseline of
    step: str = ""  # the step of ``measure_size`` it comes from (its errors' key)


CURVES = (
    Curve("sync", "key sync, in process", "s", None, "sync"),
    Curve("sync_base", "bare crypto (sync's baseline)", "s", "sync", "sync"),
    Curve("store", "store refresh, first time", "s", None, "store"),
    Curve("store_base", "json.loads + executemany (store's baseline)", "s", "store", "store"),
    Curve("window", "window, first paint", "s", None, "window"),
    Curve("window_base", "bare QListView (window's baseline)", "s", "window", "window"),
    Curve("mem_main", "sync: main process, peak RSS", "MB", None, "memory"),
    Curve("mem_main_growth", "sync: main process, peak above the signed-in client", "MB",
          None, "memory"),
    Curve("mem_worker", "sync: largest crypto worker, peak RSS", "MB", None, "memory"),
)


@dataclass(frozen=True)
class Fit:
    """cost ~ coefficient * n ** exponent, by least squares on the logs."""

    exponent: float
    coefficient: float
    r2: float
    points: int

    def at(self, n: float) -> float:
        return self.coefficient * n ** self.exponent


def fit(sizes: Sequence[float], values: Sequence[float | None]) -> Fit | None:
    """The log-log least-squares fit of the positive points; None with fewer than 2."""
    pts = [(math.log(n), math.log(v)) for n, v in zip(sizes, values, strict=True)
           if v is not None and v > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    k = sxy / sxx
    a = my - k * mx
    ss_res = sum((y - (a + k * x)) ** 2 for x, y in pts)
    ss_tot = sum((y - my) ** 2 for _, y in pts)
    r2 = 1.0 if ss_tot == 0 else 1 - ss_res / ss_tot
    return Fit(k, math.exp(a), r2, len(pts))


def steps(sizes: Sequence[float], values: Sequence[float | None]) -> list[float | None]:
    """The exponent between each pair of neighbouring sizes (where the curve bends)."""
    out: list[float | None] = []
    for (n0, v0), (n1, v1) in zip(zip(sizes, values, strict=True),
                                  zip(sizes[1:], values[1:], strict=True), strict=False):
        ok = v0 is not None and v1 is not None and v0 > 0 and v1 > 0
        out.append(math.log(v1 / v0) / math.log(n1 / n0) if ok else None)  # type: ignore[operator]
    return out


# --- measuring ---------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def measure_size(n: int, scratch: Path, runs: int, body_cap: int | None) -> dict[str, Any]:
    """Every figure at ``n`` chats: lists of ``runs`` values per curve key, and notes."""
    from . import sync, world

    figures: dict[str, list[float]] = {c.key: [] for c in CURVES}
    notes: dict[str, Any] = {"errors": {}, "step_s": {}}
    step = time.perf_counter()

    def done(name: str) -> None:
        nonlocal step
        took = time.perf_counter() - step
        notes["step_s"][name] = round(took, 1)
        print(f"    {name}: {took:.1f} s", flush=True)
        step = time.perf_counter()

    contacts = world.contacts_for(n)
    print(f"  n = {n:,}: building the world ({contacts:,} contacts, {n:,} chats of "
          f"{world.MEMBERS_PER_CHAT + 1}) ...", flush=True)
    template = world.build(scratch / "template", contacts=contacts, chats=n)
    notes.update(contacts=contacts, keys=template.keys)
    done("world")

    try:
        result = sync.in_process(template, scratch / "run", runs)
        figures["sync"], figures["sync_base"] = result.measured, result.baseline or []
        notes["sync_client_cpu_s"] = result.notes["client_cpu_s"]
    except Exception as exc:  # a failed point is a result: recorded, the rest goes on
        notes["errors"]["sync"] = _error(exc)
    done("key sync + bare crypto")

    if "sync" in notes["errors"] and "ResponseTooLarge" in notes["errors"]["sync"]:
        notes["errors"]["memory"] = "skipped: the sync failed with ResponseTooLarge"
    else:
        from . import loadmem
        for _ in range(runs):
            try:
                found = loadmem.measure(template.fresh(scratch / "run"), body_cap=body_cap)
            except Exception as exc:
                notes["errors"]["memory"] = _error(exc)
                break
            if found["registered"] != template.keys:
                notes["errors"]["memory"] = f"registered {found['registered']} keys"
                break
            _memory_figures(found, figures, notes)
        done("memory (sync, per process)")

    _store_and_window(n, scratch, runs, template.home, figures, notes)
    return {"n": n, "figures": figures, "notes": notes}


def _memory_figures(found: dict[str, Any], figures: dict[str, list[float]],
                    notes: dict[str, Any]) -> None:
    procs = found["processes"]
    main = procs["main"]
    workers = [p["vmhwm_mb"] for name, p in procs.items() if name.startswith("worker")]
    figures["mem_main"].append(main["vmhwm_mb"])
    figures["mem_main_growth"].append(main["vmhwm_mb"] - main["client_mb"])
    if workers:
        figures["mem_worker"].append(max(workers))
    notes.setdefault("memory_runs", []).append(
        {"wall_s": round(found["wall_s"], 2), "main_phase_at_peak": main["phase"],
         "processes_mb": {name: round(p["vmhwm_mb"], 1) for name, p in procs.items()},
         "main_client_mb": round(main["client_mb"], 1)})


def _store_and_window(n: int, scratch: Path, runs: int, home: Path,
                      figures: dict[str, list[float]], notes: dict[str, Any]) -> None:
    """The first refresh of ``n`` synthetic chats, then the window's first paint of it."""
    import shutil

    from komandor_desktop.store import Store

    from . import chats as synthetic
    from . import store, window

    started = time.perf_counter()
    body = synthetic.body(synthetic.make_chats(n))
    notes["store_body_bytes"] = len(body)
    path = scratch / "store" / "store.sqlite3"
    try:
        for _ in range(runs):
            shutil.rmtree(path.parent, ignore_errors=True)
            path.parent.mkdir(parents=True)
            db = store._baseline_db(path.parent / "baseline.sqlite3")
            figures["store_base"].append(store._baseline(db, body))
            db.close()
            store.forget_parsed()  # a first refresh is a fresh process's: nothing parsed before
            with Store(path) as client_store:
                figures["store"].append(store._refresh(client_store, body)[0])
    except Exception as exc:
        notes["errors"]["store"] = _error(exc)
    del body
    took = time.perf_counter() - started
    notes["step_s"]["store refresh"] = round(took, 1)
    print(f"    store refresh (and its {n:,} synthetic chats): {took:.1f} s", flush=True)

    started = time.perf_counter()
    if "store" in notes["errors"]:
        notes["errors"]["window"] = "skipped: no store"
    else:
        args = {"store": str(path), "home": str(home)}
        try:
            for _ in range(runs):
                figures["window_base"].append(window._child("baseline", args)["seconds"])
                figures["window"].append(window._child("window", args)["seconds"])
        except Exception as exc:
            notes["errors"]["window"] = _error(exc)
    took = time.perf_counter() - started
    notes["step_s"]["window first paint"] = round(took, 1)
    print(f"    window first paint: {took:.1f} s", flush=True)


# --- summarising -------------------------------------------------------------


def summarise(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per size, the fit and the steps of each curve, and the ratios to baselines."""
    sizes = [p["n"] for p in points]
    curves = []
    for curve in CURVES:
        values = [_median(p["figures"].get(curve.key, [])) for p in points]
        if all(v is None for v in values):
            continue
        found = fit(sizes, values)
        curves.append({"key": curve.key, "label": curve.label, "unit": curve.unit,
                       "baseline_of": curve.baseline_of, "values": values,
                       "runs": [p["figures"].get(curve.key, []) for p in points],
                       "errors": [p["notes"].get("errors", {}).get(curve.step)
                                  for p in points],
                       "exponent": None if found is None else found.exponent,
                       "coefficient": None if found is None else found.coefficient,
                       "r2": None if found is None else found.r2,
                       "steps": steps(sizes, values)})
    by_key = {c["key"]: c for c in curves}
    ratios = []
    for base in (c for c in curves if c["baseline_of"] in by_key):
        top = by_key[base["baseline_of"]]
        values = [None if m is None or b is None or b <= 0 else m / b
                  for m, b in zip(top["values"], base["values"], strict=True)]
        found = fit(sizes, values)
        ratios.append({"label": f"{top['label']} / baseline", "values": values,
                       "exponent": None if found is None else found.exponent})
    return {"sizes": sizes, "curves": curves, "ratios": ratios}


def _cell(value: float | None, unit: str, error: str | None = None) -> str:
    if value is None:
        return "over cap" if error and "ResponseTooLarge" in error else \
            "failed" if error else "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(summary: dict[str, Any]) -> str:
    """The figures at each size, the fitted exponent and the steps between sizes."""
    sizes = summary["sizes"]
    head = ("curve", *(f"{n:,}" for n in sizes), "exponent", "steps")
    rows = [head]
    for c in summary["curves"]:
        rows.append((c["label"], *(_cell(v, c["unit"], e)
                                   for v, e in zip(c["values"], c["errors"], strict=True)),
                     _num(c["exponent"]), " ".join(_num(s) for s in c["steps"])))
    for r in summary["ratios"]:
        rows.append((r["label"], *(_cell(v, "") for v in r["values"]), _num(r["exponent"]), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- drawing -----------------------------------------------------------------

_COLOURS = {"sync": "tab:blue", "store": "tab:orange", "window": "tab:green",
            "mem_main": "tab:red", "mem_main_growth": "tab:purple", "mem_worker": "tab:brown"}


def plot(summary: dict[str, Any], path: Path, title: str, subtitle: str = "") -> None:
    """Two log-log panels (time, memory), one line per curve, its exponent in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    sizes = summary["sizes"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 8), dpi=110)
    panels = {"s": (axes[0], "time (seconds)", "Time"), "MB": (axes[1], "peak RSS (MB)",
                                                           "Memory of the sync, per process")}
    for unit, (ax, ylabel, name) in panels.items():
        drawn = [c for c in summary["curves"] if c["unit"] == unit]
        for c in drawn:
            xs = [n for n, v in zip(sizes, c["values"], strict=True) if v is not None]
            ys = [v for v in c["values"] if v is not None]
            colour = _COLOURS.get(c["baseline_of"] or c["key"], None)
            k = "n/a" if c["exponent"] is None else f"{c['exponent']:.2f}"
            if len(sizes) > 2 and any(x is not None for x in c["steps"]):
                k += " (steps " + ", ".join(_num(x) for x in c["steps"]) + ")"
            missing = [f"{n:,}" + (": over the body cap" if e and "ResponseTooLarge" in e
                                   else ": failed" if e else "")
                       for n, v, e in zip(sizes, c["values"], c.get("errors") or
                                          [None] * len(sizes), strict=True) if v is None]
            label = f"{c['label']}: k = {k}" + (f" (no point at {'; '.join(missing)})"
                                                if missing else "")
            base = c["baseline_of"] is not None
            ax.plot(xs, ys, linestyle="--" if base else "-", marker="s" if base else "o",
                    linewidth=1.2 if base else 2.0, markersize=4 if base else 6,
                    alpha=0.75 if base else 1.0, color=colour, label=label)
        firsts = [(n, v) for c in drawn for n, v in zip(sizes, c["values"], strict=True)
                  if v is not None and n == sizes[0]]
        if firsts and len(sizes) > 1:  # a slope-1 guide through the lowest first point
            n0, v0 = min(firsts, key=lambda p: p[1])
            ax.plot([sizes[0], sizes[-1]], [v0, v0 * sizes[-1] / n0], color="grey",
                    linestyle=":", linewidth=1, label="linear (k = 1), for reference")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("chats (log scale)")
        ax.set_ylabel(f"{ylabel}, log scale")
        ax.set_title(name)
        ax.grid(True, which="both", linewidth=0.4, alpha=0.5)
        ax.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.suptitle(title + ("\n" + subtitle if subtitle else ""), fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)


# --- the command -------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    if not sizes or sizes[0] < 10:
        raise argparse.ArgumentTypeError("sizes: comma-separated chat counts, each >= 10")
    return sizes


def run(sizes: Sequence[int], runs: int, scratch: Path, body_cap: int | None,
        measure: Callable[[int, Path, int, int | None], dict[str, Any]] = measure_size,
        ) -> list[dict[str, Any]]:
    if body_cap:
        from .common import lift_body_cap
        lift_body_cap(body_cap)
    points = []
    for n in sizes:
        started = time.perf_counter()
        point = measure(n, scratch / str(n), runs, body_cap)
        point["seconds"] = round(time.perf_counter() - started, 1)
        print(f"  n = {n:,}: {point['seconds']} s", flush=True)
        points.append(point)
    return points


def write(points: list[dict[str, Any]], *, json_path: Path, png_path: Path,
          machine: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Summarise, write the JSON and the PNG; the report."""
    summary = summarise(points)
    report = {"machine": machine, **extra, **summary,
              "points": [{"n": p["n"], "seconds": p.get("seconds"), **p["notes"]}
                         for p in points]}
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    draw(report, png_path)
    return report


def draw(report: dict[str, Any], png_path: Path) -> None:
    """The PNG of a report (as ``write`` makes it, or read back from its JSON)."""
    machine = report.get("machine", {})
    cap = "body cap lifted (--lift-cap)" if report.get("lift_cap") else "the client's 256 MB cap"
    subtitle = (f"{machine.get('nproc')} cores, {machine.get('cpu')}, Python "
                f"{machine.get('python')}; median of {report.get('runs')} run(s); {cap}")
    plot(report, png_path, "How the cost grows with the number of chats "
         "(log-log; k: fitted exponent, cost ~ n^k; steps: between neighbouring sizes)",
         subtitle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_sizes, default=SIZES,
                        help="comma-separated chat counts (default 1000,10000,50000)")
    parser.add_argument("--quick", action="store_true", help="sizes 500,2000,8000")
    parser.add_argument("--runs", type=int, default=1, help="runs per size (median)")
    parser.add_argument("--lift-cap", action="store_true",
                        help="let the benchmark's client read bodies over 256 MB")
    parser.add_argument("--json", type=Path, default=Path("bench-scale.json"))
    parser.add_argument("--png", type=Path, default=Path("docs/scaling.png"))
    parser.add_argument("--replot", type=Path, metavar="JSON",
                        help="draw the PNG and print the table of a saved report; no measuring")
    args = parser.parse_args(argv)
    if args.replot:
        saved = json.loads(args.replot.read_text())
        draw(saved, args.png)
        print(table(saved))
        print(f"\nwritten {args.png}")
        return 0
    from .__main__ import machine

    sizes = QUICK if args.quick else args.sizes
    body_cap = LIFTED_CAP if args.lift_cap else None
    started = time.perf_counter()
    print(f"scaling: sizes {', '.join(f'{n:,}' for n in sizes)}; {args.runs} run(s) each",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="komandor-scale-") as tmp:
        points = run(sizes, args.runs, Path(tmp), body_cap)
    extra = {"runs": args.runs, "lift_cap": args.lift_cap,
             "seconds": round(time.perf_counter() - started, 1)}
    report = write(points, json_path=args.json, png_path=args.png, machine=machine(),
                   extra=extra)
    print()
    print(table(report))
    for p in report["points"]:
        for what, error in p["errors"].items():
            print(f"n = {p['n']:,}, {what}: {error}", file=sys.stderr)
    print(f"\nwritten {args.json} and {args.png}; {extra['seconds']} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
