"""``make bench``: every benchmark of issue 5 against its baseline, in one run.

Prints a table, writes ``bench-results.json`` (figures, ratios, machine) and
exits 1 when a figure is over its budget. ``--only NAME`` (repeatable) runs a
subset: sync, loopback, store, window, responsiveness, memory.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import store, sync, world
from .common import RUNS, Result

GROUPS = ("sync", "loopback", "store", "window", "responsiveness", "memory", "load")


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(),
            "python": platform.python_version(), "platform": platform.platform()}


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.1f} {unit}"


def table(results: list[Result]) -> str:
    head = ("benchmark", "measured", "baseline", "ratio", "budget", "")
    rows = [head]
    for r in results:
        budget = f"<= {r.budget:g}" + ("" if r.budget_kind == "ratio" else f" {r.unit}")
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        rows.append((r.name, _fmt(r.measured_median, r.unit), _fmt(r.baseline_median, r.unit),
                     ratio, budget, "ok" if r.ok else "OVER"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(groups: list[str], runs: int, scratch: Path) -> list[Result]:
    results: list[Result] = []
    template = None
    if {"sync", "loopback", "responsiveness", "window", "memory"} & set(groups):
        print("building the world (1,000 contacts, 2,500 chats) ...", flush=True)
        template = world.build(scratch / "template")
    for group in groups:
        started = time.perf_counter()
        print(f"running {group} ...", flush=True)
        if group == "sync":
            assert template is not None
            results.append(sync.in_process(template, scratch / "run", runs))
        elif group == "loopback":
            assert template is not None
            results.append(sync.loopback(template, scratch / "run", runs))
        elif group == "store":
            results.extend(store.run(scratch / "store", runs))
        elif group == "load":
            from . import load
            results.extend(load.run(scratch, runs))
        elif group in ("window", "responsiveness", "memory"):
            from . import window
            results.extend(window.run(group, template, scratch, runs))
        print(f"  {group}: {time.perf_counter() - started:.1f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=GROUPS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--json", default="bench-results.json")
    args = parser.parse_args(argv)
    groups = args.only or list(GROUPS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="komandor-bench-") as tmp:
        results = run(groups, args.runs, Path(tmp))
    print()
    print(table(results))
    report = {"machine": machine(), "runs": args.runs,
              "seconds": round(time.perf_counter() - started, 1),
              "results": [r.to_json() for r in results]}
    Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {args.json}; {report['seconds']} s in all")
    over = [r.name for r in results if not r.ok]
    if over:
        print("over budget: " + "; ".join(over), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
