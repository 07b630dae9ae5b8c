"""The sync worker process: ``python -m komandor_desktop.worker``.

It reads ``Open`` from standard input, opens the profile's session (store,
HTTP client, engine), says ``Ready``, then runs a pass for each ``SyncNow``
and answers with the contract's events on standard output (``contract.py``).
Logs go to standard error, which the window passes on to its own.

The process is the sync's, so its ``main`` decides how the process runs: it
reads the configuration once (``config.ClientConfig``: the crash hook of the
tests comes from ``$KOMANDOR_CRASH_AT`` in the environment the window gave
it), arms the crash points, and once the session is open tunes the interpreter
for a sync beside its event loop (``runtime.tune_process``).

It ends on ``Stop``, on SIGTERM/SIGINT, and when its standard input closes:
the window that started it is gone (even killed with SIGKILL), and a worker
must never outlive its window. On Linux the kernel also sends it SIGTERM when
its parent dies (``PR_SET_PDEATHSIG``), in case a grandchild kept the pipe open.

Exit codes: 0 stopped; 2 a malformed first message; 3 the profile cannot be
opened (the window does not restart it then).

``$KOMANDOR_POOL_MIN`` (a positive integer; ``config.ClientConfig`` reads it) sets
from how many keys a job goes
to the crypto pool (``sync/workers.py``; default ``POOL_MIN_KEYS``). The
self-test sets it to 1 so that even the small demo's sync runs in the spawned
pool: a frozen build must prove its pool's children start (``selftest.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ..config import ClientConfig
from ..errors import KomandorError
from ..runtime import tune_process
from ..sync import crashpoints
from .contract import (
    COMMANDS,
    MAX_LINE,
    ContractError,
    Failed,
    Message,
    Open,
    Ready,
    Started,
    Stop,
    Stopped,
    SyncNow,
    decode,
    encode,
)
from .passes import PassRunner

log = logging.getLogger("komandor_desktop.worker")

EXIT_STOPPED, EXIT_BAD_MESSAGE, EXIT_NO_PROFILE = 0, 2, 3
def _with_pool_min(session: Any, pool_min: int) -> None:
    """Give ``session`` an engine whose crypto pool starts from ``pool_min`` keys.

    ``Session`` builds its engine with the default threshold and takes no
    option for it, so the engine (which holds no state yet: nothing ran) is
    replaced by one over the same client, store and profile.
    """
    from ..sync import SyncEngine

    session.engine.close()
    session.engine = SyncEngine(session.client, session.store, session.profile,
                                pool_min=pool_min)


def _die_with_parent() -> None:
    """Linux: SIGTERM to this process when the process that started it dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class Worker:
    """Serves one window over a pair of byte streams (standard input and output)."""

    def __init__(self, out: BinaryIO, *, pool_min: int | None = None) -> None:
        self._out = out
        self._pool_min = pool_min  # ClientConfig.pool_min: the crypto pool's threshold
        self._queue: asyncio.Queue[tuple[str, ...]] = asyncio.Queue()
        self._stop = asyncio.Event()

    def emit(self, message: Message) -> None:
        self._out.write(encode(message))
        self._out.flush()

    def stop(self) -> None:
        self._stop.set()

    async def serve(self, reader: asyncio.StreamReader) -> int:
        try:
            first = decode(await reader.readline(), (Open,))
        except ContractError as exc:
            log.error("the first message must be Open: %s", exc)
            return EXIT_BAD_MESSAGE
        assert isinstance(first, Open)
        from ..session import Session  # the heavy imports after the pipe is up

        try:
            session = await asyncio.to_thread(Session.open, Path(first.home), first.passphrase)
        except KomandorError as exc:
            self.emit(Failed(str(exc)))
            return EXIT_NO_PROFILE
        if self._pool_min is not None:
            _with_pool_min(session, self._pool_min)
        tune_process()  # the long-lived objects exist now: imports done, session open
        runner = PassRunner(session.engine, self.emit)
        self.emit(Ready(os.getpid()))
        passes = asyncio.ensure_future(self._passes(runner))
        commands = asyncio.ensure_future(self._commands(reader))
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({commands, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (passes, commands, stopping):
                task.cancel()
            await asyncio.gather(passes, commands, stopping, return_exceptions=True)
            await session.aclose()
        self.emit(Stopped())
        return EXIT_STOPPED

    async def _commands(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():  # b"": the window is gone
            try:
                command = decode(line, COMMANDS)
            except ContractError as exc:
                log.warning("ignored a message: %s", exc)
                continue
            if isinstance(command, Stop):
                return
            if isinstance(command, SyncNow):
                self._queue.put_nowait(command.phones)

    async def _passes(self, runner: PassRunner) -> None:
        while True:
            phones = await self._queue.get()
            while not self._queue.empty():  # requests made meanwhile: one pass for all
                phones += self._queue.get_nowait()
            self.emit(Started())
            self.emit(await runner.run(tuple(dict.fromkeys(phones))))


async def _serve(worker: Worker) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    reader = asyncio.StreamReader(limit=MAX_LINE)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return await worker.serve(reader)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m komandor_desktop.worker",
                                     description="Komandor Desktop's sync worker (for the window).")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    levels = {0: logging.WARNING, 1: logging.INFO}
    logging.basicConfig(level=levels.get(args.verbose, logging.DEBUG), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    config = ClientConfig.from_env()
    crashpoints.arm(config.crash_at)
    _die_with_parent()
    return asyncio.run(_serve(Worker(sys.stdout.buffer, pool_min=config.pool_min)))
