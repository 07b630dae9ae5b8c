"""Where the passphrase of ``secrets.bin`` comes from (CLI.md).

In order: ``$KOMANDOR_PASSPHRASE``, the OS keyring, an interactive prompt.
When none is available the caller gets ``PassphraseUnavailable`` (exit 3).
The environment's value comes in as an argument (``env_passphrase``): it is
read once, by ``config.ClientConfig``, like every other setting.
There is deliberately no plaintext fallback: keyring's headless Linux answer
is ``NoKeyringError``, and writing the passphrase to a file instead would make
the encryption of ``secrets.bin`` pointless.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from pathlib import Path

import keyring
from keyring.errors import KeyringError

from ..config import PASSPHRASE_VAR
from ..errors import PassphraseUnavailable

ENV_VAR = PASSPHRASE_VAR  # named in the messages
KEYRING_SERVICE = "komandor-desktop"

_HOW_TO = (
    f"no passphrase available: set ${ENV_VAR}, store one in the OS keyring "
    f"(service {KEYRING_SERVICE!r}), or run interactively in a terminal"
)


def _keyring_user(home: Path) -> str:
    """One keyring entry per home, so a demo home never reads the real one's."""
    return str(Path(home).expanduser().resolve())


def passphrase_from_keyring(home: Path) -> str | None:
    """The stored passphrase, or None when there is none or no usable keyring."""
    try:
        value = keyring.get_password(KEYRING_SERVICE, _keyring_user(home))
    except KeyringError:  # NoKeyringError on headless Linux, locked collections, ...
        return None
    return value or None


def keyring_available() -> bool:
    """True when an OS keyring answers (the window then offers to remember the passphrase).

    keyring's ``fail`` backend (headless Linux without a Secret Service) and
    backends that raise on a read both count as unavailable.
    """
    try:
        backend = keyring.get_keyring()
        if backend.priority <= 0:  # fail.Keyring: priority 0
            return False
        keyring.get_password(KEYRING_SERVICE, "availability-probe")
    except (KeyringError, RuntimeError):
        return False
    return True


def known_passphrase(home: Path, env_passphrase: str | None) -> str | None:
    """The passphrase there is without asking anyone: ``$KOMANDOR_PASSPHRASE``
    (``env_passphrase``; empty counts as unset), else the keyring's for ``home``."""
    return env_passphrase or passphrase_from_keyring(home)


def store_passphrase_in_keyring(home: Path, passphrase: str) -> bool:
    """Saves the passphrase in the OS keyring; False when there is no usable one."""
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_user(home), passphrase)
    except KeyringError:
        return False
    return True


def get_passphrase(home: Path, *, env_passphrase: str | None, interactive: bool,
                   confirm: bool | None = None) -> str:
    """The passphrase of ``home``'s secrets, from the first source that has one.

    An empty ``$KOMANDOR_PASSPHRASE`` counts as unset (an empty passphrase is
    refused anyway). ``confirm`` asks twice at the prompt; by default it does
    so when ``home`` has no ``secrets.bin`` yet, since a typo there would lock
    the user out of the key made with it.

    Raises:
        PassphraseUnavailable: no source had one (message says how to supply it).
    """
    known = known_passphrase(home, env_passphrase)
    if known is not None:
        return known
    if not (interactive and _stdin_is_tty()):
        raise PassphraseUnavailable(_HOW_TO)
    if confirm is None:
        confirm = not (Path(home) / "secrets.bin").exists()
    return _prompt(home, confirm=confirm)


def new_profile_passphrase(home: Path, *, env_passphrase: str | None) -> str:
    """The passphrase for a headless login: one known already (env, keyring), else a
    fresh random one kept in the keyring, else a prompt; never a plaintext file.

    The random one is only made for a home without ``secrets.bin`` (a home that
    has secrets needs the passphrase they were made with).

    Raises:
        PassphraseUnavailable: none known, no usable keyring and no terminal.
    """
    known = known_passphrase(home, env_passphrase)
    if known is not None:
        return known
    if not (Path(home) / "secrets.bin").exists():
        fresh = secrets.token_urlsafe(32)
        if store_passphrase_in_keyring(home, fresh):
            return fresh
    return get_passphrase(home, env_passphrase=None, interactive=True)


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):  # closed or detached stdin
        return False


def _prompt(home: Path, *, confirm: bool) -> str:
    try:
        first = getpass.getpass(f"Passphrase for {home}: ")
        if not first:
            raise PassphraseUnavailable("an empty passphrase is not allowed")
        if confirm and getpass.getpass("Repeat the passphrase: ") != first:
            raise PassphraseUnavailable("the passphrases do not match")
    except EOFError:  # stdin closed at the prompt
        raise PassphraseUnavailable(_HOW_TO) from None
    return first
