"""The emulator's fault injection (emulator/faults.py): syntax, stream, each kind."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e import LOCAL, PASSPHRASE, emulator
from sqlalchemy import select

from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.emulator.db import Contact
from komandor_desktop.emulator.faults import GARBAGE, DroppedConnection, FaultPlan, FaultRule
from komandor_desktop.emulator.server import EmulatorServer
from komandor_desktop.identity import login

ALICE, BOB = "79990000051", "79990000052"
CHATS = "/api/v2/chats/"


def test_spec_syntax() -> None:
    plan = FaultPlan.parse(" seed=7, latency:0.05@50%, 429:3@0.25/api/v2/chatsKeys/ ,drop-after")
    assert plan.seed == 7
    assert plan.rules == (FaultRule("latency", 0.05, 0.5, ""),
                          FaultRule("429", 3.0, 0.25, "/api/v2/chatsKeys/"),
                          FaultRule("drop-after", None, 1.0, ""))
    assert FaultPlan.parse(None).rules == ()
    assert FaultPlan.parse("").rules == ()


@pytest.mark.parametrize("bad", ["bogus", "latency", "drop:1", "500@2", "500@x", "seed=a",
                                 "timeout:-1", "429:x", "latency:1@-5%"])
def test_bad_specs_are_refused_at_start(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="faults"):
        EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'x.db'}", faults=bad)


def test_the_stream_is_reproducible_with_a_seed() -> None:
    paths = [CHATS, "/api/v2/chatsKeys/", "/api/v2/auth/code/"] * 100

    def kinds(spec: str) -> list[str | None]:
        plan = FaultPlan.parse(spec)
        return [(lambda r: r.kind if r else None)(plan.draw(p)[1]) for p in paths]

    spec = "500@30%/api/v2/chats,drop@20%,garbage@10%/api/v2/chatsKeys"
    first = kinds(f"seed=3,{spec}")
    assert first == kinds(f"seed=3,{spec}")
    assert first != kinds(f"seed=4,{spec}")
    assert {"500", "drop", "garbage", None} == set(first)
    assert all(k != "500" for p, k in zip(paths, first, strict=True) if "auth" in p)


async def _token(app: Any, tmp_path: Path, phone: str) -> str:
    profile = await login(tmp_path / phone, LOCAL, phone, "1111", passphrase=PASSPHRASE,
                          transport=httpx.ASGITransport(app=app))
    assert profile.token is not None
    return profile.token


def _contacts(app: Any) -> int:
    with app.state.emulator.transaction() as session:
        return len(session.scalars(select(Contact)).all())


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("500", 500, "server_error"), ("429:4", 429, "rate_limited"),
    ("expire", 401, "token_expired"), ("502", 502, None), ("503", 503, None)])
def test_answers_instead_of_the_handler(kind: str, status: int, code: str | None,
                                        tmp_path: Path) -> None:
    app = emulator(tmp_path, faults=f"{kind}/api/v2/chats/")

    async def scenario() -> None:
        token = await _token(app, tmp_path, ALICE)  # auth paths are not faulted
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=LOCAL) as http:
            r = await http.get(CHATS, params={"phones": BOB},
                               headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status
        assert r.headers["x-komandor-fault"] == kind.split(":")[0]
        if code is None:
            assert r.text.startswith("<html>")
        else:
            assert r.json()["error"]["code"] == code
        if kind.startswith("429"):
            assert r.headers["retry-after"] == "4"
        assert _contacts(app) == 0  # the handler never ran
        assert app.state.faults.counts[kind.split(":")[0]] == 1

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", ["truncate", "garbage", "drop-after", "drop"])
def test_faults_after_the_handler_keep_its_work(kind: str, tmp_path: Path) -> None:
    app = emulator(tmp_path, faults=f"{kind}/api/v2/chats/")

    async def scenario() -> None:
        token = await _token(app, tmp_path, ALICE)
        clean = emulator(tmp_path)
        clean_token = await _token(clean, tmp_path / "clean", ALICE)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=LOCAL) as http:
            if kind.startswith("drop"):
                with pytest.raises(DroppedConnection):
                    await http.get(CHATS, params={"phones": BOB}, headers=headers)
                assert isinstance(DroppedConnection("x"), httpx.NetworkError)
                assert _contacts(app) == (1 if kind == "drop-after" else 0)
                return
            r = await http.get(CHATS, params={"phones": BOB}, headers=headers)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=clean),
                                     base_url=LOCAL) as http:
            real = await http.get(CHATS, headers={"Authorization": f"Bearer {clean_token}"})
        assert _contacts(app) == 1  # the handler ran and committed
        assert r.status_code == 200
        if kind == "truncate":
            assert 0 < len(r.content) < len(real.content)
            with pytest.raises(json.JSONDecodeError):
                json.loads(r.content)
        else:
            assert r.content == GARBAGE

    asyncio.run(scenario())


def test_over_loopback_drop_and_timeout_look_like_the_network(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'emu.db'}"
    spec = "seed=1,drop/api/v2/chats/,timeout:1.0/api/v2/chats"
    with EmulatorServer(EmulatorConfig(db_url=db, faults=spec)) as server:
        assert server.url is not None
        url = server.url

        async def scenario() -> None:
            profile = await login(tmp_path / "a", url, ALICE, "1111", passphrase=PASSPHRASE)
            headers = {"Authorization": f"Bearer {profile.token}"}
            async with httpx.AsyncClient(base_url=url, timeout=0.3) as http:
                with pytest.raises(httpx.RemoteProtocolError):
                    await http.get(CHATS, params={"phones": BOB}, headers=headers)
                started = time.monotonic()
                with pytest.raises(httpx.ReadTimeout):
                    await http.get("/api/v2/chats", params={"phones": BOB}, headers=headers)
                assert time.monotonic() - started < 0.9
            assert _contacts(server.app) == 0
            await asyncio.sleep(1.2)  # the held request is handled after the client left
            assert _contacts(server.app) == 1

        asyncio.run(scenario())
