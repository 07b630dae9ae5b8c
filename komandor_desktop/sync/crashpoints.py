"""A test hook: die at a named point of a sync, to prove that a crash loses nothing.

Off unless a program's ``main`` arms it: ``cli.main`` and the sync worker's
``main`` call ``arm(config.crash_at)``, which ``config.ClientConfig`` reads from
``KOMANDOR_CRASH_AT``; nothing is read at import. Unarmed, ``crashpoint(name)``
is one comparison and ``during(name, aw)`` one ``await``. Never set it outside
tests. Syntax::

    KOMANDOR_CRASH_AT=<point>:<n>[:<ms>]

The process ends with ``os._exit(137)`` (as after SIGKILL: no cleanup, no
flush, no rollback but SQLite's own) at the ``n``-th pass (1-based) of
``point``. The points, in the order a creation passes them:

- ``keys-made``: a chat's new exports are made, the outbox not yet written;
- ``outbox-written``: the outbox transaction of a chat has committed;
- ``post``: during the registration POST: the request is started and the
  process dies ``ms`` milliseconds later (default 0), whether or not the
  server has answered (or even received it) by then;
- ``posted``: the POST succeeded, the chats are not fetched again yet;
- ``refreshed``: the fetched chats are stored, the outbox not yet settled.

A line ``crashpoint <point> pass <n>`` goes to standard error first, so a
test can tell a planned death from a real crash.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable
from typing import TypeVar

from ..config import CRASH_VAR

ENV_VAR = CRASH_VAR  # named in the errors of a bad spec
POINTS = ("keys-made", "outbox-written", "post", "posted", "refreshed")
EXIT_CODE = 137
T = TypeVar("T")

_armed: tuple[str, int, float] | None = None
_passes: Counter[str] = Counter()


def arm(spec: str | None) -> None:
    """Arm (or with None/"" disarm) the hook; raises ValueError on a bad spec."""
    global _armed
    _passes.clear()
    if not spec:
        _armed = None
        return
    parts = spec.split(":")
    if len(parts) not in (2, 3) or parts[0] not in POINTS:
        raise ValueError(f"{ENV_VAR}: expected <point>:<n>[:<ms>] with point in {POINTS}, "
                         f"not {spec!r}")
    try:
        n, ms = int(parts[1]), float(parts[2]) if len(parts) == 3 else 0.0
    except ValueError:
        raise ValueError(f"{ENV_VAR}: bad number in {spec!r}") from None
    if n < 1 or ms < 0:
        raise ValueError(f"{ENV_VAR}: n must be >= 1 and ms >= 0 in {spec!r}")
    _armed = (parts[0], n, ms)


def _due(name: str) -> bool:
    if _armed is None or _armed[0] != name:
        return False
    _passes[name] += 1
    return _passes[name] == _armed[1]


def _die(name: str) -> None:
    os.write(2, f"crashpoint {name} pass {_passes[name]}\n".encode())
    os._exit(EXIT_CODE)


def crashpoint(name: str) -> None:
    """Die here if armed for this pass of ``name``."""
    if _armed is not None and _due(name):
        _die(name)


async def during(name: str, awaitable: Awaitable[T]) -> T:
    """Await ``awaitable``; if armed for this pass, die ``ms`` after starting it."""
    if _armed is None or not _due(name):
        return await awaitable
    task = asyncio.ensure_future(awaitable)
    await asyncio.wait({task}, timeout=_armed[2] / 1000)
    _die(name)
    raise AssertionError("unreachable")  # pragma: no cover

