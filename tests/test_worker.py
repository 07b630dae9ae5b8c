"""The sync worker: its contract, its process, and the window's side that restarts it.

The worker runs as a real process (``python -m komandor_desktop.worker``)
against a real emulator over loopback, on a real profile; the window's side
(``gui.worker.ProcessWorker``) is driven on a qasync loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from komandor_desktop.emulator import DEMO_PHONE, EmulatorConfig, EmulatorServer
from komandor_desktop.gui.worker import ProcessWorker, WorkerState
from komandor_desktop.identity import Profile, login
from komandor_desktop.session import Reader
from komandor_desktop.worker import contract as c

PASSPHRASE = "a long passphrase for the worker"


# -- the contract -----------------------------------------------------------------


@pytest.mark.parametrize("message", [
    c.Open("/home/x", "secret"), c.SyncNow(("79990000001", "79990000002")), c.SyncNow(), c.Stop(),
    c.Ready(42), c.Started(), c.Progress(3, 7), c.Retrying("503", 2.5),
    c.ChatsChanged(frozenset({"a", "b"})), c.Finished(1, {"registered": 1}), c.Offline("down"),
    c.SignedOut("expired"), c.Failed("boom"), c.Stopped(),
])
def test_every_message_survives_the_wire(message: c.Message) -> None:
    line = c.encode(message)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert c.decode(line) == message


@pytest.mark.parametrize(("line", "why"), [
    (b"{", "not JSON"),
    (b'{"kind": "stop"}', "version"),
    (b'{"v": 1, "kind": "launch_missiles"}', "unexpected"),
    (b'{"v": 1, "kind": "progress", "done": 1}', "missing"),
    (b'{"v": 1, "kind": "progress", "done": true, "total": 2}', "is not int"),
    (b'{"v": 1, "kind": "progress", "done": "1", "total": 2}', "is not int"),
    (b'{"v": 1, "kind": "chats_changed", "ids": ["a", 1]}', "non-string"),
    (b'{"v": 1, "kind": "open", "home": "h", "passphrase": null}', "is not str"),
])
def test_anything_else_is_refused_with_a_reason(line: bytes, why: str) -> None:
    with pytest.raises(c.ContractError, match=why):
        c.decode(line)


def test_each_side_takes_only_its_own_messages() -> None:
    with pytest.raises(c.ContractError):
        c.decode(c.encode(c.Finished(1)), c.COMMANDS)
    with pytest.raises(c.ContractError):
        c.decode(c.encode(c.SyncNow()), c.EVENTS)


def test_the_passphrase_is_never_in_a_repr() -> None:
    assert "secret" not in repr(c.Open("/h", "secret"))


# -- the process --------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    config = EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'emulator.sqlite3'}", seed="demo")
    with EmulatorServer(config) as running:
        assert running.url is not None
        yield running.url


@pytest.fixture
def home(tmp_path: Path, server: str) -> Path:
    home = tmp_path / "home"
    asyncio.run(login(home, server, DEMO_PHONE, "1111", passphrase=PASSPHRASE, name="Иван"))
    return home


def worker_process(*lines: bytes, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "komandor_desktop.worker"],
                          input=b"".join(lines), capture_output=True, timeout=timeout)


def events(out: bytes) -> list[c.Message]:
    return [c.decode(line, c.EVENTS) for line in out.splitlines()]


class Talk:
    """A worker process and its two pipes, read line by line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "komandor_desktop.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.told: list[c.Message] = []

    def send(self, message: c.Message) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(c.encode(message))
        self.proc.stdin.flush()

    def until(self, kind: type[c.Message] | tuple[type[c.Message], ...]) -> c.Message:
        assert self.proc.stdout is not None
        while line := self.proc.stdout.readline():
            self.told.append(c.decode(line, c.EVENTS))
            if isinstance(self.told[-1], kind):
                return self.told[-1]
        raise AssertionError(f"the worker ended first: {self.told}")

    def end(self) -> tuple[int, bytes]:
        """Close standard input (as a window that is gone) and wait for the exit."""
        assert self.proc.stdin is not None
        assert self.proc.stderr is not None
        self.proc.stdin.close()
        self.until(c.Stopped)
        code = self.proc.wait(timeout=60)
        err = self.proc.stderr.read()
        for pipe in (self.proc.stdout, self.proc.stderr):
            assert pipe is not None
            pipe.close()
        return code, err


