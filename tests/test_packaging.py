"""The installers (README "Install"): entry points, resources, the lock, the wheel, the .deb.

The fast tests check what is committed. The slow ones run what ``make package``
built: the wheel installed into a fresh venv, and the .deb unpacked into a
scratch folder, each running ``--self-test`` (selftest.py) offscreen. Without
a build (``make package``) the .deb test is skipped and says so.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
APP_ID = "ru.komandor.Desktop"
DIST = ROOT / "dist"
SELF_TEST_TIMEOUT_S = 300


def offscreen_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("KOMANDOR_POOL_MIN", None)
    return {**env, "QT_QPA_PLATFORM": "offscreen", **extra}


def assert_self_test_passed(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, f"stdout: {done.stdout}\nstderr: {done.stderr}"
    assert "self-test passed" in done.stdout
    assert "sync in the worker with the crypto pool" in done.stdout
    assert "main window rendered" in done.stdout


# -- the frozen entry point ----------------------------------------------------------


def test_a_frozen_window_starts_its_worker_through_its_own_executable(monkeypatch) -> None:
    from komandor_desktop.gui import worker

    assert worker.worker_command() == [sys.executable, "-m", "komandor_desktop.worker"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert worker.worker_command() == [sys.executable, "--sync-worker"]


def test_the_entry_point_dispatches_the_worker_and_the_cli() -> None:
    entry = str(ROOT / "packaging" / "entry.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.run([sys.executable, entry, "--sync-worker"], input=b"not json\n",
                            capture_output=True, timeout=60, env=env)
    assert worker.returncode == 2, worker.stderr  # the worker: a malformed first message
    assert b"first message must be Open" in worker.stderr
    cli = subprocess.run([sys.executable, entry, "--version"], capture_output=True, text=True,
                         timeout=60, env=env)
    assert cli.returncode == 0
    assert cli.stdout.startswith("komandor-desktop ")
    text = (ROOT / "packaging" / "entry.py").read_text()
    assert text.index("freeze_support()") < text.index("main(sys.argv[1:])")


# -- resources -------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_icon_comes_in_every_size_the_installers_use() -> None:
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        path = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(path) == (size, size)
    svg = RESOURCES / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert svg.read_bytes() == (ROOT / "komandor_desktop" / "resources" / "icons"
                                / "app.svg").read_bytes()  # rendered from the app's own SVG
    ico = (RESOURCES / "icons" / "komandor-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (RESOURCES / "icons" / "komandor-desktop.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed (apt-get install "
                           "desktop-file-utils)")
def test_the_desktop_file_is_valid() -> None:
    path = RESOURCES / f"{APP_ID}.desktop"
    done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert not done.stdout.strip(), done.stdout
    assert re.search(r"^Icon=ru\.komandor\.Desktop$", path.read_text(), re.M)


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli is not installed (apt-get install appstream)")
def test_the_metainfo_is_valid() -> None:
    done = subprocess.run(["appstreamcli", "validate", "--no-net",
                           str(RESOURCES / f"{APP_ID}.metainfo.xml")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_macos_info_plist_parses_and_names_the_app() -> None:
    with open(ROOT / "packaging" / "macos" / "Info.plist", "rb") as fh:
        info = plistlib.load(fh)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert info["CFBundleIdentifier"] == APP_ID
    assert info["CFBundleShortVersionString"] == version
    assert info["CFBundleExecutable"] == "komandor-desktop"
    assert info["CFBundleIconFile"] == "komandor-desktop.icns"


# -- the lock --------------------------------------------------------------------------


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize(("name", "extras"), [("requirements.lock", ("packaging",)),
                                              ("requirements-runtime.lock", ())])
def test_the_lock_pins_every_dependency_with_hashes(name: str, extras: tuple[str, ...]) -> None:
    lock = (ROOT / "packaging" / name).read_text()
    entries = re.findall(r"^([A-Za-z0-9._-]+)==([^\s;]+)(?: ;[^\\\n]*)?"
                         r"((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", lock, re.M)
    pinned = {normalize(entry[0]) for entry in entries}
    requirement_lines = [line for line in lock.splitlines()
                         if line and not line.startswith((" ", "#"))]
    assert len(entries) == len(requirement_lines)  # every requirement is pinned and hashed
    assert "-e" not in lock.split()  # pip --require-hashes refuses an editable line
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    for requirement in wanted:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match is not None
        assert normalize(match.group()) in pinned, f"{requirement} is not in {name}: make lock"
    if not extras:
        assert "pyinstaller" not in pinned  # the runtime lock has no build tools


# -- what make package built ------------------------------------------------------------


def built(pattern: str) -> Path | None:
    found = sorted(DIST.glob(pattern))
    return found[-1] if found else None


@pytest.mark.slow
def test_the_deb_unpacked_runs_its_self_test(tmp_path: Path) -> None:
    deb = built("komandor-desktop_*.deb")
    if deb is None:
        pytest.skip("no .deb in dist/: run `make package` (about 4 minutes) to test it")
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    opt = root / "opt" / "komandor-desktop"
    for program in ("komandor-desktop", "komandor-emulator"):
        link = root / "usr" / "bin" / program
        assert link.is_symlink()
        assert os.readlink(link) == f"/opt/komandor-desktop/{program}"
        assert os.access(opt / program, os.X_OK)
    share = root / "usr" / "share"
    for path in (f"applications/{APP_ID}.desktop", f"metainfo/{APP_ID}.metainfo.xml",
                 f"icons/hicolor/scalable/apps/{APP_ID}.svg",
                 f"icons/hicolor/256x256/apps/{APP_ID}.png",
                 "doc/komandor-desktop/copyright", "doc/komandor-desktop/changelog.gz",
                 "man/man1/komandor-desktop.1.gz", "lintian/overrides/komandor-desktop"):
        assert (share / path).is_file(), path
    versions = opt / "_internal" / "komandor_desktop" / "store" / "migrations" / "versions"
    assert sorted(versions.glob("*.py")), "the migrations must be files in the bundle"
    assert not list(opt.rglob("*.ts")), "translation sources are not shipped"
    # the packaged program itself, from where it was unpacked: window, worker, pool
    done = subprocess.run([str(opt / "komandor-desktop"), "--self-test"], capture_output=True,
                          text=True, timeout=SELF_TEST_TIMEOUT_S, env=offscreen_env(),
                          cwd=tmp_path)
    assert_self_test_passed(done)
    emulator = subprocess.run([str(opt / "komandor-emulator"), "--help"], capture_output=True,
                              text=True, timeout=60)
    assert emulator.returncode == 0
    assert "--seed" in emulator.stdout


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_runs_its_self_test(tmp_path: Path) -> None:
    wheel = built("komandor_desktop-*-py3-none-any.whl")
    if wheel is None:  # no make package: build one from this checkout
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                        str(tmp_path / "wheel"), str(ROOT)], check=True, timeout=300)
        wheel = next((tmp_path / "wheel").glob("*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    lock = ROOT / "packaging" / "requirements-runtime.lock"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--require-hashes", "--no-deps",
                    "-r", str(lock)], check=True, timeout=600)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, timeout=300)
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    script = env_dir / "bin" / "komandor-desktop"
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    # the installed program, run from elsewhere than the checkout (nothing of it imported)
    command = ([str(script), "--self-test"] if "--self-test" in helped.stdout
               else [str(python), "-m", "komandor_desktop.selftest"])
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path,
                          timeout=SELF_TEST_TIMEOUT_S, env=offscreen_env())
    assert_self_test_passed(done)
    imported = subprocess.run([str(python), "-c", "import komandor_desktop; "
                               "print(komandor_desktop.__file__)"],
                              capture_output=True, text=True, cwd=tmp_path)
    assert imported.stdout.startswith(str(env_dir))
