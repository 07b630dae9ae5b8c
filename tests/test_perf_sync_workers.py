"""Received-key checks shared between the worker processes and this one.

``CryptoWorkers.verdicts`` queues every chunk for the pool and checks the
chunks no worker has started yet in a thread of its own, from the far end: the
answers must be the KeyRing's own, in order, whoever checked which chunk; small
jobs stay in a thread even once the pool runs.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

import pytest
from cryptohelpers import domain, issue, key, make_ca

from komandor_desktop import crypto
from komandor_desktop.domain import Chat, ChatKey, ChatStatus, ChatType, Reason
from komandor_desktop.sync.keyring import KeyRing, KeyVerdict
from komandor_desktop.sync.workers import CHUNK_CHATS, CryptoWorkers

VIEWER_PID, VIEWER_CID = "p-viewer", "c-viewer"


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    ca_key, ca_cert = make_ca()
    own = domain(issue(ca_key, key("p256", 1)), pid=VIEWER_PID, cid=VIEWER_CID)
    return KeyRing(pid=VIEWER_PID, cid=VIEWER_CID, private_key=key("p256", 1),
                   own_certificates=[own], trust_anchor=ca_cert)


def _chats(ring: KeyRing, count: int) -> list[Chat]:
    """Chats keyed for the viewer; every fifth has a bad signature, every seventh
    a key exported for another chat (it does not import)."""
    own = ring.own_certificates[0]
    chats = []
    for n in range(count):
        chat_id = f"chat-{n:04d}"
        blob = crypto.export_key(crypto.new_chat_key(), f"other-{n}" if n % 7 == 3 else chat_id,
                                 own)
        signature = crypto.sign(key("p256", 1), blob)
        if n % 5 == 1:
            signature = crypto.sign(key("p256", 2), blob)
        chat_key = ChatKey(id=f"k{n}", key=blob, signer_pid=VIEWER_PID, signer_cid=VIEWER_CID,
                           signer_certificate=own, sign=signature)
        chats.append(Chat(id=chat_id, status=ChatStatus.SYNC, chat_type=ChatType.GROUP,
                          chat_name=chat_id, chat_key=chat_key))
    return chats


def test_pool_and_this_process_give_the_keyrings_verdicts_in_order(ring: KeyRing) -> None:
    chats = _chats(ring, 5 * CHUNK_CHATS + 3)
    expected = [ring.check(chat) for chat in chats]
    assert {v.reason for v in expected} == {None, Reason.KEY_SIGNATURE_INVALID,
                                            Reason.KEY_NOT_IMPORTABLE}
    pool = CryptoWorkers(ring, key("p256", 1), processes=1, pool_min=1)
    try:
        assert asyncio.run(pool.verdicts(chats)) == expected
        assert asyncio.run(pool.verdicts(chats[:2])) == expected[:2]  # one chunk: the worker's
    finally:
        pool.close()


def test_stealing_takes_unstarted_chunks_from_the_end_only(ring: KeyRing) -> None:
    chats = _chats(ring, 10)
    chunks = [chats[i:i + 2] for i in range(0, 10, 2)]
    futures: list[Future[list[KeyVerdict]]] = [Future() for _ in chunks]
    assert futures[1].set_running_or_notify_cancel()  # a worker took chunks 0 and 1
    assert futures[0].set_running_or_notify_cancel()
    workers = CryptoWorkers(ring, key("p256", 1), processes=1)
    stolen = workers._steal(chunks, futures)  # noqa: SLF001 - the unit under test
    assert sorted(stolen) == [2, 3, 4]
    assert all(futures[i].cancelled() for i in (2, 3, 4))
    assert stolen[3] == [ring.check(chat) for chat in chunks[3]]
    first = [Future() for _ in chunks]  # nothing started: the first chunk stays the worker's
    assert sorted(workers._steal(chunks, first)) == [1, 2, 3, 4]  # noqa: SLF001
    assert not first[0].cancelled()


def test_small_jobs_stay_in_a_thread_once_the_pool_runs(ring: KeyRing,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    chats = _chats(ring, 3)
    pool = CryptoWorkers(ring, key("p256", 1), processes=1, pool_min=100)
    try:
        pool.warm()

        def refuse(*_args: Any) -> None:
            raise AssertionError("a small job went to the pool")

        monkeypatch.setattr(pool._pool, "submit", refuse)  # noqa: SLF001
        assert asyncio.run(pool.verdicts(chats)) == [ring.check(c) for c in chats]
    finally:
        pool.close()
