"""The frozen ``komandor-emulator`` (PyInstaller): the emulator server's command line."""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from komandor_desktop.emulator.cli import main

    raise SystemExit(main(sys.argv[1:]))
