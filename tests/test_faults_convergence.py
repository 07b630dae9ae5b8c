"""Nothing lost under faults: every kind of injected fault, the real client and
emulator, three users and a second device, synced until done. The end state
must equal a run without faults: every chat usable on every device, one key
per chat on the server, the same plaintext key on every device, the creator
never switched keys, empty outboxes, and the engine said what went wrong."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from e2e import Wire, device, emulator
from sqlalchemy import select

from komandor_desktop.api import ApiClient, RetryPolicy
from komandor_desktop.domain import ChatStatus
from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.emulator.db import CertificateRow, ChatKeyRecord, KeyExport, Member
from komandor_desktop.emulator.server import EmulatorServer
from komandor_desktop.errors import (
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)
from komandor_desktop.identity import login
from komandor_desktop.session import Session
from komandor_desktop.store import Store
from komandor_desktop.sync import EventKind, SyncEngine, SyncEvent

ALICE, BOB, CAROL = "79990000061", "79990000062", "79990000063"
APIS = "/api/v2/chats"  # the chat list and the key registration, not the sign-in
TRANSIENT: tuple[type[Exception], ...] = (TransportError, ServerError, RateLimited,
                                          ProtocolError)
KINDS = ["drop", "drop-after", "500", "502", "503", "429:1", "expire", "truncate", "garbage",
         "latency:0.01"]
MIXED = (f"seed=11,latency:0.005@20%,drop@5%{APIS},drop-after@5%{APIS},500@4%{APIS},"
         f"503@4%{APIS},429:1@3%{APIS},expire@3%{APIS},truncate@3%{APIS},garbage@3%{APIS}")


@dataclass
class Device:
    """One signed-in device: its session, its own wire (what it sent), its events."""

    session: Session
    wire: Wire | None
    events: list[SyncEvent] = field(default_factory=list)

    def kinds(self) -> set[EventKind]:
        return {e.kind for e in self.events}


async def in_process_world(app: Any, tmp_path: Path) -> list[Device]:
    devices = []
    for home, phone, name in (("alice", ALICE, "Алиса"), ("bob", BOB, "Боб"),
                              ("carol", CAROL, "Кэрол")):
        wire = Wire(app)
        devices.append(Device(await device(wire, tmp_path / home, phone, name=name), wire))
    for d in devices:
        d.session.engine.listener = d.events.append
    return devices


async def sync_until_done(devices: list[Device], *, transient: tuple[type[Exception], ...],
                          phones: dict[int, list[str]] | None = None,
                          max_passes: int = 40) -> int:
    """Sync all devices at once, pass after pass, until one pass is clean everywhere
    and every chat is usable on every device; returns the number of passes."""
    phones = dict(phones or {})
    for n in range(1, max_passes + 1):
        results = await asyncio.gather(
            *(d.session.engine.sync(phones=phones.get(i, ())) for i, d in enumerate(devices)),
            return_exceptions=True)
        for i, result in enumerate(results):
            if isinstance(result, BaseException):
                if not isinstance(result, transient):
                    raise result
            else:
                phones.pop(i, None)  # the contacts were added
        clean = not any(isinstance(r, BaseException) for r in results)
        if clean and all(v.enabled for d in devices for v in d.session.views()):
            return n
    raise AssertionError(f"no clean pass in {max_passes}: "
                         f"{[(v.name, v.reason) for d in devices for v in d.session.views()]}")


async def scenario(devices: list[Device], make_laptop: Any,
                   transient: tuple[type[Exception], ...]) -> int:
    """Alice adds Bob and Carol, Bob adds Carol; then Alice's laptop joins."""
    passes = await sync_until_done(devices, transient=transient,
                                   phones={0: [BOB, CAROL], 1: [CAROL]})
    devices.append(await make_laptop())
    return passes + await sync_until_done(devices, transient=transient)


def shape(app: Any, devices: list[Device]) -> dict[str, Any]:
    """What must not depend on faults: the views and the server's key counts."""
    with app.state.emulator.transaction() as s:
        records = len(s.scalars(select(ChatKeyRecord)).all())
        exports = len(s.scalars(select(KeyExport)).all())
    views = [sorted((v.name, v.status.value, v.enabled) for v in d.session.views())
             for d in devices]
    return {"records": records, "exports": exports, "views": views}


async def check_invariants(app: Any, devices: list[Device]) -> None:
    with app.state.emulator.transaction() as s:
        records = {r.chat_id: r for r in s.scalars(select(ChatKeyRecord))}
        exports: dict[str, dict[str, KeyExport]] = defaultdict(dict)
        for e in s.scalars(select(KeyExport)):
            assert e.cid not in exports[e.chat_id]
            exports[e.chat_id][e.cid] = e
        active = {c.cid: c.pid for c in s.scalars(select(CertificateRow)) if c.active}
        members = defaultdict(set)
        for m in s.scalars(select(Member)):
            members[m.chat_id].add(m.pid)
    for chat_id, pids in members.items():
        assert chat_id in records, f"chat {chat_id} has no key"
        targets = {cid for cid, pid in active.items() if pid in pids}
        assert set(exports[chat_id]) == targets, f"chat {chat_id}: one export per target"
    keys: dict[str, set[bytes]] = defaultdict(set)
    for d in devices:
        assert d.session.store.outbox_all() == []
        fresh = await fetch(d.session.client)
        stored = {c.id: (c.status, c.chat_key) for c in d.session.store.chats()}
        assert stored == {c.id: (c.status, c.chat_key) for c in fresh.chats}
        for chat in d.session.store.chats():
            assert chat.status is ChatStatus.SYNC
            key = d.session.engine.keyring.key(chat)
            assert key is not None
            keys[chat.id].add(key)
    assert all(len(v) == 1 for v in keys.values()), "a chat has two keys"
    _creators_never_switched_keys(devices, exports)


