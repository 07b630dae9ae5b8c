"""The layer rules of ARCHITECTURE.md, checked in fresh interpreters."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = ["domain", "errors", "protocol", "crypto", "store", "api", "identity", "sync",
        "emulator", "views", "texts", "session", "cli", "demorun", "worker",
        "worker.contract", "worker.passes", "worker.main", "config", "runtime", "bulk",
        "window"]


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


# -- the environment is read in one place -------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "komandor_desktop"
#: the one module of each program that reads the environment: the client's, and
#: the emulator's own (it hands its config to its uvicorn workers that way)
CONFIG_MODULES = {"config.py", "emulator/config.py"}


def environment_reads(source: str) -> list[int]:
    """Lines of ``source`` that touch ``os.environ``/``os.getenv``/``os.putenv``, however
    spelt (``from os import environ``, ``import os as o``)."""
    tree = ast.parse(source)
    os_names, direct = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            direct |= {a.asname or a.name for a in node.names
                       if a.name in ("environ", "getenv", "putenv", "environb")}
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in os_names
                and node.attr in ("environ", "getenv", "putenv", "environb")):
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id in direct:
            lines.append(node.lineno)
    return sorted(lines)


def test_the_environment_scan_sees_every_spelling() -> None:
    assert environment_reads("import os\nos.environ.get('X')\n") == [2]
    assert environment_reads("import os as o\nx = o.getenv('X')\n") == [2]
    assert environment_reads("from os import environ as e\ne['X']\n") == [2]
    assert environment_reads("import os\nos.path.join('a')\nenviron = {}\n") == []


def test_only_the_config_modules_read_the_environment() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        lines = environment_reads(path.read_text(encoding="utf-8"))
        if lines and name not in CONFIG_MODULES:
            offenders[name] = lines
    assert offenders == {}, f"read the environment outside config.py: {offenders}"
    for name in CONFIG_MODULES:  # the exceptions are real, not stale
        assert environment_reads((PACKAGE / name).read_text(encoding="utf-8")), name
