"""ClientConfig: the environment and the global options, read in one place (config.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from komandor_desktop.cli import build_parser
from komandor_desktop.config import (
    DEMO_SYNC_INTERVAL_MS,
    SYNC_INTERVAL_MS,
    ClientConfig,
    resolve_language,
)


def config(argv: list[str], **environ: str) -> ClientConfig:
    return ClientConfig.from_env(environ, build_parser().parse_args(argv))


def test_nothing_set_gives_the_defaults() -> None:
    got = config([])
    assert got.home == Path(platformdirs.user_data_dir("komandor-desktop", appauthor=False))
    assert (got.lang, got.passphrase, got.server, got.crash_at) == ("ru", None, "", None)
    assert (got.demo, got.crypto, got.screenshot) == (False, "v1", None)
    assert got.sync_interval_ms == SYNC_INTERVAL_MS == 30_000
    assert got.qt_platform is None


def test_home_is_the_option_then_the_environment(tmp_path: Path) -> None:
    assert config([], KOMANDOR_HOME=str(tmp_path / "env")).home == tmp_path / "env"
    assert config(["--home", str(tmp_path / "opt")],
                  KOMANDOR_HOME=str(tmp_path / "env")).home == tmp_path / "opt"
    assert config([], KOMANDOR_HOME="~/k").home == Path.home() / "k"


def test_language_is_the_option_then_the_environment_else_russian() -> None:
    assert config([], KOMANDOR_LANG="en").lang == "en"
    assert config(["--lang", "ru"], KOMANDOR_LANG="en").lang == "ru"
    assert resolve_language(None, None) == "ru"
    assert resolve_language("en_US", None) == "en"
    assert resolve_language(None, "klingon") == "ru"


def test_the_environment_gives_passphrase_server_and_crash_hook() -> None:
    got = config([], KOMANDOR_PASSPHRASE="secret", KOMANDOR_SERVER="http://127.0.0.1:1",
                 KOMANDOR_CRASH_AT="posted:1")
    assert (got.passphrase, got.server, got.crash_at) == ("secret", "http://127.0.0.1:1",
                                                          "posted:1")
    assert "secret" not in repr(got)
    empty = config([], KOMANDOR_PASSPHRASE="", KOMANDOR_CRASH_AT="")
    assert (empty.passphrase, empty.crash_at) == (None, None)


def test_the_demo_syncs_more_often() -> None:
    got = config(["--demo", "--crypto", "gost"])
    assert (got.demo, got.crypto, got.sync_interval_ms) == (True, "gost", DEMO_SYNC_INTERVAL_MS)


@pytest.mark.parametrize(("environ", "platform"), [
    ({}, "offscreen"), ({"DISPLAY": ":0"}, None), ({"QT_QPA_PLATFORM": "xcb"}, None)])
def test_a_screenshot_without_a_screen_asks_for_offscreen(
        tmp_path: Path, environ: dict[str, str], platform: str | None) -> None:
    got = config(["--demo", "--screenshot", str(tmp_path / "s.png")], **environ)
    assert got.screenshot == tmp_path / "s.png"
    assert got.qt_platform == platform


def test_it_is_frozen_and_needs_no_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMANDOR_LANG", "en")
    got = ClientConfig.from_env(args=argparse.Namespace())  # os.environ by default
    assert got.lang == "en"
    with pytest.raises(AttributeError):
        got.lang = "ru"  # type: ignore[misc]


def test_tune_process_collects_freezes_and_bounds_the_switch_interval() -> None:
    # in a fresh interpreter: the settings are process-wide
    code = """
import gc, sys, weakref
from komandor_desktop import runtime
assert gc.get_freeze_count() == 0 and sys.getswitchinterval() == 0.005
class Cycle: pass
gc.disable()  # no automatic collection may find it first
garbage = Cycle(); garbage.me = garbage; alive = weakref.ref(garbage); del garbage
runtime.tune_process()
gc.enable()
assert alive() is None, "garbage was frozen instead of collected"
assert gc.get_freeze_count() > 1000, gc.get_freeze_count()
assert sys.getswitchinterval() == runtime.SWITCH_INTERVAL_S
assert gc.isenabled()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
