"""Property: whatever valid Chats a refresh stores, chats() gives back unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from komandor_desktop.domain import (
    Certificate,
    Chat,
    ChatKey,
    ChatsSnapshot,
    ChatStatus,
    ChatType,
    ProfileType,
)
from komandor_desktop.store import Store

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
ids = st.text(min_size=1, max_size=20)
texts = st.text(max_size=30)
blobs = st.binary(max_size=40)

certificates = st.builds(Certificate, pid=ids, cid=ids, pem=st.text(max_size=200), hash=texts)
chat_keys = st.builds(
    ChatKey,
    id=ids,
    key=blobs,
    signer_pid=st.none() | ids,
    signer_cid=st.none() | ids,
    signer_certificate=st.none() | certificates,
    sign=st.none() | blobs,
)
chats = st.builds(
    Chat,
    id=ids,
    status=st.sampled_from(ChatStatus),
    chat_type=st.sampled_from(ChatType),
    favorites=st.booleans(),
    profile_name=st.none() | texts,
    profile_company=st.none() | texts,
    profile_company_id=st.none() | ids,
    profile_title=st.none() | texts,
    profile_phone=st.none() | texts,
    profile_photo=st.none() | blobs,
    profile_type=st.none() | st.sampled_from(ProfileType),
    profile_verified=st.booleans(),
    chat_name=st.none() | texts,
    certificates=st.lists(certificates, max_size=4).map(tuple),
    wait_list=st.lists(certificates, max_size=3).map(tuple),
    chat_key=st.none() | chat_keys,
    last_message_text=st.none() | blobs,
    last_message_status=st.none() | INT64,
    last_message_time=st.none() | st.integers(min_value=0, max_value=2**63 - 1),
    unread=st.integers(min_value=0, max_value=2**63 - 1),
)
chat_lists = st.lists(chats, max_size=6, unique_by=lambda chat: chat.id)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("hypothesis") / "store.db") as opened:
        yield opened


@settings(max_examples=60, deadline=None)
@given(chat_lists)
def test_random_chats_round_trip(store: Store, generated: list[Chat]) -> None:
    """Each example replaces the previous one's chats entirely."""
    snap = ChatsSnapshot(chats=tuple(generated), raw={c.id: f"raw {c.id}" for c in generated})
    store.refresh(snap, now_ms=1)
    expected = sorted(generated, key=lambda chat: chat.id)
    assert store.chats() == expected
    for chat in generated:
        assert store.chat(chat.id) == chat
        assert store.raw_json(chat.id) == f"raw {chat.id}"
    assert store.refresh(snap, now_ms=2) == set()
