"""The key-sync engine: refresh -> plan -> make keys -> outbox -> register.

One ``sync()`` runs rounds (matrix-nio's ``sync_forever`` shape: each round
decides from the state it just fetched) until a round has nothing to send or
the round limit is reached. After every registration the chats are fetched
again (section 6.1), so the store always ends on the server's word.

The engine changes nothing process-wide: how the interpreter is tuned for a
sync beside an event loop (switch interval, frozen heap) is the decision of the
program that owns the process (``runtime.tune_process``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from ..domain import Chat, ChatState, ChatStatus, OutboxEntry, Reason
from ..errors import TransportError, Unauthorized
from .crashpoints import crashpoint
from .events import EventKind, SyncEvent, SyncReport
from .keyring import KeyRing
from .planner import Action, CreateKey, ExportKey, Skip, own_certificate, plan
from .sender import Sender
from .states import ERROR_REASONS, final_states
from .workers import POOL_MIN_KEYS, CryptoWorkers

Listener = Callable[[SyncEvent], None]
log = logging.getLogger(__name__)
SLICE_CHATS = 250  # chats per worker-thread call of the planner and the final states
PROGRESS_EVERY_S = 0.1  # at most one unfinished PROGRESS event per this (the last one always)
T = TypeVar("T")
R = TypeVar("R")


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _sliced(func: Callable[[Sequence[T]], list[R]], items: Sequence[T]) -> list[R]:
    """``func`` over ``items`` in a worker thread, ``SLICE_CHATS`` at a time.

    The thread holds the GIL whenever it runs Python; between two slices it
    does not run at all until the event loop has taken the next step, so work
    the loop is doing meanwhile (the window showing the chats just stored) has
    the GIL to itself instead of sharing it for the whole pass.
    """
    out: list[R] = []
    for start in range(0, len(items), SLICE_CHATS):
        out += await asyncio.to_thread(func, items[start:start + SLICE_CHATS])
    return out


class SyncEngine:
    """Runs section 6.1 for one signed-in profile.

    Args:
        client: an ``api.ApiClient`` signed in as the profile.
        store: the profile's ``store.Store``.
        profile: the ``identity.Profile`` (identity, private key, trust anchor).
        listener: called with every ``SyncEvent`` (the GUI bridge re-emits them).
        batch_size: key entries per registration request (at most 1,000).
        pool_min: from how many keys a job goes to the worker processes (``workers.py``).
    """

    def __init__(self, client: Any, store: Any, profile: Any, *,
                 listener: Listener | None = None, batch_size: int = 1000,
                 pool_min: int = POOL_MIN_KEYS) -> None:
        self.client = client
        self.store = store
        self.identity = profile.identity
        self.trust_anchor = profile.trust_anchor
        self.own = own_certificate(self.identity)
        self.keyring = KeyRing(pid=self.identity.pid, cid=self.identity.cid,
                               private_key=profile.private_key, own_certificates=[self.own],
                               trust_anchor=self.trust_anchor)
        self.listener = listener
        self._workers = CryptoWorkers(self.keyring, profile.private_key, pool_min=pool_min)
        self._pool_min = pool_min
        self._sender = Sender(client, store, self.keyring, self.identity, self._workers,
                              self._emit, batch_size=min(batch_size, 1000))
        self._lock = asyncio.Lock()
        self._progress_at = -PROGRESS_EVERY_S

    def close(self) -> None:
        """Stop the crypto worker processes, if any were started (idempotent)."""
        self._workers.close()

    def _emit(self, event: SyncEvent) -> None:
        """To the listener; ``PROGRESS`` at most every ``PROGRESS_EVERY_S`` until done
        (each one redraws the window's status bar: a round of 10,000 keys has 50)."""
        if event.kind is EventKind.PROGRESS and event.done < event.total:
            now = time.monotonic()
            if now - self._progress_at < PROGRESS_EVERY_S:
                return
            self._progress_at = now
        if self.listener is not None:
            self.listener(event)

    def on_retry(self, message: str, delay: float) -> None:
        """For ``ApiClient(on_retry=...)``: say what went wrong while retrying."""
        self._emit(SyncEvent(EventKind.RETRY, message=message, delay=delay))

    async def sync(self, max_rounds: int = 10, phones: Sequence[str] = ()) -> SyncReport:
        """Run rounds until nothing is left to do; one sync at a time.

        Raises:
            TransportError: the server could not be reached after retries.
            Unauthorized: the token and the certificate sign-in both failed.
            ProtocolError: the chats response was malformed (store unchanged).
        """
        async with self._lock:
            self._emit(SyncEvent(EventKind.STARTED))
            try:
                report = await self._run(max_rounds, tuple(phones))
            except TransportError as exc:
                self._emit(SyncEvent(EventKind.OFFLINE, message=str(exc)))
                raise
            except Unauthorized as exc:
                self._emit(SyncEvent(EventKind.SIGNED_OUT, message=str(exc)))
                raise
            except Exception as exc:
                self._emit(SyncEvent(EventKind.ERROR, message=str(exc)))
                raise
            self._emit(SyncEvent(EventKind.DONE, report=report))
            return report

    async def _run(self, max_rounds: int, phones: tuple[str, ...]) -> SyncReport:
        registered = rounds = 0
        refused: dict[str, str] = {}
        chats, actions = await self._refresh(phones, refused)
        while rounds < max_rounds:
            rounds += 1
            sent = await self._sender.run(actions, refused)
            if sent.empty:
                break
            log.info("round %d: sent %d key export(s) for %d chat(s); %d new, conflict: %s",
                     rounds, sent.entries, sent.chats, sent.registered, sent.conflicted)
            registered += sent.registered
            chats, actions = await self._refresh((), refused)
            if sent.registered == 0 and not sent.conflicted:
                break
        # key checks and imports (crypto per chat) off the event loop that drives the window
        judge = partial(self._states, refused=refused, now_ms=_now_ms())
        states = {state.chat_id: state for state in await _sliced(judge, actions)}
        await asyncio.to_thread(self.store.set_states, states.values())
        report = self._report(registered, rounds, chats, states)
        log.info("sync done: %d key(s) registered in %d round(s); %s; %d chat(s) with errors",
                 registered, rounds, report.status, len(report.errors))
        for error in report.errors:
            log.info("chat %s: %s", error["chatId"], error["error"])
        return report

    async def refresh(self, phones: Sequence[str] = ()) -> list[Chat]:
        """Fetch the chats, store them in one transaction, settle the outbox."""
        return (await self._refresh(phones, None))[0]

    async def _refresh(self, phones: Sequence[str], refused: dict[str, str] | None,
                       ) -> tuple[list[Chat], list[Action]]:
        """``refresh``; with ``refused``, the chats are planned while the store writes.

        Planning checks every target certificate (10,000 on a large first sync):
        Python that holds the GIL in turns with whatever else runs. Done before
        the chats are announced (``REFRESHED``), it is over when the window
        shows them instead of slowing that down; it costs the announcement the
        planning time, and the pass nothing (measured with ``bench.gaps``).
        """
        snapshot = await self.client.get_chats(phones, on_listing=self._listing)
        chats = list(snapshot.chats)
        if sum(len(c.certificates) for c in chats if c.status is not ChatStatus.SYNC) >= \
                self._pool_min:
            self._workers.warm()  # a large first sync: start the processes while we store
        # the received keys are checked (in other processes when many) while the store writes
        todo = self.keyring.unchecked(chats)
        meanwhile = asyncio.gather(self._workers.verdicts(todo), self._plan(chats, refused))
        try:
            changed = await asyncio.to_thread(self.store.refresh, snapshot, now_ms=_now_ms())
            verdicts, actions = await meanwhile
        except BaseException:
            meanwhile.cancel()
            raise
        crashpoint("refreshed")  # a test hook (crashpoints.py); nothing when unset
        log.info("refreshed: %d chat(s), %d skipped as invalid, %d changed in the store",
                 len(chats), len(snapshot.errors), len(changed))
        for error in snapshot.errors:
            log.debug("invalid chat %s (#%d): %s", error.chat_id, error.index, error.message)
        await asyncio.to_thread(self._settle_outbox, {c.id: c for c in chats},
                                {e.chat_id for e in snapshot.errors})
        self.keyring.forget({c.id for c in chats})
        for chat, verdict in zip(todo, verdicts, strict=True):
            self.keyring.remember(chat, verdict)
        self._emit(SyncEvent(EventKind.REFRESHED, changed=frozenset(changed)))
        return chats, actions

    def _listing(self, count: int) -> None:
        """As many chats as the pool's threshold in keys will need it (their keys checked,
        or made): its processes start while the listing is validated, not later, when
        they would compete for the CPU with the window showing the new chats."""
        if count >= self._pool_min:
            self._workers.warm()

    def _settle_outbox(self, by_id: dict[str, Chat], invalid: set[str | None]) -> None:
        """Clear outbox entries whose fate is known (PROTOCOL.md §4, the outbox)."""
        settled = []
        for entry in self.store.outbox_all():
            chat = by_id.get(entry.chat_id)
            if entry.chat_id in invalid:
                continue  # the server's copy is unreadable: keep ours, decide later
            if (entry.own_cid != self.identity.cid or chat is None or chat.chat_key is not None
                    or chat.status is not ChatStatus.NEW):
                settled.append(entry.chat_id)
        self.store.outbox_clear_many(settled)  # one transaction, not one per chat

    async def _plan(self, chats: list[Chat], refused: dict[str, str] | None) -> list[Action]:
        """The planner's actions for ``chats``, planned off the loop a slice at a time
        (none without ``refused``: a plain ``refresh``).

        The outbox is read before ``_settle_outbox`` runs: what that clears is
        what ``plan`` ignores (an entry of another cid, or of a chat that is no
        longer new and keyless), so the plan is the same either way.
        """
        if refused is None:
            return []
        outbox = {e.chat_id: e for e in await asyncio.to_thread(self.store.outbox_all)}
        return await _sliced(partial(self._plan_slice, outbox=outbox, refused=refused), chats)

    def _plan_slice(self, chats: Sequence[Chat], *, outbox: dict[str, OutboxEntry],
                    refused: dict[str, str]) -> list[Action]:
        actions = plan(chats, identity=self.identity, trust_anchor=self.trust_anchor,
                       outbox=outbox, own=self.own)
        for action in actions:
            for bad in action.rejected:
                log.info("chat %s: certificate %s of %s refused: %s", action.chat.id,
                         bad.certificate.cid, bad.certificate.pid, bad.reason.value)
        return [Skip(a.chat, Reason.REGISTRATION_REFUSED, refused[a.chat.id])
                if isinstance(a, CreateKey | ExportKey) and a.chat.id in refused else a
                for a in actions]

    def _states(self, actions: Sequence[Action], *, refused: dict[str, str],
                now_ms: int) -> list[ChatState]:
        return list(final_states(actions, self.keyring, refused, now_ms=now_ms).values())

    def _report(self, registered: int, rounds: int, chats: list[Chat],
                states: dict[str, ChatState]) -> SyncReport:
        status = {s.value: 0 for s in ChatStatus}
        for chat in chats:
            status[chat.status.value] += 1
        errors = [{"chatId": s.chat_id,
                   "error": f"{s.reason}: {s.detail}" if s.detail else str(s.reason)}
                  for s in states.values() if s.reason in ERROR_REASONS]
        return SyncReport(registered, rounds, status, errors)

