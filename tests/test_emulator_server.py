"""The emulator over loopback (EmulatorServer, the CLI) and the demo world with simulation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_emulator_support import (
    Harness,
    User,
    create_entries,
    make_csr_b64,
    make_key,
    own_chat_key,
)

from komandor_desktop import crypto
from komandor_desktop.emulator import DEMO_PHONE, UNREGISTERED_PHONE, EmulatorConfig, EmulatorServer
from komandor_desktop.emulator.simulation import simulate_step
from komandor_desktop.protocol import b64decode, decode_certificate, parse_chats

ROOT = Path(__file__).resolve().parent.parent


def _register(client: httpx.Client, phone: str) -> User:
    key = make_key()
    body = {"phone": phone, "code": "1111", "csr": make_csr_b64(key, phone)}
    data = client.post("/api/v2/auth/confirm/", json=body).json()["data"]
    return User(phone=phone, pid=data["pid"], cid=data["cid"], key=key,
                cert_pem=decode_certificate(data["certificate"]), token=data["token"],
                ca_pem=decode_certificate(data["caCertificate"]))


@pytest.mark.slow
def test_loopback_race_one_creation_wins(tmp_path: Path) -> None:
    config = EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'race.db'}")
    with EmulatorServer(config) as server, httpx.Client(base_url=server.url) as client:
        assert server.url is not None
        assert server.url.startswith("http://127.0.0.1:")
        for round_no in range(5):
            alice = _register(client, f"7916100000{round_no}")
            bob = _register(client, f"7916200000{round_no}")
            chat = next(c for c in client.get(
                "/api/v2/chats/", params={"phones": [bob.phone]}, headers=alice.headers,
            ).json()["data"] if c["profilePhone"] == bob.phone)
            bob_chat = next(c for c in client.get("/api/v2/chats/", headers=bob.headers)
                            .json()["data"] if c["id"] == chat["id"])
            bodies = [(alice, {"keys": create_entries(alice, chat)[1]}),
                      (bob, {"keys": create_entries(bob, bob_chat)[1]})]
            assert _race(server.url, bodies) == [200, 409]
            final = client.get("/api/v2/chats/", headers=bob.headers).json()["data"]
            assert next(c for c in final if c["id"] == chat["id"])["status"] == "sync"


def _race(url: str, bodies: list[tuple[User, dict[str, Any]]]) -> list[int]:
    """POST the bodies from one thread each, released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def send(user: User, body: dict[str, Any]) -> None:
        with httpx.Client(base_url=url) as client:
            barrier.wait()
            statuses.append(client.post("/api/v2/chatsKeys/", json=body,
                                        headers=user.headers).status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(statuses)


@pytest.mark.slow
def test_cli_prints_the_listening_line_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "komandor_desktop.emulator", "--port", "0", "--seed", "demo",
         "--db", f"sqlite:///{tmp_path / 'cli.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("Komandor emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        response = httpx.get(f"{url}/api/v2/chats/", timeout=10)
        assert response.status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _demo_login(h: Harness) -> tuple[User, dict[str, dict[str, Any]]]:
    user = h.register(DEMO_PHONE, name="Демо Пользователь")
    chats = {(c["chatName"] or c["profileName"]): c for c in h.chats(user)}
    return user, chats


def test_demo_world_shows_every_state(tmp_path: Path) -> None:
    h = Harness(tmp_path, seed="demo")
    try:
        user, chats = _demo_login(h)
        assert not parse_chats(list(chats.values())).errors
        assert chats["Командор"]["status"] == "sync"
        assert chats["Проект Альфа"]["status"] == "wait"
        assert chats["Проект Альфа"]["chatKey"] is None
        assert chats["Новости Вектора"]["chatType"] == 2
        assert chats["Алексей Морозов"]["status"] == "wait"
        assert chats[UNREGISTERED_PHONE]["status"] == "new"
        assert chats[UNREGISTERED_PHONE]["certificates"] == []
        assert chats["Анна Петрова"]["status"] == "new"
        assert chats["Анна Петрова"]["profilePhoto"]  # a PNG avatar
        assert b64decode(chats["Анна Петрова"]["profilePhoto"]).startswith(b"\x89PNG")
        assert chats["Обед в пятницу"]["status"] == "new"
        assert {c["profileCompany"] for c in chats.values()} >= {
            "ООО «Ромашка»", "АО «Вектор»", "ИП Соколов"}
    finally:
        h.close()


def test_simulated_contacts_export_and_write_but_the_offline_one_waits(tmp_path: Path) -> None:
    h = Harness(tmp_path, seed="demo", simulate=True, sim_delay=0.1)
    try:
        user, chats = _demo_login(h)
        petrova = chats["Анна Петрова"]
        _key, entries = create_entries(user, petrova)
        assert h.post_keys(user, {"keys": entries}).status_code == 200
        assert simulate_step(h.emulator) >= 3  # two exports and at least one message
        after = {(c["chatName"] or c["profileName"]): c for c in h.chats(user)}
        alpha = after["Проект Альфа"]
        assert alpha["status"] == "sync"
        assert alpha["chatKey"]["pid"] != user.pid
        assert after["Новости Вектора"]["status"] == "sync"
        assert after["Алексей Морозов"]["status"] == "wait"  # offline: nobody exports
        assert after[UNREGISTERED_PHONE]["status"] == "new"  # never a first key
        assert after["Обед в пятницу"]["status"] == "new"
        chat = after["Анна Петрова"]
        text = crypto.decrypt_message(own_chat_key(user, chat), chat["id"],
                                      b64decode(chat["lastMessageText"]))
        assert text
        assert chat["unreadMessages"] >= 1
        history = crypto.decrypt_message(own_chat_key(user, alpha), alpha["id"],
                                         b64decode(alpha["lastMessageText"]))
        assert history
    finally:
        h.close()


@pytest.mark.slow
def test_simulation_runs_in_the_served_app(tmp_path: Path) -> None:
    config = EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'sim.db'}", seed="demo",
                            simulate=True, sim_delay=0.05)
    with EmulatorServer(config) as server, httpx.Client(base_url=server.url) as client:
        user = _register(client, DEMO_PHONE)
        for _ in range(200):
            chats = client.get("/api/v2/chats/", headers=user.headers).json()["data"]
            alpha = next(c for c in chats if c["chatName"] == "Проект Альфа")
            if alpha["status"] == "sync":
                break
            threading.Event().wait(0.05)
        assert alpha["status"] == "sync"
