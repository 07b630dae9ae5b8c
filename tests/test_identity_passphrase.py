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


def test_environment_wins(tmp_path: Path, use_keyring: object) -> None:
    memory = use_keyring(MemoryKeyring())  # type: ignore[operator]
    store_passphrase_in_keyring(tmp_path, "from-keyring")
    assert get_passphrase(tmp_path, env_passphrase="from-env", interactive=False) == "from-env"
    assert memory.entries  # the keyring did hold one


def test_keyring_is_next(tmp_path: Path, use_keyring: object) -> None:
    memory = use_keyring(MemoryKeyring())  # type: ignore[operator]
    assert store_passphrase_in_keyring(tmp_path, "from-keyring") is True
    assert get_passphrase(tmp_path, env_passphrase=None, interactive=False) == "from-keyring"
    assert list(memory.entries) == [("komandor-desktop", str(tmp_path.resolve()))]


def test_keyring_entries_are_per_home(tmp_path: Path, use_keyring: object) -> None:
    use_keyring(MemoryKeyring())  # type: ignore[operator]
    store_passphrase_in_keyring(tmp_path / "real", "real-one")
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path / "demo", env_passphrase=None, interactive=False)


def test_empty_env_counts_as_unset(tmp_path: Path, use_keyring: object) -> None:
    use_keyring(MemoryKeyring())  # type: ignore[operator]
    store_passphrase_in_keyring(tmp_path, "from-keyring")
    assert get_passphrase(tmp_path, env_passphrase="", interactive=False) == "from-keyring"


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring])
def test_no_usable_keyring_and_headless_is_unavailable(
    tmp_path: Path, use_keyring: object, backend: type[KeyringBackend]
) -> None:
    use_keyring(backend())  # type: ignore[operator]
    with pytest.raises(PassphraseUnavailable, match="KOMANDOR_PASSPHRASE"):
        get_passphrase(tmp_path, env_passphrase=None, interactive=False)
    assert store_passphrase_in_keyring(tmp_path, "pw") is False
    assert list(tmp_path.iterdir()) == []  # nothing written as a fallback


def test_interactive_without_a_tty_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    monkeypatch.setattr("sys.stdin", io.StringIO("secret\n"))
    monkeypatch.setattr(pp.getpass, "getpass", pytest.fail)
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path, env_passphrase=None, interactive=True)


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
    assert get_passphrase(tmp_path, env_passphrase=None, interactive=True) == "typed"
    assert len(prompts) == 2


def test_prompt_asks_once_for_an_existing_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    (tmp_path / "secrets.bin").write_bytes(b"x")
    prompts = prompt_answers(monkeypatch, "typed")
    assert get_passphrase(tmp_path, env_passphrase=None, interactive=True) == "typed"
    assert len(prompts) == 1


@pytest.mark.parametrize("answers", [("a", "b"), ("",)])
def test_mismatch_or_empty_prompt_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object, answers: tuple[str, ...]
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    prompt_answers(monkeypatch, *answers)
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path, env_passphrase=None, interactive=True)


def test_eof_at_the_prompt_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]

    def eof(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("sys.stdin", FakeTty())
    monkeypatch.setattr(pp.getpass, "getpass", eof)
    with pytest.raises(PassphraseUnavailable):
        get_passphrase(tmp_path, env_passphrase=None, interactive=True)


# -- the passphrase of a headless login (cli.py) ----------------------------------------


def test_a_new_login_takes_a_known_passphrase_first(tmp_path: Path, use_keyring: object) -> None:
    use_keyring(MemoryKeyring())  # type: ignore[operator]
    assert pp.new_profile_passphrase(tmp_path, env_passphrase="from-env") == "from-env"
    store_passphrase_in_keyring(tmp_path, "from-keyring")
    assert pp.new_profile_passphrase(tmp_path, env_passphrase=None) == "from-keyring"


def test_a_new_login_makes_a_passphrase_and_keeps_it_in_the_keyring(
    tmp_path: Path, use_keyring: object
) -> None:
    memory = use_keyring(MemoryKeyring())  # type: ignore[operator]
    made = pp.new_profile_passphrase(tmp_path, env_passphrase=None)
    assert len(made) >= 32
    assert memory.entries == {("komandor-desktop", str(tmp_path.resolve())): made}
    assert pp.new_profile_passphrase(tmp_path, env_passphrase=None) == made  # found next time


def test_a_home_with_secrets_never_gets_a_made_up_passphrase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    memory = use_keyring(MemoryKeyring())  # type: ignore[operator]
    (tmp_path / "secrets.bin").write_bytes(b"x")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal to ask at
    with pytest.raises(PassphraseUnavailable):
        pp.new_profile_passphrase(tmp_path, env_passphrase=None)
    assert not memory.entries


def test_without_a_keyring_a_new_login_asks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object
) -> None:
    use_keyring(fail.Keyring())  # type: ignore[operator]
    prompts = prompt_answers(monkeypatch, "typed", "typed")
    assert pp.new_profile_passphrase(tmp_path, env_passphrase=None) == "typed"
    assert len(prompts) == 2  # a new home: asked twice
