"""Where a sync's public-key work runs: a worker thread, or a pool of processes.

A first sync makes tens of thousands of exports and signatures. ``cryptography``
holds the GIL through them, so a thread neither runs them in parallel nor keeps
them off the event loop that drives the window: only other processes do. Small
jobs (a few chats) stay in a thread, where a process would cost more to start
than the work; large ones go to a ``ProcessPoolExecutor`` that is started once
per engine (on the first large job, or earlier by ``warm``) and kept.

The pool is started with "spawn", never "fork": the parent may run Qt's
threads, which a forked child would inherit in an undefined state (and not
"forkserver", whose server outlives a parent that dies without cleaning up).
A worker ends itself when its parent is gone (a crash, ``os._exit``): a pool's
workers otherwise wait for work forever, holding the parent's stdout and stderr.
The private key reaches the workers as PKCS#8 bytes in memory, as an argument
of the pool's initializer (a pipe to the child); it is never written to disk.
Each worker rebuilds the key and a ``KeyRing`` of its own from those bytes, so
the checks are the very code the thread path runs.
As with any non-fork start, a worker imports the program's main script (not a
``-m package`` entry), so a script that syncs must keep its work under
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncGenerator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization

from .. import crypto
from ..domain import Certificate, Chat, ChatKey, ChatStatus, KeyExport, Reason
from ..errors import CryptoError
from .keyring import KeyRing, KeyVerdict

POOL_MIN_KEYS = 1000  # fewer exports (or key checks) than this run in a thread
PARENT_POLL_S = 0.2  # how soon a worker notices that its parent died
CHUNK_CHATS = 64  # chats per piece of work: amortises pickling, keeps a pipeline flowing


@dataclass(frozen=True, slots=True)
class ExportJob:
    """The exports of one chat: with ``key`` (a held key), with ``own_export``
    (recover the key this device made, from the outbox) or with neither (make one)."""

    chat_id: str
    targets: tuple[Certificate, ...]
    key: bytes | None = None
    own_export: bytes | None = None


def make_exports(jobs: Sequence[ExportJob], private_key: Any,
                 own_cid: str) -> list[list[KeyExport]]:
    """Per job, one signed export per target (PROTOCOL.md §5.1-§5.3), in target order."""
    out: list[list[KeyExport]] = []
    for job in jobs:
        key = job.key
        if key is None:
            key = (crypto.import_key(job.own_export, job.chat_id, own_cid, private_key)
                   if job.own_export is not None else crypto.new_chat_key())
        made = []
        for cert in job.targets:
            blob = crypto.export_key(key, job.chat_id, cert)
            made.append(KeyExport(job.chat_id, cert.cid, cert.pid, blob,
                                  crypto.sign(private_key, blob)))
        out.append(made)
    return out


# -- inside a worker process --------------------------------------------------------

_worker: dict[str, Any] = {}


def _watch_parent(parent: int) -> None:
    """End this worker as soon as the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def _init_worker(pkcs8: bytes, pid: str, cid: str, own: tuple[Certificate, ...],
                 anchor_der: bytes | None) -> None:
    """Pool initializer: the key and a KeyRing, rebuilt from bytes held in memory."""
    from cryptography import x509

    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True,
                     name="parent-watch").start()
    key = crypto.private_key_from_pkcs8(pkcs8)
    anchor = None if anchor_der is None else x509.load_der_x509_certificate(anchor_der)
    _worker.update(key=key, cid=cid, ring=KeyRing(pid=pid, cid=cid, private_key=key,
                                                  own_certificates=own, trust_anchor=anchor))


def _plain_errors(func: Any, *args: Any) -> Any:
    """Run ``func``; any failure comes back as a CryptoError, which always unpickles."""
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - re-raised in the parent as CryptoError
        raise CryptoError(f"{type(exc).__name__}: {exc}") from None


def _exports_in_worker(jobs: list[_JobWire]) -> list[list[_ExportWire]]:
    made = _plain_errors(make_exports, [_job_in(j) for j in jobs], _worker["key"],
                         _worker["cid"])
    return [[(e.cid, e.pid, e.key, e.sign) for e in chat] for chat in made]


