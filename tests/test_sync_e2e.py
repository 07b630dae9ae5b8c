"""Section 6 end to end: the real client against the real emulator, in process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from e2e import Wire, by_name, device, emulator

from komandor_desktop.domain import ChatStatus, Reason
from komandor_desktop.errors import ProtocolError

ALICE, BOB, CAROL = "79990000011", "79990000012", "79990000013"


@pytest.fixture
def wire(tmp_path: Path) -> Wire:
    return Wire(emulator(tmp_path))


def test_two_users_add_each_other_and_end_in_sync(wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        report_a = await alice.engine.sync(phones=[BOB])
        report_b = await bob.engine.sync(phones=[ALICE])
        assert report_a.errors == []
        assert report_b.errors == []
        assert report_a.registered >= 3  # Favorites (1) + the chat with Bob (2)
        for session, other in ((alice, "Боб"), (bob, "Алиса")):
            views = by_name(session)
            assert views[other].status is ChatStatus.SYNC
            assert views[other].enabled
            assert views["Избранное"].enabled
            assert views["Командор"].enabled
            assert views["Командор"].last_message  # the welcome message, decrypted
            assert all(v.enabled for v in views.values())
        for s in (alice, bob):
            await s.aclose()

    asyncio.run(scenario())


def test_unregistered_number_waits_then_syncs_when_it_registers(wire: Wire,
                                                                tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        await alice.engine.sync(phones=[CAROL])
        carol_view = next(v for v in alice.views() if v.phone == CAROL)
        assert carol_view.status is ChatStatus.NEW
        assert carol_view.reason is Reason.CONTACT_NOT_REGISTERED
        assert not carol_view.enabled
        carol = await device(wire, tmp_path / "carol", CAROL, name="Кэрол")
        report = await alice.engine.sync()  # Carol has a certificate now: make the key
        assert report.registered == 2
        assert by_name(alice)["Кэрол"].enabled
        await carol.engine.sync()
        assert by_name(carol)["Алиса"].enabled
        for s in (alice, carol):
            await s.aclose()

    asyncio.run(scenario())


def test_new_device_turns_chats_to_wait_and_the_old_device_brings_them_back(
        wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.engine.sync(phones=[BOB])
        await bob.engine.sync()
        laptop = await device(wire, tmp_path / "alice-laptop", ALICE, name="Алиса")
        await laptop.engine.sync()
        views = by_name(laptop)
        assert views["Боб"].status is ChatStatus.WAIT
        assert views["Боб"].reason is Reason.WAITING_FOR_KEY
        report = await alice.engine.sync()  # the old device exports to the new certificate
        assert report.registered >= 1
        await laptop.engine.sync()
        assert by_name(laptop)["Боб"].enabled
        assert by_name(laptop)["Командор"].enabled  # the system re-exported its key
        for s in (alice, bob, laptop):
            await s.aclose()

    asyncio.run(scenario())


def test_two_devices_racing_on_one_new_chat_end_with_one_key(wire: Wire,
                                                              tmp_path: Path) -> None:
    async def scenario() -> None:
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        phone = await device(wire, tmp_path / "alice-phone", ALICE, name="Алиса")
        laptop = await device(wire, tmp_path / "alice-laptop", ALICE, name="Алиса")
        await phone.client.get_chats([BOB])  # the chat exists, status new
        await asyncio.gather(phone.engine.sync(), laptop.engine.sync())
        assert ("POST", "/api/v2/chatsKeys/", 409) in wire.statuses  # the race did happen
        await asyncio.gather(phone.engine.sync(), laptop.engine.sync(), bob.engine.sync())
        chats = [next(c for c in s.store.chats() if c.profile_phone in (ALICE, BOB)
                      and not c.favorites) for s in (phone, laptop, bob)]
        assert len({c.id for c in chats}) == 1
        assert all(c.status is ChatStatus.SYNC for c in chats)
        assert len({c.chat_key.id for c in chats if c.chat_key}) == 1
        keys = {s.engine.keyring.key(c) for s, c in zip((phone, laptop, bob), chats, strict=True)}
        assert None not in keys
        assert len(keys) == 1  # every device imports the same plaintext key
        assert not phone.store.outbox_all()
        assert not laptop.store.outbox_all()
        for s in (phone, laptop, bob):
            await s.aclose()

    asyncio.run(scenario())


def test_expired_token_signs_in_again_with_the_certificate(tmp_path: Path) -> None:
    wire = Wire(emulator(tmp_path, token_ttl=1))

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        old = alice.client.token
        await asyncio.sleep(2.1)
        report = await alice.engine.sync()
        assert report.status["sync"] >= 1
        assert alice.client.token != old
        await alice.aclose()

    asyncio.run(scenario())


def test_malformed_server_json_fails_clearly_and_changes_nothing(wire: Wire,
                                                                 tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        await alice.engine.sync()
        before = alice.store.chats()
        for junk in (b'{"success": true, "data": [', b"<html>oops</html>",
                     b'{"success": true, "data": {"not": "a list"}}'):
            wire.rewrite = lambda req, status, body, junk=junk: (
                junk if req.url.path.startswith("/api/v2/chats") else body)
            with pytest.raises(ProtocolError):
                await alice.engine.sync()
            assert alice.store.chats() == before
        await alice.aclose()

    asyncio.run(scenario())


def test_duplicate_chat_ids_refuse_the_whole_response(wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        await alice.engine.sync()
        before = alice.store.chats()

        def duplicate(req, status, body):  # type: ignore[no-untyped-def]
            doc = json.loads(body)
            if req.url.path.startswith("/api/v2/chats") and doc.get("success"):
                doc["data"].append(doc["data"][0])
            return json.dumps(doc).encode()

        wire.rewrite = duplicate
        with pytest.raises(ProtocolError):
            await alice.engine.sync()
        assert alice.store.chats() == before
        await alice.aclose()

    asyncio.run(scenario())
