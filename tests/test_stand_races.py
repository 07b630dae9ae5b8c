"""A shared test stand: many desktops, one emulator, syncing at the same moment.

The emulator runs as ``komandor-emulator --db URL --workers N``: PostgreSQL
with 2 workers (true concurrency: separate processes, separate connections)
and, for comparison, SQLite with 1 worker. Every desktop is its own process
(``komandor_desktop.cli.main``), all released at one moment. Whatever the
interleaving, each chat must end with exactly one key record, every device and
member must import that same key, and the losers of a 409 must recover by
themselves, within the same sync run.

A race is only a race if the requests overlapped: at least one run must have
met a 409 (its own log says so). When the scheduler happened to
serialise the processes, the scenario is repeated with fresh chats (at most
ATTEMPTS times), so that the checks never pass on a race that did not happen.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_stand_support import (
    EmulatorProcess,
    Run,
    add_contacts_only,
    desktop,
    device_keys,
    key_records,
    postgres_url,
    prepare_store,
    register,
    together,
)

pytestmark = pytest.mark.slow
CONTACTS = 60  # per attempt: enough work that the processes overlap (a faster client races less)
ATTEMPTS = 5
_numbers = itertools.count(1)


def _phone() -> str:
    """A fresh number for every profile (one emulator serves the whole module)."""
    return f"7916{next(_numbers):07d}"


@pytest.fixture(scope="module", params=[pytest.param(("postgresql", 2), id="postgresql-2"),
                                        pytest.param(("sqlite", 1), id="sqlite-1")])
def stand(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    kind, workers = request.param
    tmp = tmp_path_factory.mktemp(f"stand-{kind}")
    url = postgres_url() if kind == "postgresql" else f"sqlite:///{tmp / 'emulator.sqlite3'}"
    emulator = EmulatorProcess(url, workers, tmp / "emulator.log")
    try:
        yield emulator
    finally:
        emulator.stop()


def _login_all(stand: EmulatorProcess, homes: list[Path], phones: list[str]) -> None:
    """Log every home in (the first of each phone alone: it activates the profile)."""
    first: dict[str, Path] = {}
    for home, phone in zip(homes, phones, strict=True):
        if phone not in first:
            first[phone] = home
            desktop(home, "login", "--server", stand.url, "--phone", phone, "--code", "1111")
    for home, phone in zip(homes, phones, strict=True):
        if first[phone] != home:
            desktop(home, "login", "--server", stand.url, "--phone", phone, "--code", "1111")
    for home in homes:
        prepare_store(home)


def _contacts_open_chats_with(stand: EmulatorProcess, phone: str, count: int) -> None:
    """``count`` new registered contacts each open a personal chat with ``phone`` (``new``)."""
    with httpx.Client(base_url=stand.url, timeout=30) as client:
        for _ in range(count):
            contact = register(client, _phone())
            response = client.get("/api/v2/chats/", params={"phones": [phone]},
                                  headers=contact.headers)
            assert response.status_code == 200, response.text


def _assert_recovered(runs: list[Run]) -> None:
    """Every run finished cleanly by itself: exit 0, no errors, nothing left new or waiting."""
    for run in runs:
        assert run.code == 0, run.stderr
        assert run.report is not None, run.stderr
        assert run.report["errors"] == [], run.report
        assert run.report["status"]["new"] == 0, run.report
        assert run.report["status"]["wait"] == 0, run.report


def _assert_one_key_everywhere(stand: EmulatorProcess, homes: list[Path]) -> set[str]:
    """One key record per chat in the database; every home enabled and holding that key."""
    chat_ids: set[str] | None = None
    keys: dict[str, tuple[str, bytes]] | None = None
    for home in homes:
        chats = desktop(home, "chats")
        assert all(c["status"] == "sync" and c["enabled"] for c in chats), \
            [c for c in chats if not c["enabled"]]
        ids = {c["id"] for c in chats}
        held = device_keys(home)
        assert set(held) == ids  # imported: signer checked, decrypted with this device's key
        if keys is None:
            chat_ids, keys = ids, held
        else:
            assert ids == chat_ids
            assert held == keys  # the same key id and the same 32 key bytes on every device
    assert chat_ids is not None
    records = key_records(stand.db_url)
    assert {chat_id: records[chat_id] for chat_id in chat_ids} == dict.fromkeys(chat_ids, 1)
    return chat_ids


def _losers(runs: list[Run]) -> int:
    """Runs that met a 409 (and, as ``_assert_recovered`` shows, recovered in the same run)."""
    return sum(1 for run in runs if run.conflicted)


@pytest.mark.parametrize("devices", [2, 3])
def test_devices_of_one_user_sync_at_once(stand: EmulatorProcess, tmp_path: Path,
                                          devices: int) -> None:
    user = _phone()
    homes = [tmp_path / f"device{n}" for n in range(devices)]
    _login_all(stand, homes, [user] * devices)  # all known first: a creator exports to all
    lost = 0
    for attempt in range(1, ATTEMPTS + 1):
        _contacts_open_chats_with(stand, user, CONTACTS)
        runs = together(homes, "sync")
        _assert_recovered(runs)
        chats = _assert_one_key_everywhere(stand, homes)
        assert len(chats) == CONTACTS * attempt + 2  # + Favorites and «Командор»
        lost = _losers(runs)
        if lost:
            break
    assert lost >= 1, "the devices never raced; the scheduler serialised every attempt"


def test_members_of_shared_chats_sync_at_once(stand: EmulatorProcess, tmp_path: Path) -> None:
    lost = 0
    for attempt in range(ATTEMPTS):
        phones = [_phone() for _ in range(4)]
        homes = [tmp_path / f"try{attempt}-member{n}" for n in range(len(phones))]
        _login_all(stand, homes, phones)
        for n, home in enumerate(homes):  # a full mesh: both sides of every chat race
            add_contacts_only(home, phones[n + 1:])
        runs = together(homes, "sync")
        _assert_recovered(runs)
        _assert_mesh_keys(stand, homes)
        lost = _losers(runs)
        if lost:
            break
    assert lost >= 1, "the members never raced; the scheduler serialised every attempt"


def _assert_mesh_keys(stand: EmulatorProcess, homes: list[Path]) -> None:
    """Each pair shares exactly one chat, with one key record, held by both members."""
    records = key_records(stand.db_url)
    held = [device_keys(home) for home in homes]
    for n, home in enumerate(homes):
        chats = desktop(home, "chats")
        assert all(c["status"] == "sync" and c["enabled"] for c in chats), chats
        assert set(held[n]) == {c["id"] for c in chats}
        assert all(records[chat_id] == 1 for chat_id in held[n])
        for other in held[n + 1:]:
            common = set(held[n]) & set(other)
            assert len(common) == 1  # their personal chat
            assert all(held[n][c] == other[c] for c in common)
