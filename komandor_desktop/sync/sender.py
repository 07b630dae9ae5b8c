"""The executor half of the engine: make the exports, keep the outbox, register.

One round is a pipeline: the exports are made a chunk of chats at a time (in a
pool of processes for large rounds, ``workers.py``), and a registration request
(whole chats, up to 1,000 entries) is sent as soon as it is full, while the
next chunks are still being made; the request's creations go to the outbox in
one transaction just before it is sent. So the client's crypto overlaps the
server's checks, and a chat's entries are always in the outbox before the
request that carries them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from ..domain import Identity, KeyExport, OutboxEntry
from ..errors import ApiError, BadRequest, Conflict
from .crashpoints import crashpoint, during
from .events import EventKind, SyncEvent
from .keyring import KeyRing
from .planner import Action, CreateKey, ExportKey
from .workers import CryptoWorkers, ExportJob


@dataclass(slots=True)
class Round:
    """What one round sent: chats, entries, newly registered keys, whether a 409 came."""

    chats: int = 0
    entries: int = 0
    registered: int = 0
    conflicted: bool = False

    @property
    def empty(self) -> bool:
        return self.chats == 0


@dataclass(slots=True)
class _Progress:
    total: int  # entries of the round, each counted once made and once sent
    done: int = 0


@dataclass(slots=True)
class _Request:
    """The chats of the registration request being filled, with their entries."""

    by_chat: dict[str, list[KeyExport]] = field(default_factory=dict)
    size: int = 0


class Sender:
    """Prepares and sends one round's key entries.

    Args:
        client: the ``api.ApiClient``.
        store: the ``store.Store`` (outbox).
        keyring: checked, imported received keys.
        identity: the viewer.
        workers: where the exports are made.
        emit: the engine's event sink.
        batch_size: entries per request (at most 1,000, PROTOCOL.md §6).
    """

    def __init__(self, client: Any, store: Any, keyring: KeyRing, identity: Identity,
                 workers: CryptoWorkers, emit: Callable[[SyncEvent], None], *,
                 batch_size: int) -> None:
        self._client = client
        self._store = store
        self._keyring = keyring
        self._identity = identity
        self._workers = workers
        self._emit = emit
        self._batch_size = batch_size

    async def run(self, actions: Sequence[Action], refused: dict[str, str]) -> Round:
        """Make, store and register every export of the round.

        A 409 clears the outbox of the chats it names (re-plan from the fresh
        state). A 403/404/422 marks the chats its ``details`` name as refused
        and sends the rest again; without usable details the whole request's
        chats are refused, so that nothing is retried blindly.
        """
        work = [a for a in actions if isinstance(a, CreateKey | ExportKey)]
        jobs, kept = self._jobs(work)
        by_id = {a.chat.id: a for a in work}
        result = Round()
        progress = _Progress(total=2 * sum(len(a.targets) for a in work))
        async with aclosing(self._workers.exports(jobs)) as chunks:
            await self._pipeline(chunks, by_id, kept, result, refused, progress)
        return result

    async def _pipeline(self, chunks: AsyncIterator[tuple[Sequence[ExportJob],
                                                          list[list[KeyExport]]]],
                        by_id: dict[str, CreateKey | ExportKey],
                        kept: dict[str, dict[str, KeyExport]], result: Round,
                        refused: dict[str, str], progress: _Progress) -> None:
        """Fill requests from the chunks as they are made; send each as soon as it is full."""
        request = _Request()
        async for chunk, made in chunks:
            progress.done += sum(len(by_id[j.chat_id].targets) for j in chunk)
            self._emit(SyncEvent(EventKind.PROGRESS, done=progress.done, total=progress.total))
            for job, fresh in zip(chunk, made, strict=True):
                chat_entries = self._entries(by_id[job.chat_id], kept.get(job.chat_id), fresh)
                if not chat_entries:
                    continue
                if request.size + len(chat_entries) > self._batch_size and request.by_chat:
                    await self._send(request, by_id, result, refused, progress)
                    request = _Request()
                request.by_chat[job.chat_id] = chat_entries
                request.size += len(chat_entries)
        if request.by_chat:
            await self._send(request, by_id, result, refused, progress)

    async def _send(self, request: _Request, by_id: dict[str, CreateKey | ExportKey],
                    result: Round, refused: dict[str, str], progress: _Progress) -> None:
        """The request's creations go to the outbox (one transaction), then it is sent."""
        await asyncio.to_thread(self._store_outbox, [by_id[c] for c in request.by_chat],
                                list(request.by_chat.values()))
        await self._post(request, result, refused, progress)

    def _jobs(self, work: Sequence[CreateKey | ExportKey]
              ) -> tuple[list[ExportJob], dict[str, dict[str, KeyExport]]]:
        """One job per chat, and the outbox entries a retry re-sends as they are."""
        jobs: list[ExportJob] = []
        kept: dict[str, dict[str, KeyExport]] = {}
        for action in work:
            chat_id = action.chat.id
            if isinstance(action, ExportKey):
                key = self._keyring.key(action.chat)
                jobs.append(ExportJob(chat_id, action.targets if key else (), key=key))
            elif action.outbox is not None:
                old = kept[chat_id] = {e.cid: e for e in action.outbox.exports}
                jobs.append(ExportJob(chat_id, tuple(t for t in action.targets
                                                     if t.cid not in old),
                                      own_export=action.outbox.own_export))
            else:
                jobs.append(ExportJob(chat_id, action.targets))
        return jobs, kept

    @staticmethod
    def _entries(action: CreateKey | ExportKey, kept: dict[str, KeyExport] | None,
                 fresh: list[KeyExport]) -> list[KeyExport]:
        """The chat's entries in target order: re-sent outbox entries, then new ones."""
        if kept is None:
            return fresh
        made = {e.cid: e for e in fresh}
        return [kept.get(t.cid) or made[t.cid] for t in action.targets]

    def _store_outbox(self, actions: Sequence[CreateKey | ExportKey],
                      entries: Sequence[list[KeyExport]]) -> None:
        """The creations of one request go to the outbox in one transaction (one per
        chat would cost more than the crypto), before it is sent."""
        pending: list[OutboxEntry] = []
        stamp = int(time.time() * 1000)
        for action, chat_entries in zip(actions, entries, strict=True):
            if not isinstance(action, CreateKey):
                continue
            crashpoint("keys-made")
            own = next(e for e in chat_entries if e.cid == self._identity.cid)
            pending.append(OutboxEntry(action.chat.id, self._identity.cid, own.key,
                                       tuple(chat_entries), stamp))
        self._store.outbox_put_many(pending)
        for _ in pending:
            crashpoint("outbox-written")

    async def _post(self, request: _Request, result: Round, refused: dict[str, str],
                    progress: _Progress) -> None:
        """Send one request; on 403/404/422, again without the chats it names."""
        result.chats += len(request.by_chat)
        result.entries += request.size
        pending = list(request.by_chat)
        while pending:
            entries = [e for c in pending for e in request.by_chat[c]]
            try:
                result.registered += await during("post", self._client.register_keys(entries))
                crashpoint("posted")
            except Conflict as exc:
                result.conflicted = True
                for chat_id in _named_chats(exc, pending):
                    self._store.outbox_clear(chat_id)
                return
            except BadRequest:
                raise
            except ApiError as exc:
                if exc.status not in (403, 404, 422):
                    raise
                bad = _named_chats(exc, pending)
                for chat_id in bad:
                    refused[chat_id] = exc.message
                    self._store.outbox_clear(chat_id)
                pending = [c for c in pending if c not in bad]
                continue
            progress.done += len(entries)
            self._emit(SyncEvent(EventKind.PROGRESS, done=progress.done, total=progress.total))
            return


def _named_chats(exc: ApiError, pending: list[str]) -> set[str]:
    """The chat ids an error's ``details`` names, or all of ``pending``."""
    named: set[str] = set()
    if isinstance(exc.details, list):
        for item in exc.details:
            if isinstance(item, dict) and isinstance(item.get("chatId"), str):
                named.add(item["chatId"])
    named &= set(pending)
    return named or set(pending)
