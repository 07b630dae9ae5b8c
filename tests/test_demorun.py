"""The demo's run folders: one per run, removed by their owner, swept when the owner is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from komandor_desktop.demorun import OWNER_FILE, DemoRun, sweep


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_each_run_owns_a_fresh_folder_and_removes_only_its_own(tmp_path: Path) -> None:
    first, second = DemoRun.create(tmp_path), DemoRun.create(tmp_path)
    assert first.root != second.root
    assert first.root.parent == second.root.parent == tmp_path
    assert oct(first.root.stat().st_mode & 0o777) == "0o700"
    first.home.mkdir()
    second.remove()
    assert first.home.is_dir()
    assert not second.root.exists()
    first.remove()
    first.remove()  # idempotent
    assert not first.root.exists()


def test_sweep_removes_runs_whose_owner_is_gone_and_keeps_live_ones(tmp_path: Path) -> None:
    live = DemoRun.create(tmp_path)
    dead = tmp_path / "run-dead"
    dead.mkdir()
    (dead / OWNER_FILE).write_text(f"{dead_pid()} 1\n")
    no_owner = tmp_path / "run-no-owner"  # killed before it wrote its owner
    no_owner.mkdir()
    reused = tmp_path / "run-reused"  # our pid, but another process's start time
    reused.mkdir()
    (reused / OWNER_FILE).write_text(f"{os.getpid()} 1\n")
    other = tmp_path / "not-a-run"
    other.mkdir()
    assert sorted(p.name for p in sweep(tmp_path)) == ["run-dead", "run-no-owner", "run-reused"]
    assert live.root.is_dir()
    assert other.is_dir()


def test_creating_a_run_sweeps_stale_ones(tmp_path: Path) -> None:
    stale = tmp_path / "run-stale"
    stale.mkdir()
    (stale / OWNER_FILE).write_text(f"{dead_pid()}\n")
    run = DemoRun.create(tmp_path)
    assert not stale.exists()
    assert run.root.is_dir()
