"""The README's walk-through: the emulator and two desktops as separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import emulator_process

ALICE, BOB = "+7 (999) 000-00-21", "89990000022"
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with emulator_process(tmp_path) as url:
        yield url


def desktop(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KOMANDOR_PASSPHRASE": "a long passphrase for tests"}
    done = subprocess.run([sys.executable, "-m", "komandor_desktop", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_two_new_users_from_the_readme(server: str, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    desktop(a, "login", "--server", server, "--phone", ALICE, "--code", "1111", "--name", "Анна")
    desktop(b, "login", "--server", server, "--phone", BOB, "--code", "1111", "--name", "Борис")
    added = json.loads(desktop(a, "add-contacts", "8 999 000-00-22", "--json").stdout)
    assert added["errors"] == []
    for home in (a, b):
        report = json.loads(desktop(home, "sync", "--json").stdout)
        assert set(report) == {"registered", "rounds", "status", "errors"}
        assert report["errors"] == []
    for home, other in ((a, "Борис"), (b, "Анна")):
        chats = json.loads(desktop(home, "chats", "--json").stdout)
        by_name = {c["name"]: c for c in chats}
        assert {other, "Избранное", "Командор"} <= set(by_name)
        assert all(c["status"] == "sync" and c["enabled"] and c["reason"] is None for c in chats)
        assert by_name["Командор"]["lastMessage"].startswith("Добро пожаловать")
        assert [c["name"] for c in chats][:2] == ["Избранное", "Командор"]
        for chat in chats:
            assert {"id", "status", "enabled", "reason", "reasonText", "name", "company",
                    "companyId", "chatType", "favorites", "unread", "lastMessage",
                    "lastMessageTime"} <= set(chat)


def test_bad_phone_is_refused_and_nothing_is_sent(server: str, tmp_path: Path) -> None:
    home = tmp_path / "a"
    desktop(home, "login", "--server", server, "--phone", ALICE, "--code", "1111")
    before = json.loads(desktop(home, "chats", "--json").stdout)
    done = desktop(home, "add-contacts", "12345", "--json", check=False)
    assert done.returncode == 2
    assert "12345" in done.stderr
    error = json.loads(done.stdout)["error"]  # --json prints JSON on failure too (CLI.md)
    assert error["code"] == "bad_input"
    assert "12345" in error["message"]
    plain = desktop(home, "add-contacts", "12345", check=False)
    assert plain.returncode == 2
    assert plain.stdout == ""  # without --json: the message on standard error only
    assert json.loads(desktop(home, "chats", "--json").stdout) == before


def test_headless_commands_need_a_profile_and_a_passphrase(tmp_path: Path) -> None:
    done = desktop(tmp_path / "nobody", "sync", "--json", check=False)
    assert done.returncode == 3
    assert json.loads(done.stdout)["error"]["code"] == "sign_in_needed"
    env = {k: v for k, v in os.environ.items() if k != "KOMANDOR_PASSPHRASE"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    home = tmp_path / "nopass"
    (home).mkdir()
    done2 = subprocess.run([sys.executable, "-m", "komandor_desktop", "--home", str(home),
                            "login", "--server", "http://127.0.0.1:9", "--phone", ALICE,
                            "--code", "1111"], capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=60)
    assert done2.returncode == 3
    assert "passphrase" in done2.stderr


def test_unreachable_server_exits_4(tmp_path: Path) -> None:
    done = desktop(tmp_path / "a", "login", "--server", "http://127.0.0.1:9", "--phone", ALICE,
                   "--code", "1111", "--json", check=False)
    assert done.returncode == 4, done.stderr
    assert json.loads(done.stdout)["error"]["code"] == "server_unreachable"


def test_plain_http_to_a_remote_host_is_refused(tmp_path: Path) -> None:
    done = desktop(tmp_path / "a", "login", "--server", "http://example.org", "--phone", ALICE,
                   "--code", "1111", check=False)
    assert done.returncode == 2
    assert "https" in done.stderr
