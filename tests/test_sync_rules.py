"""PROTOCOL.md §4 rule by rule: the real client, the real emulator, and a test
that rewrites the emulator's answers where a rule is about a hostile or broken
server."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptohelpers import issue, key, make_ca, pem
from e2e import Wire, by_name, device, emulator, named, on_chats

from komandor_desktop.domain import ChatStatus, Reason
from komandor_desktop.errors import TransportError

ALICE, BOB, CAROL = "79990000031", "79990000032", "79990000033"


@pytest.fixture
def wire(tmp_path: Path) -> Wire:
    return Wire(emulator(tmp_path))





def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_certificate_failing_its_checks_is_never_encrypted_to(wire: Wire,
                                                              tmp_path: Path) -> None:
    other_ca_key, _ = make_ca(slot=40, cn="Не наш УЦ")
    now = datetime.now(UTC)
    stranger = issue(other_ca_key, key("p256", 41), issuer_cn="Не наш УЦ",
                     not_before=now - timedelta(days=1), not_after=now + timedelta(days=30))
    stranger_pem = pem(stranger)

    def swap_cert(chats: list[dict[str, Any]]) -> None:
        for entry in named(chats, BOB)["certificates"]:
            entry["certificate"] = base64.b64encode(stranger_pem.encode()).decode()
            entry["hash"] = stranger.fingerprint(stranger.signature_hash_algorithm).hex()

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.client.get_chats([BOB])
        wire.rewrite = on_chats(swap_cert)
        report = await alice.engine.sync()
        view = by_name(alice)["Боб"]
        assert view.status is ChatStatus.NEW
        assert view.reason is Reason.CERTIFICATE_REJECTED
        assert "неизвестным удостоверяющим центром" in view.tooltip
        assert any(e["chatId"] == view.id for e in report.errors)
        posted = [json.loads(r.content) for r in wire.requests if r.method == "POST"
                  and r.url.path.startswith("/api/v2/chatsKeys")]
        assert all(e["chatId"] != view.id for body in posted for e in body["keys"])
        wire.rewrite = None
        await alice.engine.sync()
        assert by_name(alice)["Боб"].enabled  # the real certificate is fine
        for s in (alice, bob):
            await s.aclose()

    run(scenario())


def test_hash_mismatch_rejects_the_certificate(wire: Wire, tmp_path: Path) -> None:
    def bad_hash(chats: list[dict[str, Any]]) -> None:
        named(chats, BOB)["certificates"][0]["hash"] = "0" * 64

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.client.get_chats([BOB])
        wire.rewrite = on_chats(bad_hash)
        await alice.engine.sync()
        view = by_name(alice)["Боб"]
        assert view.reason is Reason.CERTIFICATE_REJECTED
        assert "хэш не совпадает" in view.tooltip
        for s in (alice, bob):
            await s.aclose()

    run(scenario())


def _synced_pair(wire: Wire, tmp_path: Path) -> Any:
    async def make() -> Any:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        carol = await device(wire, tmp_path / "carol", CAROL, name="Кэрол")
        await alice.engine.sync(phones=[BOB, CAROL])
        assert by_name(alice)["Боб"].enabled
        return alice, bob, carol
    return make()


@pytest.mark.parametrize(("tamper", "reason"), [
    (lambda ck, chats: ck.update(sign=base64.b64encode(bytes(64)).decode()),
     Reason.KEY_SIGNATURE_INVALID),
    (lambda ck, chats: ck.update(pid="somebody-else"), Reason.KEY_SIGNATURE_INVALID),
    (lambda ck, chats: ck.pop("sign"), Reason.KEY_SIGNATURE_INVALID),
    # the key exported for the chat with Carol, moved to the chat with Bob: the
    # signature is Alice's own and valid, but the ctx binding refuses the import
    (lambda ck, chats: ck.update(named(chats, CAROL)["chatKey"]), Reason.KEY_NOT_IMPORTABLE),
])
def test_received_key_that_fails_its_checks_switches_the_chat_off(
        wire: Wire, tmp_path: Path, tamper: Callable[..., None], reason: Reason) -> None:
    async def scenario() -> None:
        alice, bob, carol = await _synced_pair(wire, tmp_path)
        wire.rewrite = on_chats(lambda chats: tamper(named(chats, BOB)["chatKey"], chats))
        report = await alice.engine.sync()
        view = by_name(alice)["Боб"]
        assert not view.enabled
        assert view.reason is reason
        assert view.last_message is None
        assert any(e["chatId"] == view.id and e["error"].startswith(reason.value)
                   for e in report.errors)
        assert by_name(alice)["Кэрол"].enabled
        for s in (alice, bob, carol):
            await s.aclose()

    run(scenario())


def test_invalid_chat_keeps_its_stored_copy_and_the_others_are_stored(
        wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice, bob, carol = await _synced_pair(wire, tmp_path)
        stored = {c.id: c for c in alice.store.chats()}
        wire.rewrite = on_chats(lambda chats: named(chats, BOB).update(unreadMessages=-1))
        await alice.engine.sync()
        bob_id = by_name(alice)["Боб"].id
        assert alice.store.chat(bob_id) == stored[bob_id]
        assert by_name(alice)["Боб"].reason is Reason.INVALID_CHAT
        assert by_name(alice)["Кэрол"].enabled
        wire.rewrite = None
        await alice.engine.sync()
        assert by_name(alice)["Боб"].enabled
        for s in (alice, bob, carol):
            await s.aclose()

    run(scenario())


def test_a_422_marks_the_failing_chat_and_the_rest_is_registered(wire: Wire,
                                                                 tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        carol = await device(wire, tmp_path / "carol", CAROL, name="Кэрол")
        await alice.client.get_chats([BOB, CAROL])

        def foreign_target(chats: list[dict[str, Any]]) -> None:
            # Carol's real certificate listed in the chat with Bob: not a target there
            named(chats, BOB)["certificates"].append(named(chats, CAROL)["certificates"][0])

        wire.rewrite = on_chats(foreign_target)
        report = await alice.engine.sync()
        assert ("POST", "/api/v2/chatsKeys/", 422) in wire.statuses
        views = by_name(alice)
        assert views["Боб"].reason is Reason.REGISTRATION_REFUSED
        assert views["Кэрол"].enabled
        assert [e["chatId"] for e in report.errors] == [views["Боб"].id]
        wire.rewrite = None
        await alice.engine.sync()
        assert by_name(alice)["Боб"].enabled
        for s in (alice, bob, carol):
            await s.aclose()

    run(scenario())


def test_unsent_creation_is_resent_byte_for_byte_from_the_outbox(wire: Wire,
                                                                 tmp_path: Path) -> None:
    def is_post(request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path.startswith("/api/v2/chatsKeys")

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.client.get_chats([BOB])
        wire.drop = is_post
        with pytest.raises(TransportError):
            await alice.engine.sync()
        pending = {e.chat_id: e for e in alice.store.outbox_all()}
        assert pending
        first = [json.loads(r.content) for r in wire.requests if is_post(r)][0]
        wire.drop = None
        # a restarted client: a new session over the same home
        await alice.aclose()
        again = await device(wire, tmp_path / "alice", ALICE)
        await again.engine.sync()
        resent = [json.loads(r.content) for r in wire.requests if is_post(r)][-2]
        by_entry = {(e["chatId"], e["cid"]): e for e in resent["keys"]}
        for entry in first["keys"]:
            assert by_entry[(entry["chatId"], entry["cid"])] == entry
        assert not again.store.outbox_all()
        assert all(v.enabled for v in again.views())
        for s in (again, bob):
            await s.aclose()

    run(scenario())


def test_registration_whose_answer_was_lost_is_not_made_twice(wire: Wire,
                                                               tmp_path: Path) -> None:
    def lose_answer(request: httpx.Request, status: int, body: bytes) -> bytes:
        if request.method == "POST" and request.url.path.startswith("/api/v2/chatsKeys"):
            raise httpx.ReadError("the answer was lost", request=request)
        return body

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.client.get_chats([BOB])
        wire.rewrite = lose_answer
        with pytest.raises(TransportError):
            await alice.engine.sync()
        wire.rewrite = None
        report = await alice.engine.sync()
        assert report.errors == []
        assert report.registered == 0  # the server had them all; nothing new was made
        assert not alice.store.outbox_all()
        assert all(v.enabled for v in alice.views())
        for s in (alice, bob):
            await s.aclose()

    run(scenario())
