"""SyncBridge over a worker, and the login dialog's async steps, on a qasync loop.

The engine is a scripted double; it runs behind ``InProcessWorker``, so the
engine-to-contract mapping (``worker/passes.py``) is what the bridge sees.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from komandor_desktop import errors
from komandor_desktop.gui.bridge import BACKOFF_SECONDS, SyncBridge
from komandor_desktop.gui.demo import demo_views
from komandor_desktop.gui.login import LoginDialog
from komandor_desktop.sync.events import EventKind, SyncEvent, SyncReport
from komandor_desktop.worker.contract import ChatsChanged, Failed, Retrying, SignedOut
from komandor_desktop.worker.passes import InProcessWorker


def Event(kind: str, done: int = 0, total: int = 0, **kw: Any) -> SyncEvent:  # noqa: N802
    return SyncEvent(EventKind(kind), done, total, **kw)


class ScriptedEngine:
    """An engine double: emits the scripted events, then raises or returns."""

    def __init__(self, events: list[SyncEvent] | None = None,
                 fail: BaseException | None = None) -> None:
        self.listener: Any = None
        self.events = events or []
        self.fail = fail
        self.calls: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def sync(self, max_rounds: int = 10, phones: tuple[str, ...] = ()) -> SyncReport:
        self.calls.append({"phones": tuple(phones)})
        for event in self.events:
            self.listener(event)
            await asyncio.sleep(0)
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return SyncReport(0, 1, {"new": 0, "wait": 0, "sync": 0})


def make_bridge(**engine_kw: Any) -> tuple[SyncBridge, ScriptedEngine]:
    views = demo_views(1_750_000_000_000)
    engine = ScriptedEngine(**engine_kw)
    bridge = SyncBridge(InProcessWorker(engine), views=lambda: views, interval_ms=0)
    return bridge, engine


def test_successful_pass_emits_progress_views_and_finished(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge, engine = make_bridge(events=[Event("started"), Event("progress", 3, 7),
                                         Event("progress", 7, 7), Event("done")])
    progress: list[tuple[int, int]] = []
    views: list[list[Any]] = []
    bridge.progress.connect(lambda d, t: progress.append((d, t)))
    bridge.viewsChanged.connect(views.append)
    with qtbot.waitSignal(bridge.syncFinished, timeout=3000) as finished:
        task = bridge.request_sync()
    assert task is not None
    qtbot.waitUntil(task.done)
    assert abs(finished.args[0] - time.time() * 1000) < 60_000  # Finished.at_ms
    assert progress == [(3, 7), (7, 7)]
    assert len(views) == 1
    assert len(views[0]) == 20
    assert not bridge.busy


def test_requests_during_a_pass_merge_into_one_follow_up(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge, engine = make_bridge()
    engine.gate.clear()
    first = bridge.request_sync()
    assert first is not None
    assert bridge.busy
    assert bridge.add_contacts(["79161234567"]) is None
    assert bridge.request_sync() is None
    engine.gate.set()
    qtbot.waitUntil(lambda: len(engine.calls) == 2 and not bridge.busy, timeout=3000)
    assert engine.calls == [{"phones": ()}, {"phones": ("79161234567",)}]
    assert len(bridge._tasks) == 0  # references dropped once done


def test_transport_error_goes_offline_and_schedules_retry(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge, engine = make_bridge(fail=errors.TransportError("connection refused"))
    with qtbot.waitSignal(bridge.offline, timeout=3000) as offline:
        bridge.request_sync()
    assert offline.args == ["connection refused", BACKOFF_SECONDS[0]]
    assert bridge._retry.isActive()
    assert 0 < bridge._retry.remainingTime() <= BACKOFF_SECONDS[0] * 1000
    qtbot.waitUntil(lambda: not bridge.busy)
    with qtbot.waitSignal(bridge.offline, timeout=3000) as again:
        bridge.request_sync()  # [Retry] pressed: immediate pass, longer back-off next
    assert again.args[1] == BACKOFF_SECONDS[1]
    qtbot.waitUntil(lambda: not bridge.busy)
    bridge.stop()


@pytest.mark.parametrize(
    ("exc", "signal"),
    [
        (errors.TokenExpired(401, "token_expired", "expired"), "signedOut"),
        (errors.NotSignedIn("no profile"), "signedOut"),
        (errors.ProtocolError("bad json"), "error"),
        (RuntimeError("engine bug"), "error"),
    ],
)
def test_failures_map_to_signals(loop, qtbot, exc, signal) -> None:  # type: ignore[no-untyped-def]
    bridge, _engine = make_bridge(fail=exc)
    finished: list[int] = []
    bridge.syncFinished.connect(finished.append)
    with qtbot.waitSignal(getattr(bridge, signal), timeout=3000):
        bridge.request_sync()
    qtbot.waitUntil(lambda: not bridge.busy)
    assert finished == []


def test_engine_outcome_events_are_not_reported_twice(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    # the engine says "error" and raises: the bridge hears the outcome once
    bridge, _engine = make_bridge(events=[Event("error", message="boom")],
                                  fail=errors.ProtocolError("boom"))
    errors_seen: list[str] = []
    bridge.error.connect(errors_seen.append)
    with qtbot.waitSignal(bridge.busyChanged, check_params_cb=lambda busy: not busy):
        bridge.request_sync()
    assert errors_seen == ["boom"]


def test_worker_events_outside_a_pass(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge, _engine = make_bridge()
    with qtbot.waitSignal(bridge.offline) as retry:
        bridge.on_event(Retrying("503", 2.2))
    assert retry.args == ["503", 3]
    with qtbot.waitSignal(bridge.error) as err:
        bridge.on_event(Failed("boom"))  # e.g. the worker could not open the profile
    assert err.args == ["boom"]
    with qtbot.waitSignal(bridge.signedOut):
        bridge.on_event(SignedOut("expired"))
    with qtbot.waitSignal(bridge.viewsChanged):
        bridge.on_event(ChatsChanged(frozenset({"c1"})))


def test_timer_runs_passes_and_aclose_cancels(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge, engine = make_bridge()
    bridge._timer.setInterval(20)
    bridge.start()
    qtbot.waitUntil(lambda: len(engine.calls) >= 3, timeout=3000)
    engine.gate.clear()
    qtbot.waitUntil(lambda: bridge.busy, timeout=3000)
    # the pass waiting at the gate (a views build may be in the set too, and end by itself)
    (task,) = [t for t in bridge._tasks
               if getattr(t.get_coro(), "__name__", "") == "_pass"]
    closing = asyncio.ensure_future(bridge.aclose())
    qtbot.waitUntil(closing.done, timeout=3000)
    assert task.cancelled()
    assert not bridge._timer.isActive()


def test_login_dialog_runs_injected_steps(loop, qtbot) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[Any, ...]] = []

    async def request_code(server: str, phone: str) -> None:
        calls.append(("code", server, phone))

    async def login(server: str, phone: str, code: str, name: str | None) -> None:
        calls.append(("login", server, phone, code, name))
        if code == "0000":
            raise errors.Forbidden(403, "wrong_code", "Неверный код")

    dialog = LoginDialog(request_code=request_code, login=login,
                         normalize_phone=lambda t: _digits_phone(t))
    qtbot.addWidget(dialog)
    dialog.server.setText("https://komandor.example.ru/")
    dialog.phone.setText("+7 (916) 123-45-67")  # the fake normaliser wants all 11 digits
    task = dialog.send_code()
    assert task is not None
    qtbot.waitUntil(task.done)
    assert calls == [("code", "https://komandor.example.ru", "79161234567")]
    assert dialog.info.isVisibleTo(dialog)
    dialog.code.setText("0000")
    task = dialog.submit()
    qtbot.waitUntil(task.done)
    assert dialog.error.text() == "Неверный код"
    assert dialog.result() == 0
    dialog.code.setText("1234")
    dialog.name.setText("Иван")
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.submit()
    assert calls[-1] == ("login", "https://komandor.example.ru", "79161234567", "1234", "Иван")


def _digits_phone(text: str) -> str:
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) != 11 or not digits.startswith("79"):
        raise errors.InvalidPhone([text])
    return digits
