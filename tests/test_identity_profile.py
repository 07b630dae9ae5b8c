"""Profile files and loading; check_server_url."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from test_identity_login import PASS, AuthServer, do_login

from komandor_desktop.errors import IdentityError, InputError, NotSignedIn
from komandor_desktop.identity import Profile, check_server_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.komandor.app", "https://api.komandor.app"),
        ("https://api.komandor.app/", "https://api.komandor.app"),
        ("  https://host:8443/prefix/ ", "https://host:8443/prefix"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.5.6.7", "http://127.5.6.7"),
        ("http://[::1]:8765/", "http://[::1]:8765"),
        ("http://localhost:8765", "http://localhost:8765"),
        ("http://LOCALHOST", "http://LOCALHOST"),
    ],
)
def test_check_server_url_accepts(url: str, expected: str) -> None:
    assert check_server_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.komandor.app",
        "http://192.168.1.5:8765",
        "http://[::2]",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "api.komandor.app",
        "https://",
        "",
        "https://host:99999",
        "https://u:p@host",
        "https://host/?q=1",
        "https://host/#frag",
        "file:///etc/passwd",
    ],
)
def test_check_server_url_refuses(url: str) -> None:
    with pytest.raises(InputError):
        check_server_url(url)


def test_load_of_a_missing_home_is_not_signed_in(tmp_path: Path) -> None:
    with pytest.raises(NotSignedIn):
        Profile.load(tmp_path / "nowhere", PASS)
    assert not Profile.exists(tmp_path / "nowhere")


def test_load_with_only_one_file_is_not_signed_in(tmp_path: Path) -> None:
    do_login(tmp_path, AuthServer())
    (tmp_path / "profile.json").unlink()
    with pytest.raises(NotSignedIn):
        Profile.load(tmp_path, PASS)


def test_files_are_private_and_profile_json_is_public_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    profile = do_login(home, AuthServer(), name="Ольга")
    assert mode(home) == 0o700
    assert mode(home / "profile.json") == 0o600
    assert mode(home / "secrets.bin") == 0o600
    data = json.loads((home / "profile.json").read_text("utf-8"))
    assert set(data) == {
        "version",
        "server_url",
        "phone",
        "pid",
        "cid",
        "certificate_pem",
        "ca_certificate_pem",
        "name",
    }
    assert data["name"] == "Ольга"
    assert data["cid"] == profile.identity.cid


def test_wrong_passphrase_on_load(tmp_path: Path) -> None:
    do_login(tmp_path, AuthServer())
    with pytest.raises(IdentityError, match="wrong passphrase"):
        Profile.load(tmp_path, "nope")


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[]",
        '{"version": 2}',
        '{"version": 1, "phone": "79001112233"}',
        '{"version": 1, "server_url": 1, "phone": "p", "pid": "p", "cid": "c", '
        '"certificate_pem": "x", "ca_certificate_pem": null}',
    ],
)
def test_damaged_profile_json(tmp_path: Path, content: str) -> None:
    do_login(tmp_path, AuthServer())
    (tmp_path / "profile.json").write_text(content)
    with pytest.raises(IdentityError):
        Profile.load(tmp_path, PASS)


def test_a_certificate_for_another_key_is_refused_on_load(tmp_path: Path) -> None:
    server = AuthServer()
    do_login(tmp_path / "a", server)
    do_login(tmp_path / "b", server)  # a second key pair and certificate
    (tmp_path / "a" / "profile.json").write_bytes((tmp_path / "b" / "profile.json").read_bytes())
    with pytest.raises(IdentityError, match="not for this private key"):
        Profile.load(tmp_path / "a", PASS)


def test_save_token_survives_a_reload(tmp_path: Path) -> None:
    profile = do_login(tmp_path, AuthServer())
    profile.save_token("second")
    assert profile.token == "second"
    assert Profile.load(tmp_path, PASS).token == "second"
