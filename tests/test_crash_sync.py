"""Crash safety: the desktop client as a process, killed at the sync's crash points
(sync/crashpoints.py) and at random moments, restarted, synced to the end.

The emulator runs as its own process with a little latency on the key
registration, so that a kill "during the POST" sometimes lands before the
server committed and sometimes after. At the end: one key record per chat,
an export for every target, every contact imports the key Alice holds,
Alice's store equals the server's word, the outbox is empty, and no chat's
key ever changed once it was in the outbox.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session as DbSession

from komandor_desktop import crypto
from komandor_desktop.api import ApiClient
from komandor_desktop.crypto import load_certificate
from komandor_desktop.domain import ChatStatus
from komandor_desktop.emulator.db import CertificateRow, ChatKeyRecord, KeyExport, Member
from komandor_desktop.session import STORE_FILE, Session
from komandor_desktop.store import Store
from komandor_desktop.sync import KeyRing, crashpoints

PASS = "a long passphrase for crash tests"
ALICE = "79990000070"
EXIT = crashpoints.EXIT_CODE


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    db = f"sqlite:///{tmp_path / 'emulator.sqlite3'}"
    log = (tmp_path / "emulator.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "komandor_desktop.emulator", "--port", "0", "--db", db,
         "--faults", "seed=3,latency:0.03/api/v2/chatsKeys/"],
        stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("Komandor emulator listening on "), line
        yield line.rsplit(" ", 1)[1], db
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        if proc.stdout is not None:
            proc.stdout.close()


def desktop(home: Path, *args: str, crash: str | None = None,
            kill_after: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``komandor_desktop``; ``crash`` arms a crash point, ``kill_after`` sends
    SIGKILL from outside after that many seconds."""
    env = {**os.environ, "KOMANDOR_PASSPHRASE": PASS}
    env.pop(crashpoints.ENV_VAR, None)
    if crash:
        env[crashpoints.ENV_VAR] = crash
    cmd = [sys.executable, "-m", "komandor_desktop", "--home", str(home), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else 120)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@dataclass
class Contact:
    """A registered contact held in memory: its key, token and certificate."""

    phone: str
    private_key: Any
    data: Any  # protocol.models.ConfirmData


def register(url: str, phones: list[str]) -> list[Contact]:
    """Contacts who have a certificate, activated through the API in this process
    (no profile home: an scrypt per contact would dominate the test's time)."""
    async def go() -> list[Contact]:
        out = []
        async with ApiClient(url) as client:
            for phone in phones:
                key = crypto.generate_private_key("p256")
                data = await client.confirm(phone, "1111", crypto.make_csr(key, phone=phone,
                                                                           name=None))
                out.append(Contact(phone, key, data))
        return out
    return asyncio.run(go())


def outbox(home: Path) -> dict[str, bytes]:
    """Alice's pending creations: chat id -> the export to her own certificate."""
    with Store(home / STORE_FILE) as store:
        return {e.chat_id: e.own_export for e in store.outbox_all()}


def test_crash_hook_is_off_unless_armed_and_parses_its_spec() -> None:
    crashpoints.arm(None)
    crashpoints.crashpoint("posted")  # unarmed: nothing happens
    crashpoints.arm("keys-made:3")
    crashpoints.crashpoint("posted")  # another point
    crashpoints.crashpoint("keys-made")
    crashpoints.crashpoint("keys-made")  # passes 1 and 2 of 3
    crashpoints.arm(None)
    for bad in ("nowhere:1", "posted", "posted:0", "post:1:-5", "post:x"):
        with pytest.raises(ValueError, match=crashpoints.ENV_VAR):
            crashpoints.arm(bad)
    crashpoints.arm(None)


@pytest.mark.slow
def test_a_crash_after_the_outbox_write_resends_the_same_key(server: tuple[str, str],
                                                             tmp_path: Path) -> None:
    url, db = server
    bob = "79990000079"
    register(url, [bob])
    home = tmp_path / "alice"
    assert desktop(home, "login", "--server", url, "--phone", ALICE, "--code", "1111",
                   "--name", "Алиса").returncode == 0
    done = desktop(home, "add-contacts", bob, "--json", crash="outbox-written:2")
    assert done.returncode == EXIT, done.stderr
    assert "crashpoint outbox-written pass 2" in done.stderr
    pending = outbox(home)
    assert len(pending) == 2  # Favorites and the chat with Bob, nothing sent
    assert json.loads(desktop(home, "sync", "--json").stdout)["errors"] == []
    assert_server_kept(db, home, {k: [v] for k, v in pending.items()})
    assert outbox(home) == {}


def assert_server_kept(db: str, home: Path, seen: dict[str, list[bytes]]) -> None:
    """Once in the outbox, a chat's key never changed, and it is the one registered."""
    cid = json.loads((home / "profile.json").read_text())["cid"]
    engine = create_engine(db)
    with DbSession(engine) as s:
        kept = {(e.chat_id, e.cid): e.key for e in s.scalars(select(KeyExport))}
    engine.dispose()
    for chat_id, exports in seen.items():
        assert len(set(exports)) == 1, f"chat {chat_id}: the outbox key changed"
        assert kept[(chat_id, cid)] == exports[0], f"chat {chat_id}: another key registered"


