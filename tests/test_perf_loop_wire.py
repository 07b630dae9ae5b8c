"""What keeps the window's event loop free while the wire carries a big sync.

The key registration body is built without a pydantic model per entry (and
off the loop when large): it must say and refuse exactly what the server's
``KeysRequest`` model says and refuses. Large response bodies are joined and
parsed in a worker thread; the listing's size is told before the long
validation; one object per distinct certificate; the collector is paused
during parsing only. Timings are measured by ``python -m bench`` (and
``python -m bench.gaps``), never asserted here.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from test_api_client import Server, call, client_for, ok
from test_protocol_support import entry, personal

from komandor_desktop import errors
from komandor_desktop.api import client as client_module
from komandor_desktop.api import requests as requests_module
from komandor_desktop.domain import Certificate, KeyExport
from komandor_desktop.protocol import (
    MAX_KEYS_PER_REQUEST,
    decode_certificate,
    encode_keys_body,
    encode_keys_request,
    parse_chats,
    parse_envelope,
)
from komandor_desktop.protocol.envelope import Chunks
from komandor_desktop.protocol.models import KeyEntry, KeysRequest

ids = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(["", "x" * 128, "x" * 129, "a\x00b", "tab\there", "\ud800", "чат-1"]),
)
blobs = st.one_of(st.binary(min_size=0, max_size=8), st.just(b"\x00" * 113))
exports = st.builds(KeyExport, chat_id=ids, cid=ids, pid=ids, key=blobs, sign=blobs)


def _by_model(entries: list[KeyExport]) -> dict[str, Any] | None:
    """What the server's model makes of the entries, or None when it refuses them."""
    try:
        request = KeysRequest(keys=[KeyEntry(chat_id=e.chat_id, cid=e.cid, pid=e.pid,
                                             key=e.key, sign=e.sign) for e in entries])
    except ValidationError:
        return None
    return request.model_dump(mode="json", by_alias=True)


@given(st.lists(exports, min_size=1, max_size=4))
def test_key_registration_says_and_refuses_what_the_model_does(
        entries: list[KeyExport]) -> None:
    expected = _by_model(entries)
    if expected is None:
        with pytest.raises(ValueError, match="invalid key entry: keys\\.\\d+\\."):
            encode_keys_request(entries)
    else:
        assert encode_keys_request(entries) == expected


def test_key_registration_refuses_what_is_not_bytes_and_names_the_entry() -> None:
    good = KeyExport("chat-1", "c1", "p1", b"k", b"s")
    bad = KeyExport("chat-2", "c1", "p1", "a2V5", b"s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"keys\.1\.key: must be non-empty bytes"):
        encode_keys_request([good, bad])
    with pytest.raises(ValueError, match="1 to 1000 entries"):
        encode_keys_request([good] * (MAX_KEYS_PER_REQUEST + 1))


def test_key_body_is_compact_utf8_json_of_the_request() -> None:
    entries = [KeyExport("чат-1", "c1", "p1", b"\x01\x02", b"\x03")]
    body = encode_keys_body(entries)
    assert json.loads(body.decode("utf-8")) == encode_keys_request(entries)
    assert b" " not in body
    assert "чат-1".encode() in body  # sent as UTF-8, not \\u escapes


def _thread_of(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Run ``module.name`` as it is, noting the thread each call ran in."""
    seen: list[int] = []
    real = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def _run(server: Server, method: str, *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """Call the client; its result and the event loop's thread."""
    async def go() -> tuple[Any, int]:
        async with client_for(server) as client:
            return await getattr(client, method)(*args, **kwargs), threading.get_ident()

    return asyncio.run(go())


@pytest.mark.parametrize(("count", "off_loop"), [(2, False), (150, True)])
def test_many_key_entries_are_encoded_off_the_loop(monkeypatch: pytest.MonkeyPatch,
                                                   count: int, off_loop: bool) -> None:
    built = _thread_of(monkeypatch, requests_module, "build_register_keys")
    entries = [KeyExport(f"chat-{n}", "c1", "p1", b"\x01" * 113, b"\x02" * 70)
               for n in range(count)]
    server = Server(lambda r: ok({"registered": count}))
    registered, loop = _run(server, "register_keys", entries)
    assert registered == count
    assert (built[0] != loop) is off_loop
    (request,) = server.requests
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == encode_keys_request(entries)


@pytest.mark.parametrize(("size", "off_loop"), [(10, False), (400_000, True)])
def test_large_bodies_are_joined_and_parsed_off_the_loop(monkeypatch: pytest.MonkeyPatch,
                                                         size: int, off_loop: bool) -> None:
    parsed = _thread_of(monkeypatch, client_module, "parse_envelope")
    text = "x" * size

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.dumps({"success": True, "data": [personal(padding=text)]})  # ignored field
        return httpx.Response(200, content=body.encode())

    snapshot, loop = _run(Server(handler), "get_chats")
    assert len(snapshot.chats) == 1
    assert (parsed[0] != loop) is off_loop


def test_the_listing_size_is_told_before_validation() -> None:
    told: list[tuple[int, int]] = []
    data = [personal(f"chat-{n}") for n in range(3)] + [{"id": "broken"}]
    snapshot, _ = _run(Server(lambda r: ok(data)), "get_chats",
                       on_listing=lambda count: told.append((count, threading.get_ident())))
    assert [count for count, _ in told] == [4]  # every object, valid or not
    assert len(snapshot.chats) == 3
    assert len(snapshot.errors) == 1


@pytest.mark.parametrize("data", [{"chats": []}, "[]", None])
def test_no_listing_size_for_a_response_that_is_not_a_list(data: Any) -> None:
    told: list[int] = []
    with pytest.raises(errors.ProtocolError):
        _run(Server(lambda r: ok(data)), "get_chats", on_listing=told.append)
    assert told == []


def test_a_certificate_listed_in_many_chats_is_one_object() -> None:
    shared = entry("member", "p2", "c2")
    data = [personal(f"chat-{n}", certificates=[entry(), shared]) for n in range(3)]
    data.append(personal("chat-x", certificates=[{**shared, "hash": "0" * 64}]))
    chats = parse_chats(data).chats
    member = chats[0].certificates[1]
    assert all(c.certificates[1] is member for c in chats[:3])
    assert member == Certificate(pid="p2", cid="c2", pem=decode_certificate(shared["certificate"]),
                                 hash=shared["hash"])
    other = chats[3].certificates[0]  # the same certificate text under another hash: its own
    assert (other.pem, other.hash) == (member.pem, "0" * 64)


def test_parsing_pauses_the_collector_and_gives_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from komandor_desktop.protocol import chats, envelope

    inside: list[bool] = []
    for module, name in ((chats, "_to_chat"), (envelope, "_no_duplicates")):
        real = getattr(module, name)

        def spy(*args: Any, _real: Any = real) -> Any:
            inside.append(gc.isenabled())
            return _real(*args)

        monkeypatch.setattr(module, name, spy)
    assert len(parse_chats([personal(), {"id": "bad"}]).chats) == 1
    assert gc.isenabled()
    with pytest.raises(errors.ProtocolError, match="duplicate key"):
        parse_envelope(200, b'{"success": true, "data": [1, 2], "data": 3}')
    assert gc.isenabled()
    assert inside
    assert not any(inside)


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=6),
       st.text(max_size=20))
