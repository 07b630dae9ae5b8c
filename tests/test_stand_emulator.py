"""The emulator on PostgreSQL: §6 rule 7 and the one-time start-up under true concurrency.

Several processes (uvicorn workers) or several engines over one PostgreSQL
database: whatever decides a race must be the database (row locks, unique
keys, an advisory lock), since nothing is shared in memory between them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from test_emulator_support import User, create_entries, make_csr_b64, make_key
from test_stand_support import EmulatorProcess, postgres_url

from komandor_desktop.emulator import DEMO_PHONE, EmulatorConfig
from komandor_desktop.emulator import db as tables
from komandor_desktop.emulator.failures import HttpFailure
from komandor_desktop.emulator.keys import parse_entries, register
from komandor_desktop.emulator.service import Emulator
from komandor_desktop.emulator.simulation import simulate_step
from komandor_desktop.protocol import decode_certificate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """``komandor-emulator --db postgresql+psycopg://... --workers 2 --seed demo``."""
    log = tmp_path_factory.mktemp("stand") / "emulator.log"
    emulator = EmulatorProcess(postgres_url(), 2, log, "--seed", "demo")
    try:
        yield emulator
    finally:
        emulator.stop()


def _user(client: httpx.Client, phone: str) -> User:
    key = make_key()
    body = {"phone": phone, "code": "1111", "csr": make_csr_b64(key, phone)}
    response = client.post("/api/v2/auth/confirm/", json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return User(phone=phone, pid=data["pid"], cid=data["cid"], key=key,
                cert_pem=decode_certificate(data["certificate"]), token=data["token"],
                ca_pem=decode_certificate(data["caCertificate"]))


def _pair(client: httpx.Client, a: str, b: str) -> tuple[User, User, dict[str, Any],
                                                          dict[str, Any]]:
    """Two users and their new personal chat, as each of them sees it."""
    alice, bob = _user(client, a), _user(client, b)
    chats = client.get("/api/v2/chats/", params={"phones": [b]}, headers=alice.headers)
    chat = next(c for c in chats.json()["data"] if c["profilePhone"] == b)
    bob_chat = next(c for c in client.get("/api/v2/chats/", headers=bob.headers)
                    .json()["data"] if c["id"] == chat["id"])
    assert chat["status"] == bob_chat["status"] == "new"
    return alice, bob, chat, bob_chat


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released by one barrier; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - the caller inspects it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_workers_two_creations_exactly_one_wins(stand: EmulatorProcess) -> None:
    with httpx.Client(base_url=stand.url, timeout=30) as client:
        for round_no in range(6):
            alice, bob, chat, bob_chat = _pair(client, f"7917100000{round_no}",
                                               f"7917200000{round_no}")
            bodies = [(alice, create_entries(alice, chat)[1]),
                      (bob, create_entries(bob, bob_chat)[1])]

            def post(user: User, entries: list[dict[str, str]]) -> int:
                with httpx.Client(base_url=stand.url, timeout=30) as own:
                    return own.post("/api/v2/chatsKeys/", json={"keys": entries},
                                    headers=user.headers).status_code

            statuses = _at_once([lambda u=u, e=e: post(u, e) for u, e in bodies])
            assert sorted(statuses) == [200, 409]
            final = client.get("/api/v2/chats/", headers=bob.headers).json()["data"]
            assert next(c for c in final if c["id"] == chat["id"])["status"] == "sync"


def test_the_database_decides_not_the_process(stand: EmulatorProcess) -> None:
    """A second engine's creation waits for the first's open transaction (row lock,
    unique key), then gets 409: nothing in memory is shared between the two."""
    with httpx.Client(base_url=stand.url, timeout=30) as client:
        alice, bob, chat, bob_chat = _pair(client, "79173000001", "79173000002")
    first, second = _engine(stand), _engine(stand)
    try:
        with first.transaction() as session:
            uploader = session.get(tables.CertificateRow, alice.cid)
            assert register(session, uploader, parse_entries(
                {"keys": create_entries(alice, chat)[1]})) == 2
            outcome: list[Any] = []
            worker = threading.Thread(target=lambda: outcome.append(_try_register(
                second, bob, create_entries(bob, bob_chat)[1])))
            worker.start()
            worker.join(1.0)
            assert worker.is_alive()  # blocked on the chat's row lock
        worker.join(30)
        assert isinstance(outcome[0], HttpFailure)
        assert (outcome[0].status, outcome[0].code) == (409, "key_conflict")
        assert {d["chatId"] for d in outcome[0].details} == {chat["id"]}
    finally:
        first.close()
        second.close()


def _engine(stand: EmulatorProcess) -> Emulator:
    emulator = Emulator(EmulatorConfig(db_url=stand.db_url, seed="demo"))
    emulator.ensure_ready()
    return emulator


def _try_register(emulator: Emulator, user: User, entries: list[dict[str, str]]) -> Any:
    try:
        with emulator.transaction() as session:
            uploader = session.get(tables.CertificateRow, user.cid)
            return register(session, uploader, parse_entries({"keys": entries}))
    except HttpFailure as exc:
        return exc


def _count(emulator: Emulator, query: Any) -> int:
    with emulator.transaction() as session:
        return int(session.scalar(query) or 0)


@pytest.mark.parametrize("seed", ["empty", "demo"])
def test_workers_starting_together_bootstrap_once(seed: str, tmp_path: Path) -> None:
    url = postgres_url()
    emulators = [Emulator(EmulatorConfig(db_url=url, seed=seed)) for _ in range(4)]
    reference = Emulator(EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'one.db'}", seed=seed))
    try:
        results = _at_once([e.ensure_ready for e in emulators])
        assert results == [None] * 4
        reference.ensure_ready()
        one = emulators[0]
        assert _count(one, select(func.count()).select_from(tables.ServerState)) == 1
        assert _count(one, select(func.count()).where(tables.Profile.type == 0)) == 1
        for table in (tables.Profile, tables.CertificateRow, tables.ChatRow,
                      tables.ChatKeyRecord, tables.KeyExport, tables.Message):
            query = select(func.count()).select_from(table)
            assert _count(one, query) == _count(reference, query), table.__tablename__
        with one.transaction() as session:
            state = session.get(tables.ServerState, 1)
            system = session.scalars(select(tables.CertificateRow).where(
                tables.CertificateRow.pid == state.system_pid)).all()
            assert len(system) == 1
    finally:
        for emulator in [*emulators, reference]:
            emulator.close()


def test_simulated_contacts_in_two_workers_act_once(stand: EmulatorProcess) -> None:
    with httpx.Client(base_url=stand.url, timeout=30) as client:
        user = _user(client, DEMO_PHONE)
        chats = client.get("/api/v2/chats/", headers=user.headers).json()["data"]
        petrova = next(c for c in chats if c["profileName"] == "Анна Петрова")
        response = client.post("/api/v2/chatsKeys/", headers=user.headers,
                               json={"keys": create_entries(user, petrova)[1]})
        assert response.status_code == 200, response.text
    workers = [_engine(stand), _engine(stand)]
    try:
        before = _messages_by_chat(workers[0])
        exports = _count(workers[0], select(func.count()).select_from(tables.KeyExport))
        done = _at_once([lambda w=w: simulate_step(w) for w in workers])
        assert all(isinstance(n, int) for n in done), done
        after = _messages_by_chat(workers[0])
        added = {c: after[c] - before.get(c, 0) for c in after if after[c] != before.get(c)}
        assert added.get(petrova["id"]) == 1  # written once, not once per worker
        assert set(added.values()) == {1}
        new_exports = _count(workers[0], select(func.count()).select_from(tables.KeyExport))
        assert new_exports - exports == sum(done) - len(added)  # every export counted once
        assert sum(done) >= 3  # «Проект Альфа», «Новости Вектора» and a message
    finally:
        for worker in workers:
            worker.close()


def _messages_by_chat(emulator: Emulator) -> dict[str, int]:
    with emulator.transaction() as session:
        rows = session.execute(select(tables.Message.chat_id, func.count())
                               .group_by(tables.Message.chat_id))
        return {chat_id: int(count) for chat_id, count in rows}
