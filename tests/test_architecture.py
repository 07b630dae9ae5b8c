"""The layer rules of ARCHITECTURE.md, checked in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = ["domain", "errors", "protocol", "crypto", "store", "api", "identity", "sync",
        "emulator", "views", "texts", "session", "cli", "demorun", "worker",
        "worker.contract", "worker.passes", "worker.main"]


@pytest.mark.parametrize("package", CORE)
def test_no_qt_below_gui(package: str) -> None:
    code = (f"import sys, komandor_desktop.{package}; "
            "bad = sorted(m for m in sys.modules if m.startswith('PySide6')); "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"{package} loads Qt: {done.stdout} {done.stderr}"


@pytest.mark.parametrize("package", ["api", "sync", "store", "gui", "identity", "session",
                                     "worker"])
def test_emulator_does_not_import_client_layers(package: str) -> None:
    code = ("import sys, komandor_desktop.emulator; "
            f"sys.exit(1 if 'komandor_desktop.{package}' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"the emulator imports {package}: {done.stderr}"


def test_the_worker_contract_imports_nothing_heavy() -> None:
    # the window's side and the worker both import it; it is messages and a codec
    code = ("import sys, komandor_desktop.worker.contract; "
            "heavy = [m for m in ('sqlalchemy', 'httpx', 'cryptography', 'pydantic', 'PySide6') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