@pytest.mark.slow
def test_the_worker_syncs_reports_each_outcome_once_and_ends_with_its_input(home: Path) -> None:
    talk = Talk()
    talk.send(c.Open(str(home), PASSPHRASE))
    assert isinstance(talk.until(c.Ready), c.Ready)
    talk.send(c.SyncNow())
    first = talk.until(c.OUTCOMES)
    assert isinstance(first, c.Finished), first
    assert first.report["errors"] == []
    assert first.report["registered"] > 0  # the demo user's new chats got their keys
    assert any(isinstance(m, c.ChatsChanged) and m.ids for m in talk.told)
    assert any(isinstance(m, c.Progress) for m in talk.told)
    talk.send(c.SyncNow())
    second = talk.until(c.OUTCOMES)
    assert isinstance(second, c.Finished)
    assert second.report["registered"] == 0  # nothing left to do
    code, err = talk.end()  # standard input closed: the window is gone
    assert code == 0, err
    kinds = [m.kind for m in talk.told]
    assert kinds.count("started") == 2
    assert sum(isinstance(m, c.OUTCOMES) for m in talk.told) == 2  # one outcome per pass
    assert PASSPHRASE.encode() not in err


@pytest.mark.slow
def test_a_worker_that_cannot_open_the_profile_says_so_and_exits_3(home: Path) -> None:
    done = worker_process(c.encode(c.Open(str(home), "not the passphrase")))
    assert done.returncode == 3
    (failed,) = events(done.stdout)
    assert isinstance(failed, c.Failed)
    assert "passphrase" in failed.message
    assert PASSPHRASE.encode() not in done.stderr + done.stdout


@pytest.mark.slow
def test_the_worker_tunes_its_own_process_once_the_session_is_open(home: Path) -> None:
    # the engine no longer does it for every program that syncs (runtime.py)
    done = subprocess.run([sys.executable, "-m", "komandor_desktop.worker", "-vv"],
                          input=c.encode(c.Open(str(home), PASSPHRASE)) + c.encode(c.Stop()),
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [m.kind for m in events(done.stdout)] == ["ready", "stopped"]
    tuned = [line for line in done.stderr.decode().splitlines() if "process tuned" in line]
    assert len(tuned) == 1, done.stderr
    assert "switch interval 1.0 ms" in tuned[0]


@pytest.mark.slow
def test_a_bad_crash_hook_stops_the_worker_before_it_reads_anything(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "komandor_desktop.worker"],
                          input=b"", capture_output=True, timeout=120,
                          env={**os.environ, "KOMANDOR_CRASH_AT": "nowhere:1"})
    assert done.returncode != 0
    assert b"KOMANDOR_CRASH_AT" in done.stderr
    assert done.stdout == b""


@pytest.mark.slow
def test_a_malformed_first_line_exits_2(tmp_path: Path) -> None:
    done = worker_process(b'{"v": 1, "kind": "sync_now"}\n')
    assert done.returncode == 2
    assert done.stdout == b""


# -- the window's side ------------------------------------------------------------


def run(loop: qasync.QEventLoop, qtbot: Any, aw: Any, timeout: int = 120_000) -> Any:
    task = asyncio.ensure_future(aw)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.mark.slow
