"""One sync pass in the contract's words: the engine's events and outcome as messages.

``PassRunner`` is the single place where the engine's ``SyncEvent``s and its
exceptions become contract messages. The worker process uses it to answer
``SyncNow``; ``InProcessWorker`` uses it to run the engine on the caller's
loop (tests and benchmarks that drive the window over an engine they hold),
so both report a pass in exactly the same messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from .. import errors
from ..sync.events import EventKind, SyncEvent
from .contract import (
    ChatsChanged,
    Failed,
    Finished,
    Message,
    Offline,
    Progress,
    Retrying,
    SignedOut,
)

log = logging.getLogger(__name__)

Emit = Callable[[Message], None]


def _now_ms() -> int:
    return int(time.time() * 1000)


def outcome_of(exc: BaseException) -> Message:
    """The outcome message for an exception that ended a pass."""
    if isinstance(exc, errors.Unauthorized | errors.IdentityError):
        return SignedOut(str(exc))
    if isinstance(exc, errors.TransportError):
        return Offline(str(exc))
    if isinstance(exc, errors.KomandorError):
        return Failed(str(exc))
    return Failed(f"{type(exc).__name__}: {exc}")


def event_of(event: SyncEvent) -> Message | None:
    """The contract message for an engine event during a pass (None: not told).

    The engine's own outcome events (done, error, offline, signed out) are
    not passed on: the outcome is reported once, from the pass's result.
    """
    if event.kind is EventKind.PROGRESS:
        return Progress(event.done, event.total)
    if event.kind is EventKind.RETRY:
        return Retrying(event.message, event.delay)
    if event.kind is EventKind.REFRESHED:
        return ChatsChanged(frozenset(event.changed))
    return None


class PassRunner:
    """Runs ``engine.sync`` and reports it: events through ``emit``, the outcome returned.

    Args:
        engine: a ``sync.SyncEngine`` (its ``listener`` is taken over).
        emit: receives ``Progress``, ``Retrying`` and ``ChatsChanged`` as they happen.
        clock_ms: "now" for ``Finished.at_ms``.
    """

    def __init__(self, engine: Any, emit: Emit, *,
                 clock_ms: Callable[[], int] = _now_ms) -> None:
        self.engine = engine
        self.emit = emit
        self._clock_ms = clock_ms
        engine.listener = self._on_engine_event

    def _on_engine_event(self, event: SyncEvent) -> None:
        message = event_of(event)
        if message is not None:
            self.emit(message)

    async def run(self, phones: tuple[str, ...] = ()) -> Message:
        """One pass; its outcome (``Finished``/``Offline``/``SignedOut``/``Failed``)."""
        try:
            report = await self.engine.sync(phones=phones)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every outcome is a message; the worker must survive
            if not isinstance(exc, errors.KomandorError):
                log.exception("sync pass failed")
            return outcome_of(exc)
        return Finished(self._clock_ms(), report.to_json())


class InProcessWorker:
    """The engine on the caller's loop, behind the same interface as the worker process.

    Args:
        engine: the ``SyncEngine`` to run.
    """

    def __init__(self, engine: Any) -> None:
        self.on_event: Emit | None = None
        self._runner = PassRunner(engine, self._emit)

    def _emit(self, message: Message) -> None:
        if self.on_event is not None:
            self.on_event(message)

    async def sync(self, phones: tuple[str, ...] = ()) -> Message:
        return await self._runner.run(phones)

    async def aclose(self) -> None:
        """Nothing of its own to stop: the engine belongs to the caller's session."""
