"""The folder of one ``--demo`` run: its client home and its emulator's database.

Each demo run owns ``HOME/demo/run-<pid>-<random>/`` (CLI.md: the demo uses
a home of its own inside the profile directory, never the real profile), with
the client's home in ``home/`` and the emulator's SQLite file beside it. The
run removes its folder when it ends, also on SIGTERM (the window's quit path
does it). A run that could not clean up — killed with SIGKILL, a power cut —
leaves its folder behind; the next demo removes every folder whose owner
process is gone. A second demo started while one runs gets a folder of its
own and leaves the first one's alone.

The owner is written as ``pid start-time``: the start time (Linux
``/proc/<pid>/stat``) tells a live owner from a new process that happens to
have been given the same pid.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

OWNER_FILE = "owner"
PREFIX = "run-"


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" where /proc has none)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # the command name (field 2) may hold spaces and brackets: split after the last ")"
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return not started or not _start_time(pid) or _start_time(pid) == started


def _owner_alive(run: Path) -> bool:
    try:
        pid_text, _, started = (run / OWNER_FILE).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # no owner written (killed while creating): stale
    return _alive(pid, started)


class DemoRun:
    """One demo run's folder; ``create`` sweeps stale runs, ``remove`` deletes this one.

    Attributes:
        root: the run's folder.
        home: the client's profile home inside it.
        db_path: the emulator's SQLite database inside it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.db_path = root / "emulator.sqlite3"

    @classmethod
    def create(cls, base: Path) -> DemoRun:
        """A fresh run folder under ``base`` (``HOME/demo``), owned by this process."""
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        sweep(base)
        pid = os.getpid()
        root = base / f"{PREFIX}{pid}-{secrets.token_hex(4)}"
        root.mkdir(mode=0o700)
        owner = root / OWNER_FILE
        owner.write_text(f"{pid} {_start_time(pid)}\n")
        owner.chmod(0o600)
        return cls(root)

    def remove(self) -> None:
        """Delete the run's folder (idempotent; errors are logged, not raised)."""
        _remove(self.root)


def sweep(base: Path) -> list[Path]:
    """Remove the run folders under ``base`` whose owner is gone; returns them."""
    removed: list[Path] = []
    for run in sorted(base.glob(f"{PREFIX}*")):
        if run.is_dir() and not run.is_symlink() and not _owner_alive(run):
            _remove(run)
            removed.append(run)
    return removed


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if folder.exists():
        log.warning("could not remove the demo folder %s", folder)
