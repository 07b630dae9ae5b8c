"""The client's configuration: read once, from the environment and the command line.

``ClientConfig.from_env(environ, args)`` is the one place where the client
package reads ``os.environ`` (``tests/test_architecture.py`` holds every other
module to that); the programs' mains (``cli.main``, ``worker.main.main``) call
it first and pass the frozen result, or the fields of it a part needs, down.
Nothing below them looks at the environment, so a test or another program
can run any part with a configuration of its own.

The variables (README, "Environment variables"):

- ``KOMANDOR_HOME``: the profile directory when ``--home`` is not given;
- ``KOMANDOR_PASSPHRASE``: the passphrase of the profile's secrets (empty: unset);
- ``KOMANDOR_SERVER``: the server address the sign-in dialog starts with;
- ``KOMANDOR_LANG``: the window's language when ``--lang`` is not given;
- ``KOMANDOR_CRASH_AT``: the crash hook of the reliability tests (``sync/crashpoints.py``);
- ``DISPLAY``, ``QT_QPA_PLATFORM``: only to tell whether ``--screenshot`` has a screen.

The emulator is a program of its own with its own configuration
(``emulator/config.py``, ``KOMANDOR_EMULATOR_CONFIG``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

HOME_VAR = "KOMANDOR_HOME"
PASSPHRASE_VAR = "KOMANDOR_PASSPHRASE"
SERVER_VAR = "KOMANDOR_SERVER"
LANG_VAR = "KOMANDOR_LANG"
CRASH_VAR = "KOMANDOR_CRASH_AT"
POOL_MIN_VAR = "KOMANDOR_POOL_MIN"

SYNC_INTERVAL_MS = 30_000  # the window's background sync period
DEMO_SYNC_INTERVAL_MS = 4_000  # the demo's simulated contacts act every few seconds


def resolve_language(cli_lang: str | None, env_lang: str | None) -> str:
    """``--lang`` wins, then ``$KOMANDOR_LANG``, else Russian; unknown values mean Russian."""
    for value in (cli_lang, env_lang):
        if value:
            return "en" if value.strip().lower().startswith("en") else "ru"
    return "ru"


def default_home(environ: Mapping[str, str]) -> Path:
    """``$KOMANDOR_HOME``, else the platform's user data directory (CLI.md)."""
    env = environ.get(HOME_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("komandor-desktop", appauthor=False))


@dataclass(frozen=True)
class ClientConfig:
    """Everything the environment and the global options decide, for one run.

    Attributes:
        home: the profile directory (``--home``, ``$KOMANDOR_HOME``, platformdirs).
        lang: the window's language, "ru" or "en" (``--lang``, ``$KOMANDOR_LANG``, "ru").
        passphrase: ``$KOMANDOR_PASSPHRASE`` when set and not empty (not in ``repr``).
        server: ``$KOMANDOR_SERVER``, the sign-in dialog's first server address ("": none).
        demo: ``--demo``: the window over an embedded emulator.
        crypto: ``--crypto``, the demo world's crypto profile.
        screenshot: ``--screenshot FILE``: render the demo's window and exit.
        sync_interval_ms: the window's background sync period (shorter in the demo).
        crash_at: ``$KOMANDOR_CRASH_AT``, the spec ``crashpoints.arm`` takes (None: off).
        pool_min: ``$KOMANDOR_POOL_MIN``, from how many keys the sync worker's jobs go
            to the crypto pool (``--self-test`` sets 1 to prove a frozen pool starts);
            None (unset, or not a positive integer): the engine's default.
        qt_platform: a Qt platform plugin to ask for ("offscreen" for a screenshot
            without a screen), else None: Qt's own choice.
    """

    home: Path
    lang: str = "ru"
    passphrase: str | None = field(default=None, repr=False)
    server: str = ""
    demo: bool = False
    crypto: str = "v1"
    screenshot: Path | None = None
    sync_interval_ms: int = SYNC_INTERVAL_MS
    crash_at: str | None = None
    qt_platform: str | None = None
    pool_min: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 args: Any = None) -> ClientConfig:
        """The configuration of this run.

        Args:
            environ: the environment (default ``os.environ``).
            args: the parsed global options of ``komandor-desktop`` (``home``,
                ``lang``, ``demo``, ``crypto``, ``screenshot``); None, or any
                of them missing, means not given.
        """
        env = os.environ if environ is None else environ
        home = getattr(args, "home", None)
        demo = bool(getattr(args, "demo", False))
        screenshot = getattr(args, "screenshot", None)
        no_screen = not env.get("DISPLAY") and not env.get("QT_QPA_PLATFORM")
        return cls(
            home=(Path(home) if home else default_home(env)).expanduser(),
            lang=resolve_language(getattr(args, "lang", None), env.get(LANG_VAR)),
            passphrase=env.get(PASSPHRASE_VAR) or None,
            server=env.get(SERVER_VAR, ""),
            demo=demo,
            crypto=getattr(args, "crypto", None) or "v1",
            screenshot=screenshot,
            sync_interval_ms=DEMO_SYNC_INTERVAL_MS if demo else SYNC_INTERVAL_MS,
            crash_at=env.get(CRASH_VAR) or None,
            pool_min=_positive_int(env.get(POOL_MIN_VAR)),
            qt_platform="offscreen" if screenshot is not None and no_screen else None,
        )


def _positive_int(text: str | None) -> int | None:
    """A positive integer from the environment; None when unset or not one."""
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    return value if value >= 1 else None
