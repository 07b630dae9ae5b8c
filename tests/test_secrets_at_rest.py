"""Secrets at rest (issue 4): after a full sync of two users over the real
emulator (uvicorn on loopback), nothing secret is in any file of either profile
or in the logs, and the files are private.

Alice runs the CLI as a subprocess with ``-vv`` (DEBUG), her standard error
going to a log file; Bob runs in process with every logger at DEBUG captured
to a file. The secrets are read in process afterwards: the plaintext chat keys
from the KeyRing, the private key in every encoding a careless writer might
use, the token, the passphrase, and each decrypted message text.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from e2e import PASSPHRASE

from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.emulator.server import EmulatorServer
from komandor_desktop.identity import login
from komandor_desktop.session import Session

pytestmark = pytest.mark.slow
ALICE, BOB = "79990000061", "79990000062"
ALICE_PASSPHRASE = "alice's own passphrase, never written down"


def cli(home: Path, log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KOMANDOR_PASSPHRASE": ALICE_PASSPHRASE}
    with log.open("a") as stderr:
        done = subprocess.run([sys.executable, "-m", "komandor_desktop", "-vv", "--home",
                               str(home), *args], stdout=subprocess.PIPE, stderr=stderr,
                              text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, log.read_text()[-3000:]
    return done


def private_key_forms(key: Any) -> dict[str, bytes]:
    """The private key as PKCS#8 DER and PEM, traditional PEM, and the raw scalar."""
    none = serialization.NoEncryption()
    forms = {
        "pkcs8-der": key.private_bytes(serialization.Encoding.DER,
                                       serialization.PrivateFormat.PKCS8, none),
        "pkcs8-pem": key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8, none),
        "traditional-pem": key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.TraditionalOpenSSL,
                                             none),
    }
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        forms["scalar"] = key.private_numbers().private_value.to_bytes(size, "big")
    # the PEM body alone (a writer may strip the armour): its first base64 line
    forms["pkcs8-pem-line"] = forms["pkcs8-pem"].splitlines()[1]
    return forms


def encodings(name: str, secret: bytes) -> dict[str, bytes]:
    """``secret`` raw, in base64 (standard and URL-safe, unpadded) and in hex."""
    b64 = base64.b64encode(secret).rstrip(b"=")
    return {f"{name} raw": secret, f"{name} b64": b64,
            f"{name} b64url": base64.urlsafe_b64encode(secret).rstrip(b"="),
            f"{name} hex": secret.hex().encode(), f"{name} HEX": secret.hex().upper().encode()}


async def secrets_of(session: Session, passphrase: str) -> dict[str, bytes]:
    """Every secret of one user, by a name that says what it is."""
    found: dict[str, bytes] = {}
    profile = session.profile
    for form, data in private_key_forms(profile.private_key).items():
        found.update(encodings(f"private key {form}", data))
    assert profile.token
    found[f"token of {profile.identity.phone}"] = profile.token.encode()
    found[f"passphrase of {profile.identity.phone}"] = passphrase.encode()
    chats = session.store.chats()
    keys = [session.engine.keyring.key(c) for c in chats]
    assert any(keys), "no chat key was usable after the sync"
    for chat, plain in zip(chats, keys, strict=True):
        if plain is not None:
            found.update(encodings(f"chat key of {chat.id}", plain))
    texts = [v.last_message for v in session.views() if v.last_message]
    assert texts, "no message was decrypted: the scan would prove nothing about them"
    for text in texts:
        found[f"message {text[:20]!r}"] = text.encode("utf-8")
        found[f"message {text[:20]!r} utf-16"] = text.encode("utf-16-le")
        found[f"message {text[:20]!r} escaped"] = text.encode("ascii", "backslashreplace")
    return found


def scan(paths: list[Path], secrets: dict[str, bytes]) -> list[str]:
    """``file: secret name`` for every secret found in every file."""
    hits = []
    for path in paths:
        data = path.read_bytes()
        hits += [f"{path}: {name}" for name, secret in secrets.items()
                 if len(secret) >= 8 and secret in data]
    return hits


def files_under(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def check_modes(home: Path) -> None:
    assert stat.S_IMODE(home.stat().st_mode) == 0o700, home
    for path in home.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"


async def _bob(url: str, home: Path) -> Session:
    profile = await login(home, url, BOB, "1111", passphrase=PASSPHRASE, name="Борис")
    session = Session(home, profile)
    await session.engine.sync(phones=[ALICE])
    return session


async def _secrets(url: str, a_home: Path, b_home: Path) -> dict[str, bytes]:
    bob = await _bob(url, b_home)
    alice = Session.open(a_home, ALICE_PASSPHRASE)
    try:
        await alice.engine.sync()  # takes the key Bob made for their chat
        await bob.engine.sync()
        assert all(v.enabled for v in alice.views())
        return {**await secrets_of(alice, ALICE_PASSPHRASE), **await secrets_of(bob, PASSPHRASE)}
    finally:
        await alice.aclose()
        await bob.aclose()


def test_no_secret_is_at_rest_or_in_the_logs(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    a_home, b_home = tmp_path / "alice", tmp_path / "bob"
    a_log, b_log = tmp_path / "alice-cli.log", tmp_path / "bob-debug.log"
    config = EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'emulator.sqlite3'}")
    with EmulatorServer(config) as server:
        assert server.url is not None
        cli(a_home, a_log, "login", "--server", server.url, "--phone", ALICE, "--code",
            "1111", "--name", "Анна")
        with caplog.at_level(logging.DEBUG):
            cli(a_home, a_log, "add-contacts", BOB, "--json")
            secrets = asyncio.run(_secrets(server.url, a_home, b_home))
            cli(a_home, a_log, "sync", "--json")
            cli(a_home, a_log, "chats", "--json")
        b_log.write_text(caplog.text, encoding="utf-8")
    cli_log = a_log.read_text(encoding="utf-8")
    assert "refreshed:" in cli_log
    assert "sync done:" in cli_log
    assert "/api/v2/chats" in cli_log  # -vv adds the requests (method, path, status)
    assert "refreshed:" in caplog.text
    hits = scan(files_under(a_home, b_home) + [a_log, b_log], secrets)
    assert hits == []
    control = tmp_path / "control.bin"  # the scan does find what it looks for
    some_key = next(name for name in secrets if name.startswith("chat key"))
    token = next(name for name in secrets if name.startswith("token"))
    control.write_bytes(b"x" + secrets[some_key] + b"y" + secrets[token])
    assert {h.split(": ", 1)[1] for h in scan([control], secrets)} >= {some_key, token}
    for home in (a_home, b_home):
        check_modes(home)


@pytest.mark.parametrize("url", ["http://komandor.example.org", "http://10.0.0.1:8765",
                                 "ftp://127.0.0.1", "http://user:pw@127.0.0.1:1"])
def test_cli_refuses_non_https_urls_except_loopback_before_sending(tmp_path: Path,
                                                                   url: str) -> None:
    env = {**os.environ, "KOMANDOR_PASSPHRASE": ALICE_PASSPHRASE}
    done = subprocess.run([sys.executable, "-m", "komandor_desktop", "--home",
                           str(tmp_path / "a"), "login", "--server", url, "--phone", ALICE,
                           "--code", "1111"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "a" / "secrets.bin").exists()
