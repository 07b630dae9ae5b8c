"""The window as its users start it: its own process, a fresh profile, and quit.

The first sign-in crash and the quit traceback were invisible to in-process
tests, so these start the real program (``tests/app_driver.py`` runs the
``komandor-desktop`` entry point and types into its dialogs with real key
events), against a real emulator in a process of its own, and check what a
user would see: the main window opens and stays open, and every way out —
Ctrl+Q, closing the window, SIGTERM — ends with exit code 0, nothing on
standard error, no process left behind, and (for the demo) no folder left.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import emulator_process

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("app_driver.py")
PASSPHRASE = "correct horse battery staple"


def marked_processes(mark: str) -> list[int]:
    """Pids of live processes whose environment carries ``mark`` (the app's children too)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if f"KOMANDOR_TEST_MARK={mark}".encode() in environ.split(b"\0") and state != "Z":
            found.append(int(proc.name))
    return found


class App:
    """The program under ``app_driver.py``, with its event lines read in a thread."""

    def __init__(self, tmp_path: Path, home: Path, *args: str, steps: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.mark = uuid.uuid4().hex
        user = tmp_path / "user"  # $HOME: QSettings, platformdirs, no real profile touched
        user.mkdir(exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("KOMANDOR_")}
        self.env = {**base, "HOME": str(user), "QT_QPA_PLATFORM": "offscreen",
                    "XDG_CONFIG_HOME": str(user / ".config"),
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                    "KOMANDOR_TEST_MARK": self.mark, **(env or {})}
        command = [sys.executable, str(DRIVER)]
        for step in steps:
            command += ["--step", step]
        command += ["--", "--home", str(home), *args]
        self.proc = subprocess.Popen(command, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._stderr: str | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put(line.rstrip("\n"))

    def expect(self, event: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while f"event: {event}" not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and self.lines.empty():
                self.kill()
                raise AssertionError(f"no {event!r}; saw {self.seen}; "
                                     f"stderr: {self.stderr()}")
            try:
                self.seen.append(self.lines.get(timeout=min(left, 1.0)))
            except queue.Empty:
                continue

    def events(self) -> list[str]:
        """Every line seen so far (after ``finish``: all of them)."""
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.seen

    def step(self, step: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(step + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Exit code and standard error once the program ended by itself."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running after {timeout} s: {self.stderr()}") from None
        return code, self.stderr()

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        if self._stderr is None:
            assert self.proc.stderr is not None
            assert self.proc.stdin is not None
            self._stderr = self.proc.stderr.read()
            for pipe in (self.proc.stderr, self.proc.stdin):
                pipe.close()
        return self._stderr

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr()

    def assert_gone(self) -> None:
        """No process started by this run is left (crypto workers, emulator...)."""
        deadline = time.monotonic() + 10
        while (left := marked_processes(self.mark)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"processes left behind: {left}"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[str]:
    """A real emulator as a process of its own, on a free loopback port."""
    with emulator_process(tmp_path) as url:
        yield url


def signed_in(tmp_path: Path, url: str) -> App:
    """A first run on a fresh profile: login dialog, passphrase, the window syncs."""
    app = App(tmp_path, tmp_path / "home", env={"KOMANDOR_SERVER": url}, steps=(
        "login:+79990000041:1111:Irina Orlova", f"new-passphrase:{PASSPHRASE}", "window", "synced"))
    app.expect("done synced")
    return app


def test_first_sign_in_from_the_window_opens_and_keeps_the_main_window(
        tmp_path: Path, emulator: str) -> None:
    app = signed_in(tmp_path, emulator)
    time.sleep(2)  # the process keeps running with the window open
    assert app.proc.poll() is None, app.stderr()
    assert (tmp_path / "home" / "profile.json").is_file()
    app.step("ctrl-q")
    code, stderr = app.finish()
    assert (code, stderr) == (0, "")
    app.assert_gone()


def test_a_second_start_unlocks_with_the_passphrase_and_closing_the_window_quits(
        tmp_path: Path, emulator: str) -> None:
    first = signed_in(tmp_path, emulator)
    first.proc.send_signal(signal.SIGTERM)
    assert first.finish() == (0, "")
    first.assert_gone()
    again = App(tmp_path, tmp_path / "home", steps=(
        "unlock:not the passphrase", "expect-unlock-error", f"unlock:{PASSPHRASE}", "window",
        "synced", "close"))
    code, stderr = again.finish(timeout=120)
    assert (code, stderr) == (0, "")
    assert again.events().index("event: done expect-unlock-error") \
        < again.events().index("event: window-shown")
    again.assert_gone()


@pytest.mark.parametrize("how", ["ctrl-q", "close", "sigterm"])
def test_demo_quits_cleanly_and_removes_its_folder(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    app = App(tmp_path, home, "--demo", steps=("window", "synced"))
    app.expect("done synced")
    runs = list((home / "demo").glob("run-*"))
    assert len(runs) == 1
    assert (runs[0] / "home" / "profile.json").is_file()
    if how == "sigterm":
        app.proc.send_signal(signal.SIGTERM)
    else:
        app.step(how)
    assert app.finish() == (0, "")
    assert not list((home / "demo").glob("run-*"))
    app.assert_gone()


def test_a_second_demo_keeps_the_first_ones_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = App(tmp_path, home, "--demo", steps=("window", "synced"))
    first.expect("done synced")
    (mine,) = (home / "demo").glob("run-*")
    second = App(tmp_path, home, "--demo", steps=("window", "synced"))
    second.expect("done synced")
    assert mine.is_dir()
    assert (mine / "home" / "profile.json").is_file()
    assert len(list((home / "demo").glob("run-*"))) == 2
    second.step("ctrl-q")
    assert second.finish() == (0, "")
    assert mine.is_dir()  # the second run removed its own folder only
    first.proc.send_signal(signal.SIGTERM)
    assert first.finish() == (0, "")
    assert not list((home / "demo").glob("run-*"))


def test_a_killed_demo_leaves_no_process_and_a_folder_that_the_next_demo_removes(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = App(tmp_path, home, "--demo", steps=("window", "synced"))
    first.expect("done synced")
    (stale,) = (home / "demo").glob("run-*")
    assert len(marked_processes(first.mark)) >= 2  # the window and its sync worker
    first.proc.send_signal(signal.SIGKILL)
    assert first.finish()[0] == -signal.SIGKILL
    first.assert_gone()  # the worker saw its window go (its input closed) and left
    assert stale.is_dir()
    second = App(tmp_path, home, "--demo", steps=("window", "ctrl-q"))
    assert second.finish(timeout=120) == (0, "")
    assert not stale.exists()