def test_a_body_in_chunks_reads_as_the_whole_body(cuts: list[int], name: str) -> None:
    body = json.dumps({"success": True, "data": {"имя": name, "emoji": "🔑"}},
                      ensure_ascii=False).encode()
    points = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert parse_envelope(200, chunks) == parse_envelope(200, body)
    assert b"".join(chunks) == body  # a plain list is left as it was
    handed = Chunks(chunks)
    assert parse_envelope(200, handed) == parse_envelope(200, body)
    assert handed == []  # handed over: every chunk was dropped once decoded


def test_the_client_hands_the_listing_chunks_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunks the client read are gone once parsed: the body is not held as bytes
    beside its text and objects (the load sync's listing is ~30 MB)."""
    seen: list[Any] = []
    real = client_module.parse_envelope

    def spy(status: int, body: Any, headers: Any = None) -> Any:
        seen.append(body)
        assert isinstance(body, Chunks)
        assert body
        return real(status, body, headers)

    monkeypatch.setattr(client_module, "parse_envelope", spy)
    server = Server(lambda _request: ok([personal("chat-a"), personal("chat-b")]))
    snapshot = call(server, "get_chats")
    assert [c.id for c in snapshot.chats] == ["chat-a", "chat-b"]
    assert seen == [[]]


@pytest.mark.parametrize("chunks", [
    [b'{"success": true, "data": "\xd0', b'"}'],  # a sequence cut by a quote: not UTF-8
    [b'{"success": true, "data": "ok"}', b"\xd0"],  # the body ends inside a sequence
    [b"\xef\xbb\xbf", b'{"success": true, "data": 1}'],  # a BOM is no JSON
])
def test_chunks_that_are_not_utf8_json_are_refused(chunks: list[bytes]) -> None:
    with pytest.raises(errors.ProtocolError, match="not UTF-8|not valid JSON"):
        parse_envelope(200, chunks)


def test_the_size_cap_counts_every_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    from komandor_desktop.protocol import envelope

    monkeypatch.setattr(envelope, "MAX_BODY_BYTES", 40)
    half = b'{"success": true, "data": "' + b"x" * 10
    with pytest.raises(errors.ResponseTooLarge):
        parse_envelope(200, [half, b"x" * 10, b'"}'])
    assert parse_envelope(200, [half, b'"}']) == "x" * 10