async def fetch(client: ApiClient, tries: int = 20) -> Any:
    """A fresh GET through the API while the faults go on (they may hit it too)."""
    for _ in range(tries - 1):
        try:
            return await client.get_chats()
        except (*TRANSIENT, Unauthorized):
            continue
    return await client.get_chats()


def _creators_never_switched_keys(devices: list[Device],
                                  exports: dict[str, dict[str, KeyExport]]) -> None:
    """Every creation entry a creating device sent for its own certificate
    carries the bytes the server kept (the outbox re-sends, never re-makes)."""
    for d in devices:
        if d.wire is None:
            continue
        cid = d.session.profile.identity.cid
        for request in d.wire.requests:
            if request.method != "POST" or "chatsKeys" not in request.url.path:
                continue
            for entry in json.loads(request.content)["keys"]:
                kept = exports.get(entry["chatId"], {}).get(cid)
                if entry["cid"] == cid and kept is not None and kept.signer_cid == cid:
                    assert kept.key == _b64(entry["key"]), "the creator made a second key"


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def run_in_process(tmp_path: Path,
                   faults: str | None) -> tuple[Any, list[Device], int, dict[str, Any]]:
    app = emulator(tmp_path, faults=faults)
    transient = TRANSIENT + ((Unauthorized,) if faults and "expire" in faults else ())

    async def go() -> tuple[list[Device], int, dict[str, Any]]:
        devices = await in_process_world(app, tmp_path / (faults or "clean").replace("/", "_"))

        async def laptop() -> Device:
            wire = Wire(app)
            home = tmp_path / f"laptop-{faults}".replace("/", "_")
            d = Device(await device(wire, home, ALICE, name="Алиса"), wire)
            d.session.engine.listener = d.events.append
            return d

        passes = await scenario(devices, laptop, transient)
        await check_invariants(app, devices)
        final = shape(app, devices)
        for d in devices:
            await d.session.aclose()
        return devices, passes, final

    devices, passes, final = asyncio.run(go())
    return app, devices, passes, final


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _app, devices, _passes, final = run_in_process(tmp_path_factory.mktemp("baseline"), None)
    assert all(EventKind.RETRY not in d.kinds() for d in devices)
    return final


@pytest.mark.parametrize("kind", KINDS)
def test_each_fault_kind_converges_to_the_clean_state(kind: str, tmp_path: Path,
                                                      baseline: dict[str, Any]) -> None:
    spec = f"seed=5,{kind}@30%{APIS}"
    app, devices, passes, final = run_in_process(tmp_path, spec)
    assert final == baseline
    name = kind.split(":")[0]
    assert app.state.faults.counts[name] > 0
    seen = set().union(*(d.kinds() for d in devices))
    if name in ("drop", "drop-after", "500", "502", "503", "429"):
        assert EventKind.RETRY in seen  # said what went wrong while it retried
        messages = [e.message for d in devices for e in d.events if e.kind is EventKind.RETRY]
        assert all("retry" in m for m in messages)
    elif name in ("truncate", "garbage"):
        assert EventKind.ERROR in seen  # a malformed answer is reported, never retried blindly
        assert passes > 2
    elif name == "expire":
        # answered by signing in again with the certificate, not by giving up
        assert any(r.url.path.startswith("/api/v2/auth/token") for d in devices
                   if d.wire is not None for r in d.wire.requests)


def test_a_mixed_fault_stream_converges_to_the_clean_state(tmp_path: Path,
                                                           baseline: dict[str, Any]) -> None:
    app, _devices, _passes, final = run_in_process(tmp_path, MIXED)
    assert final == baseline
    assert sum(app.state.faults.counts.values()) >= 10
    assert len(app.state.faults.counts) >= 5


def test_timeouts_over_loopback_with_the_real_retry_policy(tmp_path: Path) -> None:
    """The server holds 25% of the requests past the client's timeout and then does
    the work anyway (the key lands after the client gave up)."""
    spec = f"seed=2,timeout:0.6@25%{APIS},drop-after@10%{APIS}/"
    config = EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'emu.db'}", faults=spec)
    with EmulatorServer(config) as server:
        assert server.url is not None
        url = server.url

        async def go() -> None:
            devices = [await loopback_device(tmp_path / p, url, p) for p in (ALICE, BOB, CAROL)]

            async def laptop() -> Device:
                return await loopback_device(tmp_path / "laptop", url, ALICE)

            await scenario(devices, laptop, TRANSIENT)
            await asyncio.sleep(0.7)  # let held requests finish before the checks
            await check_invariants(server.app, devices)
            assert any(EventKind.RETRY in d.kinds() for d in devices)
            assert any("Timeout" in e.message for d in devices for e in d.events)
            for d in devices:
                await d.session.aclose()

        asyncio.run(go())
        assert server.app.state.faults.counts["timeout"] > 0


async def loopback_device(home: Path, url: str, phone: str) -> Device:
    """A device over a real socket with the production retry policy and a short timeout."""
    profile = await login(home, url, phone, "1111", passphrase="pass phrase for tests")
    session = Session(home, profile)
    events: list[SyncEvent] = []
    await session.client.aclose()
    session.client = ApiClient(url, token=profile.token, reauth=profile.reauth, timeout=0.25,
                               retry=RetryPolicy(base=0.1, cap=1.0),
                               on_retry=lambda m, delay: events.append(
                                   SyncEvent(EventKind.RETRY, message=m, delay=delay)))
    session.engine = SyncEngine(session.client, session.store, profile, listener=events.append)
    assert isinstance(session.store, Store)
    return Device(session, None, events)