def _verdicts_in_worker(chats: list[_ChatWire]) -> list[_VerdictWire]:
    ring: KeyRing = _worker["ring"]
    verdicts = _plain_errors(lambda: [ring.check(_chat_in(c)) for c in chats])
    return [(v.key, None if v.reason is None else v.reason.value, v.detail) for v in verdicts]


# -- across the process boundary ---------------------------------------------------
# Plain tuples, not the dataclasses: a frozen dataclass with slots pickles through
# Python-level __getstate__/__setstate__ (``dataclasses.fields`` per object), and
# a first sync of 10,000 keys moves some 60,000 of them each way. The objects are
# rebuilt on the other side with exactly the values they had.

_CertWire = tuple[str, str, str, str]
_JobWire = tuple[str, tuple[_CertWire, ...], bytes | None, bytes | None]
_ExportWire = tuple[str, str, bytes, bytes]  # cid, pid, key, sign
_KeyWire = tuple[str, bytes, str | None, str | None, _CertWire | None, bytes | None]
_ChatWire = tuple[str, str, tuple[_CertWire, ...], tuple[_CertWire, ...], _KeyWire | None]
_VerdictWire = tuple[bytes | None, str | None, str | None]


def _cert_out(cert: Certificate) -> _CertWire:
    return (cert.pid, cert.cid, cert.pem, cert.hash)


def _job_out(job: ExportJob) -> _JobWire:
    return (job.chat_id, tuple(map(_cert_out, job.targets)), job.key, job.own_export)


def _job_in(wire: _JobWire) -> ExportJob:
    chat_id, targets, key, own_export = wire
    return ExportJob(chat_id, tuple(Certificate(*t) for t in targets), key, own_export)


def _chat_out(chat: Chat) -> _ChatWire:
    """What ``KeyRing.check`` reads of a chat: its id, status, certificates, wait
    list and key (the profile fields and messages are no part of the checks)."""
    key = chat.chat_key
    key_wire: _KeyWire | None = None
    if key is not None:
        signer = key.signer_certificate
        key_wire = (key.id, key.key, key.signer_pid, key.signer_cid,
                    None if signer is None else _cert_out(signer), key.sign)
    return (chat.id, chat.status.value, tuple(map(_cert_out, chat.certificates)),
            tuple(map(_cert_out, chat.wait_list)), key_wire)


def _chat_in(wire: _ChatWire) -> Chat:
    chat_id, status, certs, waits, key_wire = wire
    key = None
    if key_wire is not None:
        key_id, blob, signer_pid, signer_cid, signer, sign = key_wire
        key = ChatKey(key_id, blob, signer_pid, signer_cid,
                      None if signer is None else Certificate(*signer), sign)
    return Chat(chat_id, ChatStatus(status), certificates=tuple(Certificate(*c) for c in certs),
                wait_list=tuple(Certificate(*c) for c in waits), chat_key=key)


def _verdict_in(wire: _VerdictWire) -> KeyVerdict:
    key, reason, detail = wire
    return KeyVerdict(key, None if reason is None else Reason(reason), detail)


def _ready() -> bool:
    return True


