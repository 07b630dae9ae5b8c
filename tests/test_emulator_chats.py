"""GET /api/v2/chats/: status (PROTOCOL.md §3), waitList, chatKey per viewer, phones (§7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_emulator_support import (
    Harness,
    create_entries,
    entry,
    make_key,
    open_harness,
    own_chat_key,
    wire_cert,
)

from komandor_desktop import crypto
from komandor_desktop.domain import ChatStatus
from komandor_desktop.emulator import db as tables
from komandor_desktop.protocol import b64decode, decode_certificate, parse_chats

ALICE, BOB, STRANGER = "79160000001", "79160000002", "79160000009"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    yield from open_harness(tmp_path)


def _cids(items: list[dict[str, Any]] | None) -> set[str]:
    return {i["cid"] for i in items or ()}


def test_new_wait_sync_and_wait_list(harness: Harness) -> None:
    alice, bob = harness.register(ALICE), harness.register(BOB)
    chat = harness.personal(alice, BOB)
    assert chat["status"] == "new"
    assert chat["chatKey"] is None
    assert _cids(chat["certificates"]) == {bob.cid}
    assert _cids(chat["waitList"]) == {alice.cid, bob.cid}  # the viewer's own included

    key, entries = create_entries(alice, chat)
    harness.post_keys(alice, {"keys": [e for e in entries if e["cid"] == alice.cid]})
    for viewer in (alice, bob):  # the status is the same for every member
        seen = harness.chat(viewer, chat["id"])
        assert seen["status"] == "wait"
        assert _cids(seen["waitList"]) == {bob.cid}
    assert harness.chat(bob, chat["id"])["chatKey"] is None

    harness.post_keys(alice, {"keys": [entry(alice, chat["id"], key, bob.certificate)]})
    seen = harness.chat(bob, chat["id"])
    assert seen["status"] == "sync"
    assert seen["waitList"] == []
    assert own_chat_key(bob, seen) == key


def test_chat_key_carries_the_signer_per_viewer(harness: Harness) -> None:
    alice, bob = harness.register(ALICE), harness.register(BOB)
    chat = harness.personal(alice, BOB)
    key, entries = create_entries(alice, chat)
    harness.post_keys(alice, {"keys": entries})
    views = {u.cid: harness.chat(u, chat["id"])["chatKey"] for u in (alice, bob)}
    assert views[alice.cid]["key"] != views[bob.cid]["key"]
    assert views[alice.cid]["id"] == views[bob.cid]["id"]  # one key id per chat
    for seen in views.values():
        assert (seen["pid"], seen["cid"]) == (alice.pid, alice.cid)
        assert decode_certificate(seen["certificate"]) == alice.cert_pem
        signer = crypto.load_certificate(decode_certificate(seen["certificate"]))
        assert crypto.verify(signer, b64decode(seen["key"]), b64decode(seen["sign"]))
    snapshot = parse_chats(harness.chats(bob))  # the client's own parser accepts it
    assert not snapshot.errors
    parsed = next(c for c in snapshot.chats if c.id == chat["id"])
    trust = crypto.load_certificate(bob.ca_pem)
    crypto.check_signer(parsed, viewer_pid=bob.pid, own_certificates=[bob.certificate],
                        trust_anchor=trust)


def test_personal_chat_shows_the_other_side(harness: Harness) -> None:
    alice = harness.register(ALICE, name="Алиса", company="ООО «Тест»", title="Директор",
                             type=3)
    bob = harness.register(BOB, name="Боб")
    mine, theirs = harness.personal(alice, BOB), None
    theirs = next(c for c in harness.chats(bob) if c["id"] == mine["id"])
    assert (mine["profileName"], mine["profilePhone"]) == ("Боб", BOB)
    assert (theirs["profileName"], theirs["profileCompany"], theirs["profileType"]) == (
        "Алиса", "ООО «Тест»", 3)
    assert _cids(theirs["certificates"]) == {alice.cid}


def test_activation_makes_system_chat_and_favorites(harness: Harness) -> None:
    alice = harness.register(ALICE, name="Алиса")
    chats = harness.chats(alice)
    system = next(c for c in chats if c["profileType"] == 0)
    favorites = next(c for c in chats if c["chatFavorites"])
    assert system["profileName"] == "Командор"
    assert system["status"] == "sync"
    assert system["certificates"]
    assert system["chatKey"]["pid"] == system["certificates"][0]["pid"]
    assert crypto.decrypt_message(own_chat_key(alice, system), system["id"],
                                  b64decode(system["lastMessageText"]))
    assert favorites["status"] == "new"
    assert favorites["certificates"] == []
    assert favorites["profileName"] == "Алиса"
    assert favorites["profilePhone"] == ALICE
    assert _cids(favorites["waitList"]) == {alice.cid}
    _key, entries = create_entries(alice, favorites)
    assert harness.post_keys(alice, {"keys": entries}).status_code == 200
    assert harness.chat(alice, favorites["id"])["status"] == "sync"


def test_unregistered_number_gets_a_placeholder_until_it_activates(harness: Harness) -> None:
    alice = harness.register(ALICE)
    chat = harness.personal(alice, STRANGER)
    assert chat["status"] == "new"
    assert chat["certificates"] == []
    assert (chat["profileName"], chat["profileType"]) == (STRANGER, 1)
    with harness.emulator.transaction() as session:
        placeholder = session.query(tables.Profile).filter_by(phone=STRANGER).one()
        assert placeholder.placeholder
    stranger = harness.register(STRANGER, name="Незнакомец")
    assert stranger.pid == placeholder.id  # the placeholder was taken over
    seen = harness.chat(alice, chat["id"])
    assert _cids(seen["certificates"]) == {stranger.cid}
    assert seen["profileName"] == "Незнакомец"
    assert any(c["id"] == chat["id"] for c in harness.chats(stranger))


def test_phones_are_normalised_and_added_once(harness: Harness) -> None:
    alice = harness.register(ALICE)
    harness.register(BOB)
    first = harness.chats(alice, ["+7 (916) 000-00-02", "8 916 000 00 09", "9160000002"])
    again = harness.chats(alice, [BOB])
    personal = [c for c in first if c["chatType"] == 0 and c["profileType"] != 0
                and not c["chatFavorites"]]
    assert sorted(c["profilePhone"] for c in personal) == [BOB, STRANGER]
    assert len(again) == len(first)
    assert harness.count(tables.Contact) == 2


def test_one_invalid_phone_adds_nothing(harness: Harness) -> None:
    alice = harness.register(ALICE)
    before = [harness.count(t) for t in (tables.Profile, tables.ChatRow, tables.Contact)]
    response = harness.call("GET", "/api/v2/chats/", headers=alice.headers,
                            params={"phones": [BOB, "12345", "abc"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_phone"
    assert error["details"] == {"phones": ["12345", "abc"]}
    assert [harness.count(t) for t in (tables.Profile, tables.ChatRow, tables.Contact)] == before


def test_new_device_turns_chats_to_wait_for_it(harness: Harness) -> None:
    alice, bob = harness.register(ALICE), harness.register(BOB)
    chat = harness.personal(alice, BOB)
    _key, entries = create_entries(alice, chat)
    harness.post_keys(alice, {"keys": entries})
    bob2 = harness.register(BOB, key=make_key("p384"))
    assert bob2.pid == bob.pid
    assert bob2.cid != bob.cid
    seen_new = harness.chat(bob2, chat["id"])
    assert seen_new["status"] == "wait"
    assert seen_new["chatKey"] is None
    assert _cids(seen_new["waitList"]) == {bob2.cid}
    assert harness.chat(bob, chat["id"])["chatKey"] is not None  # the old device holds it
    assert _cids(harness.chat(alice, chat["id"])["certificates"]) == {bob.cid, bob2.cid}
    system = next(c for c in harness.chats(bob2) if c["profileType"] == 0)
    assert system["status"] == "sync"
    assert system["chatKey"] is not None
    wait_cert = wire_cert(seen_new["waitList"][0])
    key = own_chat_key(bob, harness.chat(bob, chat["id"]))
    harness.post_keys(bob, {"keys": [entry(bob, chat["id"], key, wait_cert)]})
    assert own_chat_key(bob2, harness.chat(bob2, chat["id"])) == key


def test_statuses_agree_with_the_client_parser(harness: Harness) -> None:
    alice = harness.register(ALICE)
    harness.register(BOB)
    snapshot = parse_chats(harness.chats(alice, [BOB, STRANGER]))
    assert not snapshot.errors
    assert sorted(c.status for c in snapshot.chats) == sorted(
        [ChatStatus.NEW, ChatStatus.NEW, ChatStatus.NEW, ChatStatus.SYNC])


def test_group_lists_other_members_certificates(harness: Harness) -> None:
    alice, bob = harness.register(ALICE), harness.register(BOB)
    with harness.emulator.transaction() as session:
        from komandor_desktop.emulator.world import new_chat

        group = new_chat(session, [alice.pid, bob.pid], chat_type=1, name="Отдел").id
    seen = harness.chat(alice, group)
    assert seen["chatName"] == "Отдел"
    assert seen["chatType"] == 1
    assert _cids(seen["certificates"]) == {bob.cid}
    assert _cids(seen["waitList"]) == {alice.cid, bob.cid}


def test_missing_token_is_401_and_unknown_route_is_an_envelope(harness: Harness) -> None:
    for path in ("/api/v2/chats/", "/api/v2/chats"):
        response = harness.call("GET", path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    response = harness.call("GET", "/api/v2/nothing/")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_both_path_spellings_answer_without_redirect(harness: Harness) -> None:
    alice = harness.register(ALICE)
    for path in ("/api/v2/chats/", "/api/v2/chats"):
        response = harness.call("GET", path, headers=alice.headers)
        assert response.status_code == 200
        assert response.json()["success"] is True