def kill_plan(rng: random.Random, batch: int) -> tuple[str | None, float | None]:
    """A crash point and pass, or (one time in six) a SIGKILL from outside."""
    if rng.random() < 1 / 6:
        return None, rng.uniform(0.9, 1.6)
    point = rng.choice(crashpoints.POINTS)
    n = {"keys-made": rng.randint(1, batch), "outbox-written": rng.randint(1, batch),
         "refreshed": rng.randint(1, 2)}.get(point, 1)
    ms = f":{rng.randint(0, 60)}" if point == "post" else ""
    return f"{point}:{n}{ms}", None


@pytest.mark.slow
def test_many_kills_at_random_points_lose_nothing(server: tuple[str, str],
                                                  tmp_path: Path) -> None:
    """55 kills: before most runs two more registered contacts are added (new
    chats to create), then the run is killed at a random point or finishes."""
    url, db = server
    rng = random.Random(20240611)
    home = tmp_path / "alice"
    assert desktop(home, "login", "--server", url, "--phone", ALICE, "--code", "1111",
                   "--name", "Алиса").returncode == 0
    seen: dict[str, list[bytes]] = defaultdict(list)
    kills: dict[str, int] = defaultdict(int)
    contacts: list[Contact] = []
    adding: list[str] = []
    started, runs, finished = time.monotonic(), 0, True
    while sum(kills.values()) < 55 and runs < 150:
        if not adding and (finished or rng.random() < 0.6):
            adding = [f"79991{len(contacts) + i:06d}" for i in range(2)]
            contacts += register(url, adding)
        crash, kill_after = kill_plan(rng, 3)
        command = ["add-contacts", *adding] if adding else ["sync"]
        done = desktop(home, *command, "--json", crash=crash, kill_after=kill_after)
        runs += 1
        finished = done.returncode not in (EXIT, -signal.SIGKILL)
        if finished:
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["errors"] == []
            adding = []
            continue
        if done.returncode == EXIT:
            assert f"crashpoint {crash.split(':')[0]}" in done.stderr  # type: ignore[union-attr]
            adding = []  # the contacts were added before the first crash point
        kills[crash.split(":")[0] if crash else "sigkill"] += 1
        for chat_id, own in outbox(home).items():
            seen[chat_id].append(own)
    assert desktop(home, "sync", "--json").returncode == 0
    elapsed = time.monotonic() - started
    print(f"\nkill points: {dict(kills)} total {sum(kills.values())} in {runs} runs, "
          f"{len(contacts)} contacts, {len(seen)} chats seen in the outbox, {elapsed:.0f} s")
    assert sum(kills.values()) >= 50
    assert all(kills[p] > 0 for p in crashpoints.POINTS)
    assert_server_kept(db, home, seen)
    asyncio.run(check_end_state(url, db, home, contacts))


async def check_end_state(url: str, db: str, home: Path, contacts: list[Contact]) -> None:
    chats = json.loads(desktop(home, "chats", "--json").stdout)
    assert len(chats) == len(contacts) + 2  # + Favorites + the system chat
    assert all(c["status"] == "sync" and c["enabled"] for c in chats), chats
    alice = Session.open(home, PASS)
    try:
        assert alice.store.outbox_all() == []
        fresh = await alice.client.get_chats()
        assert {c["id"]: c["status"] for c in chats} == {c.id: c.status.value
                                                         for c in fresh.chats}
        assert {c.id: c.chat_key for c in alice.store.chats()} == {c.id: c.chat_key
                                                                   for c in fresh.chats}
        mine = {c.id: alice.engine.keyring.key(c) for c in alice.store.chats()}
    finally:
        await alice.aclose()
    assert None not in mine.values()
    check_server(db, set(mine))
    for contact in contacts:  # every target checks and imports the very key Alice holds
        d = contact.data
        ring = KeyRing(pid=d.pid, cid=d.cid, private_key=contact.private_key,
                       own_certificates=(), trust_anchor=load_certificate(d.ca_certificate_pem))
        async with ApiClient(url, token=d.token) as client:
            snapshot = await client.get_chats()
        with_alice = [c for c in snapshot.chats if c.id in mine]
        assert len(with_alice) == 1
        assert with_alice[0].status is ChatStatus.SYNC
        assert ring.key(with_alice[0]) == mine[with_alice[0].id]


def check_server(db: str, chat_ids: set[str]) -> None:
    """One key record per chat and one export for each target certificate."""
    engine = create_engine(db)
    with DbSession(engine) as s:
        records = {r.chat_id for r in s.scalars(select(ChatKeyRecord))}
        exports: dict[str, list[str]] = defaultdict(list)
        for e in s.scalars(select(KeyExport)):
            exports[e.chat_id].append(e.cid)
        active = {c.cid: c.pid for c in s.scalars(select(CertificateRow)) if c.active}
        members: dict[str, set[str]] = defaultdict(set)
        for m in s.scalars(select(Member)):
            members[m.chat_id].add(m.pid)
    engine.dispose()
    for chat_id in chat_ids:
        assert chat_id in records
        targets = sorted(cid for cid, pid in active.items() if pid in members[chat_id])
        assert sorted(exports[chat_id]) == targets