def test_a_crashed_worker_is_restarted_and_nothing_is_lost(home: Path, loop: qasync.QEventLoop,
                                                          qtbot: Any, monkeypatch: Any) -> None:
    # the first worker dies right after its first registration POST succeeded
    # (crashpoints.py), before it stored the answer: the restarted one must
    # converge without making any key again
    monkeypatch.setenv("KOMANDOR_CRASH_AT", "posted:1")
    worker = ProcessWorker(str(home), PASSPHRASE, restart_delays=(0.2,))
    states: list[str] = []
    worker.stateChanged.connect(states.append)
    told: list[c.Message] = []
    worker.on_event = told.append
    worker.start()
    first = run(loop, qtbot, worker.sync())
    assert isinstance(first, c.Failed)
    assert "stopped unexpectedly" in first.message
    assert WorkerState.CRASHED.value in states
    qtbot.waitUntil(lambda: worker.state is WorkerState.IDLE, timeout=60_000)
    monkeypatch.delenv("KOMANDOR_CRASH_AT")
    second = run(loop, qtbot, worker.sync())
    assert isinstance(second, c.Finished), second
    assert second.report["errors"] == []
    assert second.report["registered"] == 0  # the crashed pass's keys were kept, none made again
    pid = worker.pid
    assert pid is not None
    run(loop, qtbot, worker.aclose())
    assert worker.state is WorkerState.STOPPED
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    views = Reader(home, Profile.load(home, PASSPHRASE)).views()
    assert all(v.status.value != "new" or v.reason is not None for v in views)


@pytest.mark.slow
def test_a_killed_worker_fails_the_waiting_pass_and_comes_back(
        home: Path, loop: qasync.QEventLoop, qtbot: Any) -> None:
    worker = ProcessWorker(str(home), PASSPHRASE, restart_delays=(0.2,))
    worker.start()
    qtbot.waitUntil(lambda: worker.state is WorkerState.IDLE, timeout=60_000)
    first_pid = worker.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: worker.state is WorkerState.CRASHED, timeout=10_000)
    outcome = run(loop, qtbot, worker.sync())  # waits for the restarted worker
    assert isinstance(outcome, c.Finished)
    assert worker.pid not in (None, first_pid)
    run(loop, qtbot, worker.aclose())


@pytest.mark.slow
def test_a_worker_that_cannot_open_the_profile_is_not_restarted(
        home: Path, loop: qasync.QEventLoop, qtbot: Any) -> None:
    worker = ProcessWorker(str(home), "not-it-at-all", restart_delays=(0.1,))
    worker.start()
    outcome = run(loop, qtbot, worker.sync())
    assert isinstance(outcome, c.Failed)
    qtbot.waitUntil(lambda: worker.state is WorkerState.FAILED, timeout=30_000)
    qtbot.wait(500)
    assert worker.state is WorkerState.FAILED  # no restart loop
    assert "not-it-at-all" not in c.encode(outcome).decode()
    run(loop, qtbot, worker.aclose())


@pytest.mark.slow
def test_the_window_shows_the_worker_restarting_and_recovering(
        home: Path, loop: qasync.QEventLoop, qtbot: Any, languages: Any) -> None:
    from komandor_desktop.gui.bridge import SyncBridge
    from komandor_desktop.gui.mainwindow import MainWindow

    reader = Reader(home, Profile.load(home, PASSPHRASE))
    worker = ProcessWorker(str(home), PASSPHRASE, restart_delays=(1.0,))
    bridge = SyncBridge(worker, views=lambda: reader.list_views("ru"), interval_ms=0)
    window = MainWindow(bridge, languages=languages, user_name="Иван")
    qtbot.addWidget(window)
    window.show()
    worker.start()
    assert window.status.state == "starting"
    assert window.status.label.text() == "Запуск синхронизации…"
    with qtbot.waitSignal(bridge.syncFinished, timeout=120_000):
        bridge.request_sync()
    assert window.status.state == "synced"
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: window.status.state == "restarting", timeout=10_000)
    assert window.status.label.text().startswith("Синхронизация неожиданно остановилась")
    qtbot.waitUntil(lambda: worker.state is WorkerState.IDLE, timeout=60_000)
    assert window.status.state == "idle"  # the restarted worker is ready: the message goes
    with qtbot.waitSignal(bridge.syncFinished, timeout=120_000):
        bridge.request_sync()
    assert window.status.label.text().startswith("Ключи синхронизированы")
    run(loop, qtbot, bridge.aclose())  # closes the worker too
    assert worker.state is WorkerState.STOPPED
    run(loop, qtbot, reader.aclose())
