"""The frozen program's entry point (PyInstaller, ``packaging/komandor-desktop.spec``).

One executable serves three roles, chosen by its first argument:

- ``--sync-worker``: the sync worker process that the window starts
  (``gui.worker.worker_command`` gives this command line when frozen);
- ``--self-test``: ``selftest.run_self_test`` (``cli.py`` has the flag too; here it
  skips the command-line parsing of the window);
- anything else: ``komandor_desktop.cli.main`` (the window and the commands).

``multiprocessing.freeze_support()`` comes first: the crypto pool's spawned
children start this same executable with multiprocessing's own arguments,
and must become pool workers instead of running the program again.
"""

from __future__ import annotations

import multiprocessing
import sys


def main(argv: list[str]) -> int:
    if argv[:1] == ["--sync-worker"]:
        from komandor_desktop.worker.main import main as worker_main

        return worker_main(argv[1:])
    if argv[:1] == ["--self-test"]:
        from komandor_desktop.selftest import main as self_test

        return self_test()
    from komandor_desktop.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main(sys.argv[1:]))
