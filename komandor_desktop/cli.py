"""``komandor-desktop``: the window and the headless commands (CLI.md).

A composition root: it reads the configuration once (``config.ClientConfig``
from the environment and the global options), arms the crash hook from it,
wires identity, store, api and sync for the headless commands, and hands the
window over to ``window.py``. With ``--json`` standard output carries exactly
one JSON document; logs go to standard error.

Exit codes: 0 done; 1 done, but some chats have errors; 2 bad input (nothing
was sent); 3 sign-in needed or no passphrase; 4 server unreachable after
retries; 5 the server's answer was malformed or refused the request (an
extension of CLI.md: nothing was stored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import ClientConfig
from .errors import (
    ApiError,
    IdentityError,
    InputError,
    InvalidPhone,
    KomandorError,
    ProtocolError,
    TransportError,
    Unauthorized,
)
from .identity import Profile, get_passphrase, login
from .identity.passphrase import new_profile_passphrase
from .protocol import normalize_phones
from .runtime import tune_process
from .session import Session
from .sync import crashpoints
from .views import ChatView

log = logging.getLogger("komandor_desktop")

EXIT_OK, EXIT_CHAT_ERRORS, EXIT_BAD_INPUT, EXIT_SIGN_IN, EXIT_OFFLINE, EXIT_SERVER = range(6)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="komandor-desktop",
                                description="Komandor Desktop: chats and key sync.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--home", type=Path, help="profile directory (default $KOMANDOR_HOME "
                   "or the platform's user data directory)")
    p.add_argument("--lang", choices=("ru", "en"), help="language of the window")
    p.add_argument("--demo", action="store_true",
                   help="run the window on an embedded emulator with demo data")
    p.add_argument("--crypto", choices=("v1", "gost"), default="v1",
                   help="crypto profile of the demo world")
    p.add_argument("--screenshot", type=Path, metavar="FILE",
                   help="with --demo: render the window after the first sync to FILE and exit")
    p.add_argument("--self-test", action="store_true",
                   help="offscreen: start the embedded emulator, sync through the sync worker "
                        "and its crypto pool, render the window, exit 0 (else 1 with the reason)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log more to standard error (-v: what sync does, -vv: debug)")
    sub = p.add_subparsers(dest="command")
    lg = sub.add_parser("login", help="activate this home with a phone and a code")
    lg.add_argument("--server", required=True, help="server URL (https, or http on loopback)")
    lg.add_argument("--phone", required=True)
    lg.add_argument("--code", required=True)
    lg.add_argument("--name")
    lg.add_argument("--key", choices=("p256", "p384", "rsa3072", "gost2012-256"),
                    help="key pair kind (default: the stored one, else p256)")
    lg.add_argument("--json", action="store_true")
    for name, help_text in (("sync", "synchronise chat keys until nothing is left to do"),
                            ("chats", "list the chats of the local store")):
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("--json", action="store_true")
    ac = sub.add_parser("add-contacts", help="add contacts by phone and refresh")
    ac.add_argument("phones", nargs="+", metavar="PHONE")
    ac.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``komandor-desktop`` and ``python -m komandor_desktop``."""
    args = build_parser().parse_args(argv)
    levels = {0: logging.WARNING, 1: logging.INFO}
    logging.basicConfig(level=levels.get(args.verbose, logging.DEBUG),
                        stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    config = ClientConfig.from_env(args=args)
    crashpoints.arm(config.crash_at)
    if args.self_test:
        from .selftest import run_self_test  # Qt and the emulator only here

        return run_self_test()
    if args.command is None:
        from .window import run_window  # Qt only when the window is asked for

        return run_window(config)
    handler = {"login": cmd_login, "sync": cmd_sync, "chats": cmd_chats,
               "add-contacts": cmd_add_contacts}[args.command]
    try:
        return asyncio.run(handler(config, args))
    except InputError as exc:
        return _fail(EXIT_BAD_INPUT, exc, args)
    except (IdentityError, Unauthorized) as exc:
        return _fail(EXIT_SIGN_IN, exc, args)
    except TransportError as exc:
        return _fail(EXIT_OFFLINE, exc, args)
    except (ProtocolError, ApiError) as exc:
        return _fail(EXIT_SERVER, exc, args)
    except KomandorError as exc:
        return _fail(EXIT_CHAT_ERRORS, exc, args)


#: The ``error.code`` of a failed ``--json`` command, by exit code; a server's
#: own error code (``ApiError.code``) is passed on instead where there is one.
ERROR_CODES = {EXIT_BAD_INPUT: "bad_input", EXIT_SIGN_IN: "sign_in_needed",
               EXIT_OFFLINE: "server_unreachable", EXIT_SERVER: "server_error",
               EXIT_CHAT_ERRORS: "failed"}


def _fail(code: int, exc: Exception, args: argparse.Namespace) -> int:
    """The message on standard error; with ``--json`` also the error object on
    standard output (CLI.md), so a script reading stdout always gets JSON."""
    print(f"komandor-desktop: {exc}", file=sys.stderr)
    if getattr(args, "json", False):
        error_code = getattr(exc, "code", None) if isinstance(exc, ApiError) else None
        print(json.dumps({"error": {"code": error_code or ERROR_CODES[code],
                                    "message": str(exc)}}, ensure_ascii=False))
    return code


def _emit(args: argparse.Namespace, doc: Any, text: str) -> None:
    print(json.dumps(doc, ensure_ascii=False) if args.json else text)


async def cmd_login(config: ClientConfig, args: argparse.Namespace) -> int:
    passphrase = new_profile_passphrase(config.home, env_passphrase=config.passphrase)
    profile = await login(config.home, args.server, args.phone, args.code, passphrase=passphrase,
                          name=args.name, key_kind=args.key)
    ident = profile.identity
    _emit(args, {"pid": ident.pid, "cid": ident.cid, "phone": ident.phone,
                 "server": ident.server_url},
          f"Signed in as {ident.phone} (profile {ident.pid}, certificate {ident.cid}).")
    return EXIT_OK


def _open(config: ClientConfig) -> Session:
    home = config.home
    if not Profile.exists(home):
        raise IdentityError(f"no profile in {home}: run `komandor-desktop login` first")
    return Session.open(home, get_passphrase(home, env_passphrase=config.passphrase,
                                             interactive=True))


async def _sync(config: ClientConfig, args: argparse.Namespace,
                phones: Sequence[str] = ()) -> int:
    session = _open(config)
    tune_process()  # this process is the sync's now: see runtime.py
    try:
        report = await session.engine.sync(phones=phones)
    finally:
        await session.aclose()
    doc = report.to_json()
    lines = [f"registered {report.registered} key(s) in {report.rounds} round(s); "
             + ", ".join(f"{k}: {v}" for k, v in report.status.items())]
    lines += [f"  {e['chatId']}: {e['error']}" for e in report.errors]
    _emit(args, doc, "\n".join(lines))
    return EXIT_CHAT_ERRORS if report.errors else EXIT_OK


async def cmd_sync(config: ClientConfig, args: argparse.Namespace) -> int:
    return await _sync(config, args)


async def cmd_add_contacts(config: ClientConfig, args: argparse.Namespace) -> int:
    try:
        phones = normalize_phones(args.phones)
    except InvalidPhone as exc:
        raise InputError(f"nothing was sent: {exc}") from exc
    return await _sync(config, args, phones)


def view_to_json(view: ChatView) -> dict[str, Any]:
    """One chat of ``chats --json`` (CLI.md)."""
    return {
        "id": view.id, "status": view.status.value, "enabled": view.enabled,
        "reason": view.reason.value if view.reason else None,
        "reasonText": view.tooltip or None, "name": view.name, "company": view.company,
        "companyId": view.company_id, "chatType": int(view.chat_type),
        "favorites": view.favorites, "system": view.system, "unread": view.unread,
        "lastMessage": view.last_message, "lastMessageTime": view.last_message_time,
        "section": view.section.key,
    }


async def cmd_chats(config: ClientConfig, args: argparse.Namespace) -> int:
    session = _open(config)
    try:
        # the listing's language is --lang's only: $KOMANDOR_LANG is the window's (README)
        views = session.views(lang=args.lang or "ru")
    finally:
        await session.aclose()
    text = "\n".join(
        f"{'  ' if v.enabled else '🔒'} {v.status.value:<4} {v.name:<30} "
        f"{v.last_message or v.reason_text}" for v in views)
    _emit(args, [view_to_json(v) for v in views], text or "(no chats)")
    return EXIT_OK
