"""parse_chats / chat_to_wire: per-chat rules, whole-response rules, round trip (§2-§4)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from test_protocol_support import (
    JPEG,
    PNG,
    cert_der,
    cert_hash,
    cert_pem,
    chat_key,
    entry,
    personal,
)

from komandor_desktop.domain import ChatStatus, ChatType, ProfileType
from komandor_desktop.errors import ProtocolError
from komandor_desktop.protocol import (
    MAX_PHOTO_BYTES,
    ParseMemo,
    b64encode,
    chat_to_wire,
    decode_certificate,
    parse_chats,
)


def one_error(obj: Any) -> str:
    """Parse a one-chat response that must be refused; return the error message."""
    snap = parse_chats([obj])
    assert snap.chats == ()
    assert len(snap.errors) == 1
    assert snap.errors[0].index == 0
    return snap.errors[0].message


def test_valid_personal_chat_converts_every_field() -> None:
    snap = parse_chats([personal()])
    assert snap.errors == ()
    (chat,) = snap.chats
    assert chat.id == "chat-1"
    assert chat.status is ChatStatus.SYNC
    assert chat.chat_type is ChatType.PERSONAL
    assert chat.profile_type is ProfileType.UL
    assert chat.profile_name == "Иван Петров"
    assert chat.profile_phone == "79123456789"
    assert chat.profile_company_id == "comp-1"
    assert chat.profile_verified is True
    assert chat.profile_photo == PNG
    assert chat.certificates[0].pem == decode_certificate(cert_pem())
    assert chat.certificates[0].hash == cert_hash()
    assert chat.chat_key is not None
    assert chat.chat_key.key == b"\x01" * 113
    assert chat.chat_key.sign == b"\x02" * 70
    assert chat.chat_key.signer_cid == "c1"
    assert chat.chat_key.signer_pid == "p1"
    assert chat.chat_key.signer_certificate is not None
    assert chat.chat_key.signer_certificate.pem == decode_certificate(cert_pem("signer"))
    assert chat.last_message_text == b"\x00" * 40
    assert chat.last_message_status == 2
    assert chat.last_message_time == 1_700_000_000_123
    assert chat.unread == 3


def test_raw_is_canonical_json_of_each_readable_chat() -> None:
    good, bad = personal("a"), personal("b", unreadMessages=-1)
    snap = parse_chats([good, bad, {"id": ""}])
    assert set(snap.raw) == {"a", "b"}
    assert snap.raw["a"] == json.dumps(good, ensure_ascii=False, sort_keys=True)
    assert "Иван" in snap.raw["a"]  # ensure_ascii=False
    assert json.loads(snap.raw["b"]) == bad


def test_optional_fields_may_be_absent() -> None:
    obj = {"id": "x", "status": "new", "chatType": 0, "profileType": 1, "profileName": "A",
           "profilePhone": "79123456789", "certificates": [], "unreadMessages": 0}
    (chat,) = parse_chats([obj]).chats
    assert chat.favorites is False
    assert chat.profile_verified is False
    assert chat.chat_key is None
    assert chat.wait_list == ()
    assert chat.profile_photo is None


def test_group_channel_system_favorites_kinds() -> None:
    group = {"id": "g", "status": "wait", "chatType": 1, "chatName": "Отдел",
             "certificates": [entry()], "waitList": [entry("w", "p2", "c2")],
             "unreadMessages": 0, "chatKey": None}
    channel = dict(group, id="ch", chatType=2, profileType=None, profileName=None)
    system = personal("sys", profileType=0, profileName="Командор", profilePhone=None,
                      profileCompany=None, profileTitle=None)
    fav = personal("fav", chatFavorites=True, certificates=[], profileName=None,
                   profilePhone=None, chatKey=None, status="new")
    snap = parse_chats([group, channel, system, fav])
    assert snap.errors == ()
    kinds = {c.id: c for c in snap.chats}
    assert kinds["g"].is_group
    assert kinds["g"].wait_list[0].cid == "c2"
    assert kinds["ch"].chat_type is ChatType.CHANNEL
    assert kinds["sys"].is_system
    assert kinds["fav"].favorites


@pytest.mark.parametrize(("fields", "expected"), [
    ({"status": "new"}, "a new chat has no key"),
    ({"waitList": [entry()]}, "waitList"),
    ({"unreadMessages": -1}, "unreadMessages"),
    ({"id": ""}, "id"),
    ({"id": "x" * 129}, "id"),
    ({"id": "a\nb"}, "control"),
    ({"id": 5}, "id"),
    ({"profileName": None}, "profileName"),
    ({"profileName": "  "}, "profileName"),
    ({"profilePhone": None}, "profilePhone"),
    ({"profilePhone": "89123456789"}, "profilePhone"),
    ({"profileType": 7}, "profileType"),
    ({"profileType": None}, "profileType"),
    ({"profileType": "3"}, "profileType"),  # strict: no string-to-int
    ({"chatType": 3}, "chatType"),
    ({"chatType": True}, "chatType"),
    ({"status": "done"}, "status"),
    ({"status": None}, "status"),
    ({"certificates": None}, "certificates"),
    ({"certificates": {}}, "certificates"),
    ({"unreadMessages": 1.0}, "unreadMessages"),
    ({"unreadMessages": "3"}, "unreadMessages"),
    ({"lastMessageText": "not base64"}, "lastMessageText"),
    ({"lastMessageTime": -5}, "lastMessageTime"),
    ({"lastMessageTime": "tomorrow"}, "lastMessageTime"),
    ({"lastMessageStatus": True}, "lastMessageStatus"),
    ({"profileVerified": 1}, "profileVerified"),
    ({"chatFavorites": "false"}, "chatFavorites"),
    ({"profileCompanyId": ""}, "profileCompanyId"),
    ({"chatKey": {"id": "k", "key": ""}}, "chatKey.key"),
    ({"chatKey": {"key": "AAAA"}}, "chatKey.id"),
    ({"chatKey": dict(chat_key(), sign="a b")}, "chatKey.sign"),
])
def test_per_chat_rule(fields: dict[str, Any], expected: str) -> None:
    assert expected in one_error(personal(**fields))


def test_group_without_name_and_favorites_of_wrong_type() -> None:
    group = {"id": "g", "status": "new", "chatType": 1, "certificates": [],
             "unreadMessages": 0}
    assert "chatName" in one_error(group)
    assert "chatName" in one_error(dict(group, chatName=""))
    assert "chatFavorites" in one_error(dict(group, chatName="n", chatFavorites=True))


@pytest.mark.parametrize("bad_entry", [
    {"cid": "c", "certificate": "x", "hash": "h"},
    {"pid": "p", "certificate": "x", "hash": "h"},
    {"pid": "p", "cid": "c", "certificate": "x"},
    {"pid": "p", "cid": "c", "hash": "h"},
    {"pid": 1, "cid": "c", "certificate": "x", "hash": "h"},
    {"pid": "p", "cid": "c", "certificate": None, "hash": "h"},
    {"pid": "p", "cid": "", "certificate": "x", "hash": "h"},
    "a string",
])
def test_malformed_certificate_entry_is_a_chat_error(bad_entry: Any) -> None:
    assert "certificates.0" in one_error(personal(certificates=[bad_entry]))
    assert "waitList.0" in one_error(personal(status="wait", waitList=[bad_entry]))


def test_undecodable_certificate_keeps_chat_and_raw_string() -> None:
    raw = "definitely not a certificate"
    (chat,) = parse_chats([personal(certificates=[dict(entry(), certificate=raw)])]).chats
    assert chat.certificates[0].pem == raw


@pytest.mark.parametrize("form", ["pem", "b64pem", "b64der"])
def test_certificate_forms_decode_to_the_same_pem(form: str) -> None:
    wire = {"pem": cert_pem(), "b64pem": b64encode(cert_pem().encode()),
            "b64der": b64encode(cert_der())}[form]
    (chat,) = parse_chats([personal(certificates=[dict(entry(), certificate=wire)])]).chats
    assert chat.certificates[0].pem == decode_certificate(cert_pem())


@pytest.mark.parametrize(("photo", "kept"), [
    (PNG, True),
    (JPEG, True),
    (b"GIF89a" + b"\x00" * 20, False),
    (b"", False),
    (PNG + b"\x00" * (MAX_PHOTO_BYTES - len(PNG)), True),
    (PNG + b"\x00" * (MAX_PHOTO_BYTES - len(PNG) + 1), False),
])
def test_photo_kept_only_when_png_or_jpeg_within_cap(photo: bytes, kept: bool) -> None:
    (chat,) = parse_chats([personal(profilePhoto=b64encode(photo))]).chats
    assert chat.profile_photo == (photo if kept else None)


@pytest.mark.parametrize("photo", [None, "", "!!!", "iVBORw0KGgo"])
def test_bad_or_missing_photo_is_none_not_an_error(photo: str | None) -> None:
    (chat,) = parse_chats([personal(profilePhoto=photo)]).chats
    assert chat.profile_photo is None


def test_photo_wrong_type_is_a_chat_error() -> None:
    assert "profilePhoto" in one_error(personal(profilePhoto=5))


@pytest.mark.parametrize("status", [-1, 3, 99])
def test_unknown_message_status_is_kept(status: int) -> None:
    (chat,) = parse_chats([personal(lastMessageStatus=status)]).chats
    assert chat.last_message_status == status


def test_time_in_seconds_and_iso() -> None:
    snap = parse_chats([personal("a", lastMessageTime=1_700_000_000),
                        personal("b", lastMessageTime="2023-11-14T22:13:20Z")])
    assert [c.last_message_time for c in snap.chats] == [1_700_000_000_000] * 2


def test_chat_key_signer_fields() -> None:
    unsigned = parse_chats([personal(chatKey=chat_key(signed=False))]).chats[0].chat_key
    assert unsigned is not None
    assert unsigned.signer_certificate is None
    assert unsigned.sign is None
    no_hash = {k: v for k, v in chat_key().items() if k != "hash"}
    key = parse_chats([personal(chatKey=no_hash)]).chats[0].chat_key
    assert key is not None
    assert key.signer_certificate is not None
    assert key.signer_certificate.hash == cert_hash("signer")  # computed from the DER
    partial = {k: v for k, v in chat_key().items() if k != "pid"}
    key = parse_chats([personal(chatKey=partial)]).chats[0].chat_key
    assert key is not None
    assert key.signer_certificate is None
    assert key.signer_cid == "c1"


def test_errors_carry_id_and_index_and_others_survive() -> None:
    snap = parse_chats([personal("a"), personal("b", status="new"), 42, {"id": "\x00"},
                        personal("c")])
    assert [c.id for c in snap.chats] == ["a", "c"]
    assert [(e.chat_id, e.index) for e in snap.errors] == [("b", 1), (None, 2), (None, 3)]
    assert all(e.message for e in snap.errors)


@pytest.mark.parametrize("data", [None, {}, {"chats": []}, "[]", 5, True])
def test_data_not_a_list_is_refused(data: Any) -> None:
    with pytest.raises(ProtocolError, match="not a JSON array"):
        parse_chats(data)


def test_duplicate_ids_refuse_the_whole_response() -> None:
    with pytest.raises(ProtocolError, match="'a' occurs twice"):
        parse_chats([personal("a"), personal("b"), personal("a", status="new")])


def test_duplicate_id_counts_even_when_that_chat_is_invalid() -> None:
    with pytest.raises(ProtocolError, match="twice"):
        parse_chats([personal("a"), {"id": "a"}])


def test_empty_list() -> None:
    snap = parse_chats([])
    assert snap.chats == ()
    assert snap.errors == ()
    assert snap.raw == {}


def test_round_trip_through_wire() -> None:
    sources = [personal("a"), personal("b", chatKey=chat_key(signed=False)),
               personal("c", certificates=[dict(entry(), certificate="junk")]),
               {"id": "g", "status": "wait", "chatType": 1, "chatName": "G",
                "certificates": [entry()], "waitList": [entry("w", "p2", "c2")],
                "unreadMessages": 0}]
    first = parse_chats(sources)
    assert first.errors == ()
    wire = [chat_to_wire(c) for c in first.chats]
    assert parse_chats(wire).chats == first.chats
    assert json.loads(json.dumps(wire)) == wire  # plain JSON values only


def test_chat_to_wire_writes_every_field_with_nulls() -> None:
    (chat,) = parse_chats([personal(chatKey=None, status="wait", profilePhoto=None)]).chats
    wire = chat_to_wire(chat)
    assert set(wire) == {
        "id", "profileName", "profileCompany", "profileCompanyId", "profileTitle",
        "profilePhone", "profilePhoto", "profileType", "profileVerified", "certificates",
        "chatType", "chatName", "chatFavorites", "chatKey", "waitList", "lastMessageText",
        "lastMessageStatus", "lastMessageTime", "unreadMessages", "status"}
    assert wire["chatKey"] is None
    assert wire["profilePhoto"] is None
    assert base64.b64decode(wire["certificates"][0]["certificate"]).decode() == chat.certificates[
        0].pem


def test_ten_thousand_chats_parse() -> None:
    # Speed is measured by `make bench`, never asserted here (a shared, noisy machine).
    data = [personal(f"chat-{i}", certificates=[entry(), entry("signer", "p2", "c2")])
            for i in range(10_000)]
    snap = parse_chats(data)
    assert len(snap.chats) == 10_000
    assert snap.errors == ()


def test_an_unchanged_chat_is_reused_and_a_changed_type_is_validated_again() -> None:
    """The parse memo hands back the same Chat for the same object, never for a look-alike.

    ``True == 1`` in Python: a memo keyed by equality would take a
    ``"profileVerified": 1`` (refused: booleans are strict) for the valid
    ``true`` of the previous response.
    """
    memo = ParseMemo()
    first = json.loads(json.dumps(personal()))
    first["profileVerified"] = True
    chat = parse_chats([first], memo).chats[0]
    again = parse_chats([json.loads(json.dumps(first))], memo)
    assert again.chats[0] is chat  # unchanged: not validated again
    assert again.raw[chat.id] == json.dumps(first, ensure_ascii=False, sort_keys=True)
    retyped = dict(first, profileVerified=1)
    assert retyped == first  # equal to Python, yet a different JSON value
    retyped_snap = parse_chats([retyped], memo)
    assert retyped_snap.chats == ()
    assert "profileVerified" in retyped_snap.errors[0].message


def test_the_parse_memo_keeps_digests_not_copies_of_the_listing() -> None:
    """Between refreshes the memo holds a fixed-size key per chat, not its pickle:
    a listing's pickles weigh as much as its body (28 MB for the load sync)."""
    memo = ParseMemo()
    big = personal("chat-big", profileName="x" * 100_000)
    parse_chats([big, personal("chat-small")], memo)
    keys = memo.keys()
    assert len(keys) == 2
    assert {len(key) for key in keys} == {32}


def test_the_parse_memo_is_bounded_and_keeps_only_the_last_response() -> None:
    memo = ParseMemo(max_chats=2)
    data = json.loads(json.dumps([personal(f"chat-{i}") for i in range(3)]))  # as JSON-born
    first = parse_chats(data, memo)
    assert len(memo) == 2  # the third chat of the response is not remembered
    again = parse_chats(json.loads(json.dumps(data)), memo)
    assert again.chats[:2] == first.chats[:2]
    assert again.chats[0] is first.chats[0]
    assert again.chats[1] is first.chats[1]
    assert again.chats[2] is not first.chats[2]  # validated again
    assert again.chats[2] == first.chats[2]
    parse_chats([personal("chat-other")], memo)
    assert len(memo) == 1  # the earlier response is forgotten
    fresh = parse_chats(json.loads(json.dumps(data)), memo)
    assert fresh.chats[0] is not first.chats[0]


def test_without_a_memo_nothing_is_reused() -> None:
    obj = personal()
    assert parse_chats([obj]).chats[0] is not parse_chats([obj]).chats[0]
