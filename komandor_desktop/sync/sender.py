"""The executor half of the engine: make the exports, keep the outbox, register.

Crypto runs in a worker thread (``asyncio.to_thread``) so that the event loop
that also drives the window is never blocked by thousands of exports.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import crypto
from ..domain import Certificate, Identity, KeyExport, OutboxEntry
from ..errors import ApiError, BadRequest, Conflict
from .crashpoints import crashpoint, during
from .events import EventKind, SyncEvent
from .keyring import KeyRing
from .planner import Action, CreateKey, ExportKey


@dataclass(slots=True)
class Batch:
    """Everything one round sends, grouped by chat (a chat is never split)."""

    by_chat: dict[str, list[KeyExport]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.by_chat

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.by_chat.values())


def _exports(key: bytes, chat_id: str, targets: Iterable[Certificate],
             private_key: Any) -> list[KeyExport]:
    out = []
    for cert in targets:
        blob = crypto.export_key(key, chat_id, cert)
        out.append(KeyExport(chat_id, cert.cid, cert.pid, blob, crypto.sign(private_key, blob)))
    return out


CHATS_PER_STEP = 32  # chats per worker-thread step and outbox transaction


class Sender:
    """Prepares and sends one round's key entries.

    Args:
        client: the ``api.ApiClient``.
        store: the ``store.Store`` (outbox).
        keyring: checked, imported received keys.
        identity: the viewer.
        private_key: the private key of the viewer's current certificate.
        emit: the engine's event sink.
        batch_size: entries per request (at most 1,000, PROTOCOL.md §6).
    """

    def __init__(self, client: Any, store: Any, keyring: KeyRing, identity: Identity,
                 private_key: Any, emit: Callable[[SyncEvent], None], *, batch_size: int) -> None:
        self._client = client
        self._store = store
        self._keyring = keyring
        self._identity = identity
        self._emit = emit
        self._batch_size = batch_size
        self._private_key = private_key

    async def prepare(self, actions: Sequence[Action]) -> Batch:
        """Make every export of the round; creations go to the outbox first."""
        work = [a for a in actions if isinstance(a, CreateKey | ExportKey)]
        total = sum(len(a.targets) for a in work)
        batch = Batch()
        done = 0
        for start in range(0, len(work), CHATS_PER_STEP):
            step = work[start:start + CHATS_PER_STEP]
            made = await asyncio.to_thread(self._entries_for_step, step)
            for action, entries in zip(step, made, strict=True):
                if entries:
                    batch.by_chat[action.chat.id] = entries
                done += len(action.targets)
            self._emit(SyncEvent(EventKind.PROGRESS, done=done, total=total * 2))
        return batch

    def _entries_for_step(self, step: Sequence[CreateKey | ExportKey]) -> list[list[KeyExport]]:
        """One worker-thread step: the exports of a few chats, then their outbox
        entries in one transaction (one per chat would cost more than the crypto)."""
        made: list[list[KeyExport]] = []
        pending: list[OutboxEntry] = []
        for action in step:
            entries, entry = self._entries_for(action)
            made.append(entries)
            if entry is not None:
                pending.append(entry)
        self._store.outbox_put_many(pending)
        for _ in pending:
            crashpoint("outbox-written")
        return made

    def _entries_for(self, action: CreateKey | ExportKey
                     ) -> tuple[list[KeyExport], OutboxEntry | None]:
        """The entries of one chat and, for a creation, its outbox entry (not yet stored)."""
        chat_id = action.chat.id
        if isinstance(action, ExportKey):
            key = self._keyring.key(action.chat)
            if key is None:
                return [], None
            return _exports(key, chat_id, action.targets, self._private_key), None
        if action.outbox is not None:
            key = self._keyring.import_own_export(chat_id, action.outbox.own_export)
            kept = {e.cid: e for e in action.outbox.exports}
            fresh = [t for t in action.targets if t.cid not in kept]
            made = {e.cid: e for e in _exports(key, chat_id, fresh, self._private_key)}
            entries = [kept.get(t.cid) or made[t.cid] for t in action.targets]
        else:
            key = crypto.new_chat_key()
            entries = _exports(key, chat_id, action.targets, self._private_key)
        crashpoint("keys-made")
        own = next(e for e in entries if e.cid == self._identity.cid)
        return entries, OutboxEntry(chat_id, self._identity.cid, own.key, tuple(entries),
                                    int(time.time() * 1000))

    def _requests(self, batch: Batch) -> list[list[str]]:
        """Chat ids per request: whole chats, up to batch_size entries each."""
        groups: list[list[str]] = []
        size = self._batch_size + 1
        for chat_id, entries in batch.by_chat.items():
            if size + len(entries) > self._batch_size and size > 0:
                groups.append([])
                size = 0
            groups[-1].append(chat_id)
            size += len(entries)
        return groups

    async def send(self, batch: Batch, refused: dict[str, str]) -> tuple[int, bool]:
        """Register the batch; returns (registered, whether a 409 happened).

        A 409 clears the outbox of the chats it names (re-plan from the fresh
        state). A 403/404/422 marks the chats its ``details`` name as refused
        and sends the rest again; without usable details the whole request's
        chats are refused, so that nothing is retried blindly.
        """
        registered, conflicted, done = 0, False, 0
        total = batch.total
        for chat_ids in self._requests(batch):
            pending = list(chat_ids)
            while pending:
                entries = [e for c in pending for e in batch.by_chat[c]]
                try:
                    registered += await during("post", self._client.register_keys(entries))
                    crashpoint("posted")
                except Conflict as exc:
                    conflicted = True
                    for chat_id in _named_chats(exc, pending):
                        self._store.outbox_clear(chat_id)
                    break
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
                done += len(entries)
                self._emit(SyncEvent(EventKind.PROGRESS, done=total + done, total=total * 2))
                pending = []
        return registered, conflicted


def _named_chats(exc: ApiError, pending: list[str]) -> set[str]:
    """The chat ids an error's ``details`` names, or all of ``pending``."""
    named: set[str] = set()
    if isinstance(exc.details, list):
        for item in exc.details:
            if isinstance(item, dict) and isinstance(item.get("chatId"), str):
                named.add(item["chatId"])
    named &= set(pending)
    return named or set(pending)
