"""How the sync engine keeps the window's event loop free (sync/engine.py).

The real client against the real emulator, in process: planning runs in
slices and is over before the chats are announced, the crypto pool starts as
soon as a big listing arrives, progress events are spaced out, and a sync
leaves the process-wide settings alone (they are the program's: ``runtime.py``).
The stalls themselves are measured by ``python -m bench`` and ``python -m bench.gaps``.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e import Wire, by_name, device, emulator

from komandor_desktop.api import requests as requests_module
from komandor_desktop.sync import engine as engine_module
from komandor_desktop.sync.events import EventKind, SyncEvent
from komandor_desktop.sync.planner import plan
from komandor_desktop.sync.workers import CryptoWorkers

ALICE, BOB, CAROL = "79990000041", "79990000042", "79990000043"


@pytest.fixture
def wire(tmp_path: Path) -> Wire:
    return Wire(emulator(tmp_path))


def test_sliced_planning_is_done_before_the_chats_are_announced(
        wire: Wire, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "SLICE_CHATS", 1)
    timeline: list[str] = []
    real_slice = engine_module.SyncEngine._plan_slice

    def plan_slice(self: Any, chats: Any, **kwargs: Any) -> Any:
        timeline.append(f"plan {len(chats)}")
        return real_slice(self, chats, **kwargs)

    monkeypatch.setattr(engine_module.SyncEngine, "_plan_slice", plan_slice)

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        for phone, name in ((BOB, "Боб"), (CAROL, "Кэрол")):
            await (await device(wire, tmp_path / phone, phone, name=name)).aclose()
        alice.engine.listener = lambda e: timeline.append(e.kind.value)
        report = await alice.engine.sync(phones=[BOB, CAROL])
        assert report.errors == []
        assert all(v.enabled for v in by_name(alice).values())
        chats = await alice.engine.refresh()  # a plain refresh plans nothing
        timeline.append("by hand")
        assert await alice.engine._plan(chats, {}) == plan(
            chats, identity=alice.engine.identity, trust_anchor=alice.engine.trust_anchor,
            outbox={}, own=alice.engine.own)
        await alice.aclose()

    asyncio.run(scenario())
    first = timeline.index("refreshed")
    assert timeline[:first].count("plan 1") >= 4  # Favorites, Командор, Bob, Carol: one each
    assert timeline[first - 1] == "plan 1"  # every slice planned, then announced
    done = timeline.index("done")
    assert timeline[done:done + 3] == ["done", "refreshed", "by hand"]


def test_a_big_listing_starts_the_pool_before_it_is_validated(
        wire: Wire, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    timeline: list[str] = []
    real_parse, real_warm = requests_module.parse_get_chats, CryptoWorkers.warm

    def parse(data: Any, memo: Any = None) -> Any:
        timeline.append("validating")
        return real_parse(data, memo)

    def warm(self: CryptoWorkers) -> None:
        timeline.append("warm")
        real_warm(self)

    monkeypatch.setattr(requests_module, "parse_get_chats", parse)
    monkeypatch.setattr(CryptoWorkers, "warm", warm)

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        engine = engine_module.SyncEngine(alice.client, alice.store, alice.profile, pool_min=2)
        try:
            await engine.refresh()  # Favorites and Командор: 2 chats
        finally:
            engine.close()
        small = engine_module.SyncEngine(alice.client, alice.store, alice.profile, pool_min=3)
        try:
            timeline.append("small")
            await small.refresh()
        finally:
            small.close()
        await alice.aclose()

    asyncio.run(scenario())
    assert timeline[:2] == ["warm", "validating"]
    assert "warm" not in timeline[timeline.index("small"):]


def test_progress_is_spaced_out_and_the_last_always_told(wire: Wire, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(engine_module.time, "monotonic", lambda: clock[0])
    told: list[tuple[int, int]] = []

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        engine = alice.engine
        engine.listener = lambda e: told.append((e.done, e.total))
        for done, step in ((1, 0.0), (2, 0.05), (3, 0.06), (4, 0.0), (10, 0.0)):
            clock[0] += step
            engine._emit(SyncEvent(EventKind.PROGRESS, done=done, total=10))
        engine._emit(SyncEvent(EventKind.STARTED))  # other events are never held back
        await alice.aclose()

    asyncio.run(scenario())
    assert told == [(1, 10), (3, 10), (10, 10), (0, 0)]


def test_a_sync_changes_no_process_wide_setting(wire: Wire, tmp_path: Path) -> None:
    # the switch interval and the frozen heap are the program's (runtime.tune_process)
    interval, frozen = sys.getswitchinterval(), gc.get_freeze_count()

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        assert (await alice.engine.sync()).errors == []
        await alice.aclose()

    asyncio.run(scenario())
    assert sys.getswitchinterval() == interval
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()
