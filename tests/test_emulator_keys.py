"""POST /api/v2/chatsKeys/: every rule of PROTOCOL.md §6, in its order, all or nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_emulator_support import (
    Harness,
    User,
    create_entries,
    entry,
    make_key,
    open_harness,
    wire_cert,
)

from komandor_desktop import crypto
from komandor_desktop.emulator import keys as keys_module
from komandor_desktop.emulator.tokens import make_token
from komandor_desktop.protocol import b64encode

ALICE, BOB, CAROL = "79160000001", "79160000002", "79160000003"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    yield from open_harness(tmp_path)


def _pair(h: Harness) -> tuple[User, User, dict[str, Any]]:
    """Alice and Bob registered, and Alice's new personal chat with Bob."""
    alice, bob = h.register(ALICE), h.register(BOB)
    return alice, bob, h.personal(alice, BOB)


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    return body["error"]  # type: ignore[no-any-return]


# --- rule 1 and 2 ------------------------------------------------------------------


def test_missing_token_is_401_even_with_a_malformed_body(harness: Harness) -> None:
    response = harness.post_keys(None, b"{not json")
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"


def test_expired_token_is_token_expired_before_the_body(harness: Harness) -> None:
    alice, _bob, _chat = _pair(harness)
    with harness.emulator.transaction() as session:
        from komandor_desktop.emulator.service import server_state

        secret = server_state(session).token_secret
    stale = make_token(secret, alice.pid, alice.cid, ttl=60, now=time.time() - 3600)
    alice.token = stale
    response = harness.post_keys(alice, {"keys": []})
    assert response.status_code == 401
    assert _error(response)["code"] == "token_expired"


def test_forged_token_is_unauthorized(harness: Harness) -> None:
    alice, _bob, _chat = _pair(harness)
    alice.token = make_token("x" * 64, alice.pid, alice.cid, ttl=600)
    response = harness.post_keys(alice, {"keys": []})
    assert (response.status_code, _error(response)["code"]) == (401, "unauthorized")


def _valid_item(h: Harness) -> tuple[User, dict[str, str]]:
    alice, _bob, chat = _pair(h)
    _key, entries = create_entries(alice, chat)
    return alice, entries[0]


@pytest.mark.parametrize("mutate", [
    lambda e: [],
    lambda e: {"keys": []},
    lambda e: {"keys": "nope"},
    lambda e: {"keys": [e] * 1001},
    lambda e: {"keys": [{k: v for k, v in e.items() if k != "sign"}]},
    lambda e: {"keys": [{**e, "pid": ""}]},
    lambda e: {"keys": [{**e, "cid": 7}]},
    lambda e: {"keys": [{**e, "key": "not base64!"}]},
    lambda e: {"keys": [{**e, "sign": "QUJD"[:3]}]},
    lambda e: {"keys": [e, dict(e)]},
    lambda e: {"keys": ["string"]},
], ids=["list", "empty", "not-list", "too-many", "missing-field", "empty-field",
        "non-string", "bad-base64-key", "unpadded-sign", "duplicate", "not-object"])
def test_malformed_requests_are_400_and_store_nothing(harness: Harness, mutate: Any) -> None:
    alice, item = _valid_item(harness)
    response = harness.post_keys(alice, mutate(item))
    assert response.status_code == 400
    assert _error(response)["code"] == "bad_request"
    assert harness.stored_keys() == (0, 0)


def test_duplicate_pair_names_the_second_entry(harness: Harness) -> None:
    alice, item = _valid_item(harness)
    response = harness.post_keys(alice, {"keys": [item, dict(item)]})
    details = _error(response)["details"]
    assert [(d["chatId"], d["cid"], d["code"]) for d in details] == [
        (item["chatId"], item["cid"], "bad_request")]


# --- rules 3 to 7, each winning over the later ones ----------------------------------


def test_unknown_chat_is_404_before_everything_later(harness: Harness) -> None:
    alice, _bob, chat = _pair(harness)
    _key, entries = create_entries(alice, chat)
    ghost = {**entries[0], "chatId": "chat_ghost", "sign": b64encode(b"bad")}
    broken = {**entries[1], "sign": b64encode(b"bad signature")}  # rule 6 for a real chat
    response = harness.post_keys(alice, {"keys": [broken, ghost]})
    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "chat_not_found"
    assert error["details"] == [{"chatId": "chat_ghost", "cid": ghost["cid"],
                                 "code": "chat_not_found"}]
    assert harness.stored_keys() == (0, 0)