# -- in the client ---------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class CryptoWorkers:
    """Runs exports and received-key checks for one engine; see the module docstring.

    Args:
        keyring: the engine's KeyRing (its identity, key and anchor are the workers').
        private_key: the private key of the viewer's current certificate.
        processes: pool size; default: one CPU short of all (the event loop, the store
            and an in-process server need one), at least 1, at most 4.
        pool_min: the job size (keys) from which the pool is used.
    """

    def __init__(self, keyring: KeyRing, private_key: Any, *, processes: int | None = None,
                 pool_min: int = POOL_MIN_KEYS) -> None:
        self._ring = keyring
        self._key = private_key
        self._processes = processes or max(1, min(4, (os.cpu_count() or 2) - 1))
        self._pool_min = pool_min
        self._pool: ProcessPoolExecutor | None = None

    def _use_pool(self, size: int) -> bool:
        """Large jobs only, even once the pool runs: a few checks in a thread cost less
        than a round trip to a worker, and far less than waiting for one that is
        still starting (a first sync's own chats arrive before the pool is up)."""
        return size >= self._pool_min

    def warm(self) -> None:
        """Start the pool now (its processes start while other work goes on)."""
        if self._pool is not None:
            return
        pool = self._start()
        for _ in range(self._processes):
            pool.submit(_ready)

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            ring = self._ring
            anchor = ring.trust_anchor
            anchor_der = (None if anchor is None
                          else anchor.public_bytes(serialization.Encoding.DER))
            self._pool = ProcessPoolExecutor(
                self._processes, mp_context=context, initializer=_init_worker,
                initargs=(crypto.private_key_to_pkcs8(self._key), ring.pid, ring.cid,
                          ring.own_certificates, anchor_der))
        return self._pool

    async def exports(self, jobs: Sequence[ExportJob]
                      ) -> AsyncGenerator[tuple[Sequence[ExportJob], list[list[KeyExport]]], None]:
        """Yield (chunk, its exports) in job order, ``CHUNK_CHATS`` jobs at a time.

        With the pool, every chunk is queued at once, so the workers keep making
        the next chunks while the caller stores and sends the ones it has.
        """
        chunks = _chunks(jobs, CHUNK_CHATS)
        if not self._use_pool(sum(len(j.targets) for j in jobs)):
            for chunk in chunks:
                yield chunk, await asyncio.to_thread(make_exports, chunk, self._key,
                                                     self._ring.cid)
            return
        pool = self._start()
        futures: list[Future[list[list[_ExportWire]]]] = [
            pool.submit(_exports_in_worker, [_job_out(j) for j in c]) for c in chunks]
        try:
            for chunk, future in zip(chunks, futures, strict=True):
                made = await asyncio.wrap_future(future)
                yield chunk, [[KeyExport(job.chat_id, *e) for e in chat]
                              for job, chat in zip(chunk, made, strict=True)]
        finally:
            for future in futures:
                future.cancel()  # the round stopped early: drop what is not started

    async def verdicts(self, chats: Sequence[Chat]) -> list[KeyVerdict]:
        """The KeyRing verdicts of ``chats`` (not cached here), in order.

        With the pool, every chunk is queued for the workers, and a thread of
        this process takes chunks from the far end that no worker has started
        yet, until it meets them: the caller is writing the store meanwhile, so
        this process has time to spare, and how much depends on the store, the
        machine and its load. A chunk is checked by exactly one side.
        """
        if not chats:
            return []
        if not self._use_pool(len(chats)):
            return await asyncio.to_thread(self._check, chats)
        pool = self._start()
        chunks = _chunks(chats, CHUNK_CHATS)
        futures: list[Future[list[_VerdictWire]]] = [
            pool.submit(_verdicts_in_worker, [_chat_out(c) for c in chunk]) for chunk in chunks]
        try:
            stolen = await asyncio.to_thread(self._steal, chunks, futures)
            verdicts: list[KeyVerdict] = []
            for index, future in enumerate(futures):
                if index in stolen:
                    verdicts.extend(stolen[index])
                else:
                    answer: list[_VerdictWire] = await asyncio.wrap_future(future)
                    verdicts.extend(map(_verdict_in, answer))
            return verdicts
        finally:
            for future in futures:
                future.cancel()  # an error here: drop what no worker started

    def _check(self, chats: Sequence[Chat]) -> list[KeyVerdict]:
        return [self._ring.check(chat) for chat in chats]

    def _steal(self, chunks: Sequence[Sequence[Chat]],
               futures: Sequence[Future[Any]]) -> dict[int, list[KeyVerdict]]:
        """Check queued chunks here, last first, while no worker has taken them.

        The first chunk of each worker is always left to it, so that a small job
        is the workers' as before (and not decided by a race with them).
        """
        done: dict[int, list[KeyVerdict]] = {}
        for index in range(len(chunks) - 1, self._processes - 1, -1):
            if not futures[index].cancel():  # a worker has it (or had it): the rest too
                break
            done[index] = self._check(chunks[index])
        return done

    def close(self) -> None:
        """Stop the pool's processes (without waiting for them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
