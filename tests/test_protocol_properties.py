"""Property tests: junk in any field never crashes parse_chats; codecs round-trip."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_protocol_support import PNG, cert_pem, personal

from komandor_desktop.domain import (
    Certificate,
    Chat,
    ChatKey,
    ChatStatus,
    ChatType,
    ProfileType,
)
from komandor_desktop.errors import InvalidPhone, ProtocolError
from komandor_desktop.protocol import (
    b64decode,
    b64encode,
    chat_to_wire,
    decode_certificate,
    normalize_phone,
    parse_chats,
    parse_timestamp,
)

json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)
FIELDS = sorted(personal())
PATHS = [*FIELDS, "chatKey.id", "chatKey.key", "chatKey.sign", "chatKey.certificate",
         "chatKey.cid", "certificates.0.pid", "certificates.0.certificate",
         "certificates.0.hash"]


def set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = obj
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=json_junk)
def test_junk_in_one_field_is_a_chat_error_or_a_chat(path: str, value: Any) -> None:
    obj = personal()
    set_path(obj, path, value)
    snap = parse_chats([personal("other"), obj])
    assert len(snap.chats) + len(snap.errors) == 2
    assert "other" in {c.id for c in snap.chats}
    for error in snap.errors:
        assert error.index == 1
        assert error.message


@settings(max_examples=300)
@given(data=json_junk)
def test_arbitrary_json_is_a_snapshot_or_protocol_error(data: Any) -> None:
    try:
        snap = parse_chats(data)
    except ProtocolError:
        return
    assert len(snap.chats) + len(snap.errors) == len(data)


@settings(max_examples=200)
@given(chats=st.lists(st.dictionaries(st.sampled_from(FIELDS), json_junk), max_size=5))
def test_arbitrary_chat_objects_never_crash(chats: list[dict[str, Any]]) -> None:
    try:
        snap = parse_chats(chats)
    except ProtocolError as exc:
        assert "twice" in str(exc)  # noqa: PT017 - the only whole-response rule for lists
        return
    assert len(snap.chats) + len(snap.errors) == len(chats)


@given(st.binary(max_size=300))
def test_b64_round_trip_property(data: bytes) -> None:
    assert b64decode(b64encode(data)) == data


@given(st.text(alphabet=string.ascii_letters + string.digits + "+/=-_ \n", max_size=16))
def test_b64decode_accepts_only_canonical(text: str) -> None:
    try:
        data = b64decode(text)
    except ValueError:
        return
    assert b64encode(data) == text


@given(st.text(max_size=30))
def test_normalize_phone_outputs_the_canonical_form_or_refuses(text: str) -> None:
    try:
        phone = normalize_phone(text)
    except InvalidPhone as exc:
        assert exc.texts == [text]  # noqa: PT017
        return
    assert len(phone) == 11
    assert phone.startswith("79")
    assert phone.isascii()
    assert phone.isdigit()


@given(st.integers(min_value=0, max_value=10**16) | st.text(max_size=30))
def test_parse_timestamp_returns_a_sane_value_or_value_error(value: int | str) -> None:
    try:
        ms = parse_timestamp(value)
    except ValueError:
        return
    assert 0 <= ms <= 253_402_300_799_999


@given(st.text(max_size=200))
def test_decode_certificate_only_raises_value_error(text: str) -> None:
    try:
        decode_certificate(text)
    except ValueError:
        pass


ids = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF,
                                     blacklist_characters="\x7f"), min_size=1, max_size=20)
opt_text = st.none() | st.text(max_size=20)
PEM = decode_certificate(cert_pem())
certs = st.builds(Certificate, pid=ids, cid=ids, pem=st.sampled_from([PEM, "junk"]),
                  hash=st.text(max_size=64))


@st.composite
def chats(draw: st.DrawFn) -> Chat:
    """Chats that parse_chats itself could produce (kind and status rules hold)."""
    chat_type = draw(st.sampled_from(list(ChatType)))
    favorites = chat_type is ChatType.PERSONAL and draw(st.booleans())
    profile_type = draw(st.sampled_from(list(ProfileType)))
    status = draw(st.sampled_from(list(ChatStatus)))
    signer = draw(st.none() | certs)
    key = None if status is ChatStatus.NEW else draw(st.none() | st.builds(
        ChatKey, id=ids, key=st.binary(min_size=1, max_size=50),
        signer_pid=st.just(signer.pid if signer else None),
        signer_cid=st.just(signer.cid if signer else None), signer_certificate=st.just(signer),
        sign=st.none() | st.binary(min_size=1, max_size=50)))
    return Chat(
        id=draw(ids), status=status, chat_type=chat_type, favorites=favorites,
        profile_name=draw(st.text(alphabet="abcЖ ", min_size=1).filter(str.strip)),
        profile_company=draw(opt_text), profile_company_id=draw(st.none() | ids),
        profile_title=draw(opt_text),
        profile_phone=draw(st.from_regex(r"\A79[0-9]{9}\Z")),
        profile_photo=draw(st.none() | st.just(PNG)),
        profile_type=profile_type, profile_verified=draw(st.booleans()),
        chat_name=draw(st.text(min_size=1).filter(str.strip)) if chat_type else None,
        certificates=tuple(draw(st.lists(certs, max_size=2))),
        wait_list=() if status is ChatStatus.SYNC else tuple(draw(st.lists(certs, max_size=2))),
        chat_key=key,
        last_message_text=draw(st.none() | st.binary(min_size=1, max_size=40)),
        last_message_status=draw(st.none() | st.integers(-5, 5)),
        last_message_time=draw(st.none() | st.integers(10**11, 253_402_300_799_999)),
        unread=draw(st.integers(0, 10**6)),
    )


@settings(max_examples=200)
@given(chats())
def test_chat_to_wire_round_trips(chat: Chat) -> None:
    snap = parse_chats([chat_to_wire(chat)])
    assert snap.errors == ()
    assert snap.chats == (chat,)
