"""``--self-test`` (``selftest.py``): passes on a working install, fails with a reason otherwise.

Each run is a real subprocess: an emulator on loopback, the sync worker
process and its spawned crypto pool, an offscreen window.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

TIMEOUT_S = 300


def self_test(prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}\nfrom komandor_desktop.selftest import main\nraise SystemExit(main())\n"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("KOMANDOR_POOL_MIN", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=env)


@pytest.mark.slow
def test_the_self_test_passes_on_this_checkout() -> None:
    done = self_test()
    assert done.returncode == 0, done.stderr
    assert "self-test passed" in done.stdout
    assert "sync in the worker with the crypto pool" in done.stdout
    assert "main window rendered" in done.stdout
    assert "message(s) decrypted" in done.stdout


@pytest.mark.slow
def test_a_worker_that_cannot_start_fails_the_self_test() -> None:
    done = self_test("import komandor_desktop.gui.worker as w\n"
                     "w.worker_command = lambda: ['/nonexistent/komandor-worker']")
    assert done.returncode == 1
    assert "self-test failed" in done.stderr
    assert "did not finish" in done.stderr


@pytest.mark.slow
def test_a_pool_that_was_not_started_fails_the_self_test() -> None:
    # the worker is not told to force its pool on: the small demo then uses none,
    # and the self-test must notice that the pool was not proven
    done = self_test("import komandor_desktop.selftest as s\ns.POOL_ENVIRONMENT = {}")
    assert done.returncode == 1
    assert "started no pool process" in done.stderr