def test_not_member_is_403_before_certificate_and_signature(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    carol = harness.register(CAROL)
    key = crypto.new_chat_key()
    as_carol = entry(carol, chat["id"], key, carol.certificate)  # not a target either
    response = harness.post_keys(carol, {"keys": [as_carol]})
    assert (response.status_code, _error(response)["code"]) == (403, "not_member")
    assert _error(response)["details"][0]["code"] == "not_member"
    assert harness.stored_keys() == (0, 0)


def test_bad_certificate_before_bad_signature(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    carol = harness.register(CAROL)
    key, entries = create_entries(alice, chat)
    outsider = entry(alice, chat["id"], key, carol.certificate)  # Carol is no member
    wrong_pid = {**entries[0], "pid": carol.pid}  # a target cid under another pid
    unsigned = {**entries[1], "sign": b64encode(b"junk")}
    response = harness.post_keys(alice, {"keys": [outsider, wrong_pid, unsigned]})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "bad_certificate"
    assert sorted((d["cid"], d["code"]) for d in error["details"]) == sorted(
        [(carol.cid, "bad_certificate"), (wrong_pid["cid"], "bad_certificate")])
    assert harness.stored_keys() == (0, 0)


def test_bad_signature_before_conflict(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    key, entries = create_entries(alice, chat)
    bob_entry = next(e for e in entries if e["cid"] == bob.cid)
    forged = entry(alice, chat["id"], key, bob.certificate, signer_key=make_key())
    # Bob's only entry: a creation without Bob's own key would be 409, the signature wins.
    response = harness.post_keys(bob, {"keys": [{**forged, "cid": bob_entry["cid"]}]})
    assert response.status_code == 422
    assert _error(response)["code"] == "bad_signature"
    assert harness.stored_keys() == (0, 0)


def test_creation_must_include_the_uploaders_own_key(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    key = crypto.new_chat_key()
    only_bob = entry(alice, chat["id"], key, bob.certificate)
    response = harness.post_keys(alice, {"keys": [only_bob]})
    assert response.status_code == 409
    assert _error(response)["details"] == [{"chatId": chat["id"], "cid": bob.cid,
                                            "code": "key_conflict"}]
    assert harness.stored_keys() == (0, 0)


def test_creation_registers_every_entry(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    _key, entries = create_entries(alice, chat)
    response = harness.post_keys(alice, {"keys": entries})
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"registered": 2}}
    assert harness.stored_keys() == (1, 2)


def test_second_creation_and_non_holder_export_are_409(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    _key, entries = create_entries(alice, chat)
    assert harness.post_keys(alice, {"keys": [entries[0]]}).status_code == 200  # Alice only
    bob_view = harness.chat(bob, chat["id"])
    assert bob_view["status"] == "wait"
    _other, bob_entries = create_entries(bob, bob_view)  # Bob makes a key of his own
    response = harness.post_keys(bob, {"keys": bob_entries})
    assert (response.status_code, _error(response)["code"]) == (409, "key_conflict")
    assert harness.stored_keys() == (1, 1)


def test_identical_repeat_is_harmless_and_different_bytes_conflict(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    key, entries = create_entries(alice, chat)
    assert harness.post_keys(alice, {"keys": entries}).json()["data"]["registered"] == 2
    again = harness.post_keys(alice, {"keys": entries})
    assert (again.status_code, again.json()["data"]["registered"]) == (200, 0)
    changed = entry(alice, chat["id"], key, bob.certificate)  # fresh HPKE: other bytes
    response = harness.post_keys(alice, {"keys": [changed]})
    assert response.status_code == 409
    assert _error(response)["details"][0]["cid"] == bob.cid


def test_all_or_nothing_across_chats(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    harness.register(CAROL)
    carol_chat = harness.personal(alice, CAROL)
    _k1, good = create_entries(alice, chat)
    k2, carol_entries = create_entries(alice, carol_chat)
    bad = [e for e in carol_entries if e["cid"] != alice.cid]  # creation without own key
    response = harness.post_keys(alice, {"keys": [*good, *bad]})
    assert response.status_code == 409
    assert harness.stored_keys() == (0, 0)
    assert harness.chat(alice, chat["id"])["status"] == "new"


def test_wait_export_by_a_holder(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    key, entries = create_entries(alice, chat)
    harness.post_keys(alice, {"keys": [e for e in entries if e["cid"] == alice.cid]})
    bob_cert = wire_cert(harness.chat(alice, chat["id"])["waitList"][0])
    response = harness.post_keys(alice, {"keys": [entry(alice, chat["id"], key, bob_cert)]})
    assert response.json()["data"]["registered"] == 1
    assert harness.chat(bob, chat["id"])["status"] == "sync"


# --- the race: the database decides -------------------------------------------------


def test_concurrent_creations_one_wins_one_409(harness: Harness) -> None:
    alice, bob, chat = _pair(harness)
    bob_view = harness.chat(bob, chat["id"])
    _ka, alice_entries = create_entries(alice, chat)
    _kb, bob_entries = create_entries(bob, bob_view)

    async def both() -> list[Any]:
        return await asyncio.gather(
            harness.client.post("/api/v2/chatsKeys/", json={"keys": alice_entries},
                                headers=alice.headers),
            harness.client.post("/api/v2/chatsKeys/", json={"keys": bob_entries},
                                headers=bob.headers))

    statuses = sorted(r.status_code for r in harness.run(both()))
    assert statuses == [200, 409]
    assert harness.stored_keys() == (1, 2)
    assert harness.chat(alice, chat["id"])["status"] == "sync"


def test_unique_key_record_decides_when_the_check_saw_stale_state(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's READ COMMITTED lets two creations both pass the check; the
    unique chat_key_records row must still turn the second into 409."""
    alice, bob, chat = _pair(harness)
    bob_view = harness.chat(bob, chat["id"])
    _ka, alice_entries = create_entries(alice, chat)
    _kb, bob_entries = create_entries(bob, bob_view)
    real = keys_module.load_facts
    with harness.emulator.transaction() as session:
        stale = real(session, [chat["id"]])  # seen before anyone registered
    assert harness.post_keys(alice, {"keys": alice_entries}).status_code == 200

    def stale_facts(session: Any, chat_ids: Any, at_ms: Any = None) -> Any:
        fresh = real(session, chat_ids, at_ms)
        for chat_id, facts in fresh.items():
            facts.record, facts.exports = stale[chat_id].record, stale[chat_id].exports
        return fresh

    monkeypatch.setattr(keys_module, "load_facts", stale_facts)
    response = harness.post_keys(bob, {"keys": bob_entries})
    assert (response.status_code, _error(response)["code"]) == (409, "key_conflict")
    assert harness.stored_keys() == (1, 2)
