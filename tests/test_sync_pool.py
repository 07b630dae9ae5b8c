"""The sync with its crypto in worker processes (sync/workers.py), end to end.

The pool is normally used from 1,000 keys on; here ``pool_min=1`` sends every
export and every received-key check to the processes, so the same scenarios as
``test_sync_e2e`` run through pickling, the initializer's in-memory key and the
pipelined rounds, and must end exactly as they do in a thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from e2e import Wire, by_name, device, emulator

from komandor_desktop.domain import ChatStatus
from komandor_desktop.session import Session
from komandor_desktop.sync import SyncEngine
from komandor_desktop.sync.events import EventKind, SyncEvent

ALICE, BOB, CAROL = "79990000031", "79990000032", "79990000033"


@pytest.fixture
def wire(tmp_path: Path) -> Wire:
    return Wire(emulator(tmp_path))


def _pooled(session: Session, events: list[SyncEvent] | None = None) -> SyncEngine:
    """The session's engine, replaced by one that uses the pool for every job."""
    session.engine = SyncEngine(session.client, session.store, session.profile, pool_min=1,
                                batch_size=2, listener=None if events is None
                                else events.append)
    return session.engine


def test_first_sync_in_worker_processes_ends_in_sync(wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        carol = await device(wire, tmp_path / "carol", CAROL, name="Кэрол")
        events: list[SyncEvent] = []
        engines = [_pooled(alice, events), _pooled(bob), _pooled(carol)]
        try:
            report = await engines[0].sync(phones=[BOB, CAROL])
            assert report.errors == []
            assert report.registered >= 5  # Favorites 1, Bob 2, Carol 2; 2 a request
            for session in (bob, carol):
                assert (await session.engine.sync()).errors == []
            for session in (alice, bob, carol):
                views = by_name(session)
                assert all(v.enabled for v in views.values()), views
                assert views["Командор"].last_message  # checked and imported in a worker
            done = [(e.done, e.total) for e in events if e.kind is EventKind.PROGRESS]
            assert done
            assert done[-1][0] == done[-1][1]  # every entry made and sent
            assert [d for d, _ in done] == sorted(d for d, _ in done)
        finally:
            for engine in engines:
                engine.close()
            for s in (alice, bob, carol):
                await s.aclose()

    asyncio.run(scenario())


def test_old_device_exports_to_a_new_one_from_the_pool(wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        engine = _pooled(alice)
        try:
            await engine.sync(phones=[BOB])
            await bob.engine.sync()
            laptop = await device(wire, tmp_path / "alice-laptop", ALICE, name="Алиса")
            await laptop.engine.sync()
            assert by_name(laptop)["Боб"].status is ChatStatus.WAIT
            report = await engine.sync()  # ExportKey: the held key, checked in a worker
            assert report.registered >= 1
            assert report.errors == []
            await laptop.engine.sync()
            assert by_name(laptop)["Боб"].enabled
            await laptop.aclose()
        finally:
            engine.close()
            for s in (alice, bob):
                await s.aclose()

    asyncio.run(scenario())
