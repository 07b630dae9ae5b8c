"""Passphrase sources: env, keyring (absent or broken), prompt; never plaintext."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked

from komandor_desktop.errors import PassphraseUnavailable
from komandor_desktop.identity import get_passphrase, store_passphrase_in_keyring
from komandor_desktop.identity import passphrase as pp


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps entries in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pp.ENV_VAR, raising=False)


@pytest.fixture
def use_keyring() -> Iterator[object]:
    """Swaps the process-wide keyring backend and restores it afterwards."""
    previous = keyring.get_keyring()
    holder: list[KeyringBackend] = []

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        holder.append(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


def test_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    memory = use_keyring(MemoryKeyring())  # type: ignore[operator]
    store_passphrase_in_keyring(tmp_path, "from-keyring")
    monkeypatch.setenv(pp.ENV_VAR, "from-env")
    assert get_passphrase(tmp_path, interactive=False) == "from-env"
    assert memory.entries  # the keyring did hold one


def test_keyring_is_next(tmp_path: Path, use_keyring: object) -> None:
    memory = use_keyring(MemoryKeyring())  # type: ignore[operator]
    assert store_passphrase_in_keyring(tmp_path, "from-keyring") is True
    assert get_passphrase(tmp_path, interactive=False) == "from-keyring"
    assert list(memory.entries) == [("komandor-desktop", str(tmp_path.resolve()))]


def test_keyring_entries_are_per_home(tmp_path: Path, use_keyring: object) -> None:
    use_keyring(MemoryKeyring())  # type: ignore[operator]
    store_passphrase_in_keyring(tmp_path / "real", "real-one")
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path / "demo", interactive=False)


def test_empty_env_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(MemoryKeyring())  # type: ignore[operator]
    store_passphrase_in_keyring(tmp_path, "from-keyring")
    monkeypatch.setenv(pp.ENV_VAR, "")
    assert get_passphrase(tmp_path, interactive=False) == "from-keyring"


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring])
def test_no_usable_keyring_and_headless_is_unavailable(
    tmp_path: Path, use_keyring: object, backend: type[KeyringBackend]
) -> None:
    use_keyring(backend())  # type: ignore[operator]
    with pytest.raises(PassphraseUnavailable, match="KOMANDOR_PASSPHRASE"):
        get_passphrase(tmp_path, interactive=False)
    assert store_passphrase_in_keyring(tmp_path, "pw") is False
    assert list(tmp_path.iterdir()) == []  # nothing written as a fallback


def test_interactive_without_a_tty_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    monkeypatch.setattr("sys.stdin", io.StringIO("secret\n"))
    monkeypatch.setattr(pp.getpass, "getpass", pytest.fail)
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path, interactive=True)


def prompt_answers(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    prompts: list[str] = []
    replies = iter(answers)

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(replies)

    monkeypatch.setattr("sys.stdin", FakeTty())
    monkeypatch.setattr(pp.getpass, "getpass", fake_getpass)
    return prompts


def test_prompt_on_a_tty_confirms_for_a_new_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    prompts = prompt_answers(monkeypatch, "typed", "typed")
    assert get_passphrase(tmp_path, interactive=True) == "typed"
    assert len(prompts) == 2


def test_prompt_asks_once_for_an_existing_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    (tmp_path / "secrets.bin").write_bytes(b"x")
    prompts = prompt_answers(monkeypatch, "typed")
    assert get_passphrase(tmp_path, interactive=True) == "typed"
    assert len(prompts) == 1


@pytest.mark.parametrize("answers", [("a", "b"), ("",)])
def test_mismatch_or_empty_prompt_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object, answers: tuple[str, ...]
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    prompt_answers(monkeypatch, *answers)
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path, interactive=True)


def test_eof_at_the_prompt_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]

    def eof(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("sys.stdin", FakeTty())
    monkeypatch.setattr(pp.getpass, "getpass", eof)
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path, interactive=True)
