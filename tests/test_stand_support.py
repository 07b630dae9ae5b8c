"""Helpers of the shared-stand tests: a throwaway PostgreSQL, the emulator and desktops
as separate processes.

PostgreSQL is started once per test session (``scripts/pg-test-server.sh``
into a temporary directory, as the ``postgres`` user when we are root) and
each test gets a fresh database in it. When no server can be started the
tests that need one are skipped with the reason, except under CI
(``CI=true``), where that is a failure: CI installs the ``postgresql`` package.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from test_emulator_support import make_csr_b64, make_key

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "pg-test-server.sh"
PASSPHRASE = "a long passphrase for the stand tests"
READY = "Komandor emulator listening on "


def unavailable(reason: str) -> None:
    """Skip, or fail under CI, where every test must really run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


class PgCluster:
    """One PostgreSQL cluster in a temporary directory, stopped at exit."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="komandor-pg-"))
        self.dir.chmod(0o755)  # as root the cluster belongs to `postgres`, who must get in
        self.error: str | None = None
        self.url = ""
        done = subprocess.run(["bash", str(SCRIPT), "start", str(self.dir / "pg")],
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            self.error = f"cannot start PostgreSQL: {done.stderr.strip()[-500:]}"
            shutil.rmtree(self.dir, ignore_errors=True)
            return
        self.url = done.stdout.strip().splitlines()[-1]
        atexit.register(self.stop)

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", str(self.dir / "pg")],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        name = f"stand_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"


_CLUSTER: list[PgCluster] = []


def postgres_url() -> str:
    """A fresh database on the session's cluster (started on first use)."""
    if importlib.util.find_spec("psycopg") is None:
        unavailable("the PostgreSQL driver is missing: pip install 'psycopg[binary]'")
    if shutil.which("bash") is None:
        unavailable("bash is needed to start PostgreSQL")
    if not _CLUSTER:
        _CLUSTER.append(PgCluster())
    cluster = _CLUSTER[0]
    if cluster.error is not None:
        unavailable(cluster.error)
    return cluster.new_database()


class EmulatorProcess:
    """``komandor-emulator`` as a subprocess, stopped with SIGTERM."""

    def __init__(self, db_url: str, workers: int, log: Path, *extra: str) -> None:
        self.db_url = db_url
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "komandor_desktop.emulator", "--port", "0", "--db", db_url,
             "--workers", str(workers), "--code", "1111",
             # a stand's devices of one user sign in seconds apart: one code a minute
             # would stop them (the limits have their own test, test_emulator_limits.py)
             *(() if "--auth-limits" in extra else ("--no-auth-limits",)), *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(READY):
            self.stop()
            raise AssertionError(f"the emulator did not start: {line!r}, see {log}")
        self.url = line[len(READY):]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


@dataclass
class HttpUser:
    """A profile made over plain HTTP (a contact that needs no desktop)."""

    phone: str
    pid: str
    cid: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(client: httpx.Client, phone: str) -> HttpUser:
    body = {"phone": phone, "code": "1111", "csr": make_csr_b64(make_key(), phone)}
    response = client.post("/api/v2/auth/confirm/", json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return HttpUser(phone, data["pid"], data["cid"], data["token"])


def desktop(home: Path, *args: str) -> Any:
    """One headless command in its own process; its JSON output."""
    env = {**os.environ, "KOMANDOR_PASSPHRASE": PASSPHRASE}
    done = subprocess.run([sys.executable, "-m", "komandor_desktop", "--home", str(home),
                           *args, "--json"], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# Imports the CLI first, then waits for a common moment, so that the processes'
# requests really overlap instead of being spread by interpreter start-up.
_LAUNCHER = ("import sys, time; from komandor_desktop.cli import main; "
             "time.sleep(max(0.0, float(sys.argv[1]) - time.time())); "
             "sys.exit(main(sys.argv[2:]))")


@dataclass
class Run:
    home: Path
    code: int
    report: dict[str, Any] | None
    stderr: str

    @property
    def conflicted(self) -> bool:
        """The server answered 409 to one of this run's registrations."""
        return "conflict: True" in self.stderr


def together(homes: Sequence[Path], *args: str, lead: float = 4.0) -> list[Run]:
    """The same command in one process per home, all released at the same moment.

    ``-v``: the client logs each round to stderr, whether it met a 409 included.
    """
    env = {**os.environ, "KOMANDOR_PASSPHRASE": PASSPHRASE}
    start = f"{time.time() + lead:.3f}"
    procs = [subprocess.Popen([sys.executable, "-c", _LAUNCHER, start, "-v", "--home", str(home),
                               *args, "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for home in homes]
    runs = []
    for home, proc in zip(homes, procs, strict=True):
        out, err = proc.communicate(timeout=180)
        report = json.loads(out) if out.strip() else None
        runs.append(Run(home, proc.returncode, report, err))
    return runs


def prepare_store(home: Path) -> None:
    """Create and migrate the device's local store now, not inside the timed race."""
    from komandor_desktop.session import STORE_FILE
    from komandor_desktop.store import Store

    Store(home / STORE_FILE).close()


def key_records(db_url: str) -> dict[str, int]:
    """Number of key records per chat, straight from the emulator's database."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.id, COUNT(r.chat_id) FROM chats c "
                "LEFT JOIN chat_key_records r ON r.chat_id = c.id GROUP BY c.id"))
            return {chat_id: count for chat_id, count in rows}
    finally:
        engine.dispose()


def device_keys(home: Path) -> dict[str, tuple[str, bytes]]:
    """chat id -> (key id, plaintext chat key) as this device imports them.

    Opens the device's own profile and runs its key checks (signer, then import
    with its private key), exactly what makes the window enable a chat.
    """
    from komandor_desktop.session import Session

    async def read() -> dict[str, tuple[str, bytes]]:
        session = Session.open(home, PASSPHRASE)
        try:
            found = {}
            for chat in session.store.chats():
                verdict = session.engine.keyring.verdict(chat)
                if verdict is not None and verdict.key is not None and chat.chat_key:
                    found[chat.id] = (chat.chat_key.id, verdict.key)
            return found
        finally:
            await session.aclose()

    return asyncio.run(read())


def add_contacts_only(home: Path, phones: Sequence[str]) -> None:
    """``phones`` through the device's own API client, without syncing any keys.

    (``add-contacts`` would also sync, and the chats must stay ``new`` for the race.)
    """
    from komandor_desktop.session import Session

    async def add() -> None:
        session = Session.open(home, PASSPHRASE)
        try:
            await session.client.get_chats(list(phones))
        finally:
            await session.aclose()

    asyncio.run(add())
