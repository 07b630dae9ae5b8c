"""``komandor-emulator``: the command line of CLI.md.

One worker runs uvicorn in a thread of this process (``EmulatorServer``) and
waits for SIGTERM/SIGINT. ``--workers N`` above 1 hands a socket bound here to
uvicorn's process supervisor, whose workers build the app with
``app_from_env`` from the config this process put into the environment; the
database is bootstrapped here first, so the workers find it ready.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from .asgi import create_asgi_app
from .config import CRYPTO_PROFILES, SEEDS, EmulatorConfig
from .server import EmulatorServer, bind_socket, url_for
from .service import Emulator

READY_LINE = "Komandor emulator listening on {url}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="komandor-emulator",
                                     description="Reference server of the Komandor protocol")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--seed", choices=SEEDS, default="empty")
    parser.add_argument("--code", default="1111", help="the confirmation code of every phone")
    parser.add_argument("--crypto", choices=CRYPTO_PROFILES, default="v1")
    parser.add_argument("--simulate", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--sim-delay", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--token-ttl", type=int, default=3600, metavar="SECONDS")
    parser.add_argument("--auth-limits", action=argparse.BooleanOptionalAction, default=None,
                        help="rate-limit wrong codes, code requests and sign-ins "
                             "(default: on, off with --seed demo)")
    parser.add_argument("--faults", default=None, metavar="SPEC",
                        help="fault injection, e.g. 'seed=1,503@20%%/api/v2/chats' "
                        "(kinds and syntax: komandor_desktop/emulator/faults.py)")
    return parser


def app_from_env() -> FastAPI:
    """The app factory of ``--workers`` processes (config from the environment)."""
    return create_asgi_app(EmulatorConfig.from_env())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    temp_dir = None
    db_url = args.db
    if db_url is None:
        temp_dir = tempfile.mkdtemp(prefix="komandor-emulator-")
        db_url = f"sqlite:///{Path(temp_dir) / 'emulator.db'}"
    try:
        config = EmulatorConfig(
            db_url=db_url, seed=args.seed, code=args.code, crypto=args.crypto,
            simulate=args.simulate, sim_delay=args.sim_delay, token_ttl=args.token_ttl,
            faults=args.faults,
            auth_limits=args.seed != "demo" if args.auth_limits is None else args.auth_limits)
    except ValueError as exc:
        print(f"komandor-emulator: {exc}", file=sys.stderr)
        return 2
    try:
        if args.workers > 1:
            return _serve_workers(config, args.host, args.port, args.workers)
        return _serve_one(config, args.host, args.port)
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


def _announce(url: str) -> None:
    print(READY_LINE.format(url=url), flush=True)


def _serve_one(config: EmulatorConfig, host: str, port: int) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = EmulatorServer(config, host=host, port=port).start()
    except OSError as exc:
        print(f"komandor-emulator: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    try:
        assert server.url is not None
        _announce(server.url)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


def _serve_workers(config: EmulatorConfig, host: str, port: int, workers: int) -> int:
    emulator = Emulator(config)
    emulator.ensure_ready()
    emulator.close()
    config.put_in_env()
    sock = bind_socket(host, port)
    url = url_for(host, sock.getsockname()[1])
    threading.Thread(target=_announce_when_answering, args=(url,), daemon=True).start()
    uvicorn.run("komandor_desktop.emulator.cli:app_from_env", factory=True, workers=workers,
                fd=sock.fileno(), log_level="warning", access_log=False)
    sock.close()
    return 0


def _announce_when_answering(url: str, timeout: float = 60.0) -> None:
    """Print the ready line once a worker answers (any HTTP status will do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/api/v2/chats/", timeout=2.0)
        except httpx.HTTPError:
            time.sleep(0.1)
            continue
        _announce(url)
        return
    print("komandor-emulator: workers did not answer in time", file=sys.stderr)
