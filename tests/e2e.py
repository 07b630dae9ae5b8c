"""Helpers that run the real client against the real emulator.

In process through ``httpx.ASGITransport`` (the emulator's DB work runs in its
thread pool, so requests really overlap) or over loopback through
``EmulatorServer`` (uvicorn). Nothing here is faked: the emulator's database is
a SQLite file, the client's store is a SQLite file, the crypto is real.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from komandor_desktop.api import RetryPolicy
from komandor_desktop.emulator.asgi import create_asgi_app
from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.identity import login
from komandor_desktop.session import Session

PASSPHRASE = "correct horse battery staple"


async def _no_sleep(_: float) -> None:
    return None


FAST_RETRY = RetryPolicy(attempts=3, base=0.0, cap=0.0, sleep=_no_sleep)
LOCAL = "http://127.0.0.1:9"  # base URL when the transport is in process


@contextmanager
def emulator_process(tmp_path: Path) -> Iterator[str]:
    """A real emulator as a process of its own on a free loopback port (code 1111); its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "komandor_desktop.emulator", "--port", "0",
         "--db", f"sqlite:///{tmp_path / 'emulator.sqlite3'}", "--code", "1111"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("Komandor emulator listening on http://127.0.0.1:"), line
        yield line.rsplit(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def emulator(tmp_path: Path, **kw: Any) -> Any:
    """A fresh emulator app over its own SQLite file."""
    db = tmp_path / f"emulator-{len(list(tmp_path.glob('emulator-*')))}.sqlite3"
    return create_asgi_app(EmulatorConfig(db_url=f"sqlite:///{db}", **kw))


class Wire:
    """An in-process transport to an app, with an optional response rewriter.

    ``rewrite(request, status, body) -> body`` lets a test play a hostile or
    broken server on top of the real emulator's answers.
    """

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.rewrite: Callable[[httpx.Request, int, bytes], bytes] | None = None
        self.drop: Callable[[httpx.Request], bool] | None = None  # True: never reaches the app
        self.requests: list[httpx.Request] = []
        self.statuses: list[tuple[str, str, int]] = []  # (method, path, status)

    def transport(self) -> httpx.AsyncBaseTransport:
        return _Rewriting(self)


class _Rewriting(httpx.AsyncBaseTransport):
    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.wire.requests.append(request)
        if self.wire.drop is not None and self.wire.drop(request):
            raise httpx.ConnectError("dropped by the test", request=request)
        response = await self.wire.inner.handle_async_request(request)
        body = await response.aread()
        self.wire.statuses.append((request.method, request.url.path, response.status_code))
        if self.wire.rewrite is not None:
            body = self.wire.rewrite(request, response.status_code, body)
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=body)


async def device(wire: Wire | None, home: Path, phone: str, *, name: str | None = None,
                 server: str = LOCAL, key_kind: str | None = None) -> Session:
    """Log a device in (activating the phone the first time) and open its session."""
    transport = wire.transport() if wire is not None else None
    profile = await login(home, server, phone, "1111", passphrase=PASSPHRASE, name=name,
                          key_kind=key_kind, transport=transport)
    return Session(home, profile, transport=wire.transport() if wire is not None else None,
                   retry=FAST_RETRY)


def by_name(session: Session) -> dict[str, Any]:
    """The session's views by display name."""
    return {v.name: v for v in session.views()}


def on_chats(edit: Callable[[list[dict[str, Any]]], None]) -> Callable[..., bytes]:
    """A rewriter that edits the chat list of every successful GET /chats/."""

    def rewrite(request: httpx.Request, status: int, body: bytes) -> bytes:
        if request.method != "GET" or not request.url.path.startswith("/api/v2/chats"):
            return body
        doc = json.loads(body)
        if doc.get("success"):
            edit(doc["data"])
        return json.dumps(doc).encode()

    return rewrite


def named(chats: list[dict[str, Any]], phone: str) -> dict[str, Any]:
    """The personal chat with ``phone`` in a wire chat list."""
    return next(c for c in chats if c.get("profilePhone") == phone and not c["chatFavorites"])
