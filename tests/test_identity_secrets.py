"""secrets.bin: round trip, wrong passphrase, tampering, file modes, atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from komandor_desktop.errors import IdentityError, InputError, NotSignedIn
from komandor_desktop.identity import secrets as sec
from komandor_desktop.identity.secrets import (
    ScryptParams,
    Secrets,
    SecretsBox,
    atomic_write,
    ensure_home,
)

FAST = ScryptParams(log2_n=10)  # the format is the same; only the cost differs
KEY = b"0\x81\x87\x02\x01\x00" + bytes(range(100))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_with_default_parameters(tmp_path: Path) -> None:
    path = tmp_path / "secrets.bin"
    SecretsBox.create("correct horse").write(path, Secrets(KEY, "tok-1"))
    _, secrets = SecretsBox.open(path, "correct horse")
    assert secrets == Secrets(KEY, "tok-1")
    header = path.read_bytes()[: sec._HEADER.size]
    assert header.startswith(b"KMDSEC\x01\x0f")  # version 1, log2(n) = 15
    assert header[8:16] == (8).to_bytes(4, "big") + (1).to_bytes(4, "big")


def test_token_may_be_absent_and_nonascii_passphrases_work(tmp_path: Path) -> None:
    path = tmp_path / "secrets.bin"
    SecretsBox.create("пароль ключа", FAST).write(path, Secrets(KEY, None))
    assert SecretsBox.open(path, "пароль ключа")[1] == Secrets(KEY, None)


def test_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "secrets.bin"
    SecretsBox.create("right", FAST).write(path, Secrets(KEY, "t"))
    with pytest.raises(IdentityError, match="wrong passphrase"):
        SecretsBox.open(path, "wrong")


def test_reopened_box_rewrites_with_the_same_passphrase_and_a_fresh_nonce(tmp_path: Path) -> None:
    path = tmp_path / "secrets.bin"
    SecretsBox.create("pw", FAST).write(path, Secrets(KEY, "t1"))
    box, _ = SecretsBox.open(path, "pw")
    before = path.read_bytes()
    box.write(path, Secrets(KEY, "t2"))
    after = path.read_bytes()
    assert before[: sec._HEADER.size - 12] == after[: sec._HEADER.size - 12]  # same salt
    assert (
        before[sec._HEADER.size - 12 : sec._HEADER.size]
        != after[sec._HEADER.size - 12 : sec._HEADER.size]
    )  # new nonce
    assert SecretsBox.open(path, "pw")[1].token == "t2"


@pytest.mark.parametrize("offset", [7, 9, 20, 35, -1])
def test_any_flipped_byte_is_refused(tmp_path: Path, offset: int) -> None:
    """The header is authenticated: weaker parameters cannot be swapped in."""
    path = tmp_path / "secrets.bin"
    SecretsBox.create("pw", FAST).write(path, Secrets(KEY, "t"))
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(IdentityError):
        SecretsBox.open(path, "pw")


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"KMDSEC",
        b"NOTSEC" + bytes(100),
        b"KMDSEC\x02\x0f" + bytes(100),  # unknown version
        b"KMDSEC\x01\x1f" + bytes(100),  # log2(n) = 31: refused before deriving
    ],
)
def test_foreign_or_hostile_files_are_refused(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "secrets.bin"
    path.write_bytes(blob)
    with pytest.raises(IdentityError):
        SecretsBox.open(path, "pw")


def test_missing_file_is_not_signed_in(tmp_path: Path) -> None:
    with pytest.raises(NotSignedIn):
        SecretsBox.open(tmp_path / "secrets.bin", "pw")


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(InputError):
        SecretsBox.create("")


def test_no_plaintext_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.bin"
    token = "eyJhbGciOiJFUzI1NiJ9.payload.signature"
    SecretsBox.create("pw", FAST).write(path, Secrets(KEY, token))
    blob = path.read_bytes()
    assert KEY[6:40] not in blob
    assert token.encode() not in blob
    assert b"privateKey" not in blob


def test_file_mode_0600_despite_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        atomic_write(tmp_path / "f", b"data")
    finally:
        os.umask(old)
    assert mode(tmp_path / "f") == 0o600


def test_ensure_home_makes_and_tightens_0700(tmp_path: Path) -> None:
    fresh = tmp_path / "a" / "home"
    ensure_home(fresh)
    assert mode(fresh) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    ensure_home(loose)
    assert mode(loose) == 0o700


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(sec.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_a_stale_temp_file_does_not_block_writing(tmp_path: Path) -> None:
    stale = tmp_path / f".f.{os.getpid()}.tmp"
    stale.write_bytes(b"left by a crash")
    atomic_write(tmp_path / "f", b"new")
    assert (tmp_path / "f").read_bytes() == b"new"
    assert not stale.exists()
