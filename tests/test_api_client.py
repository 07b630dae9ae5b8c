"""ApiClient against httpx.MockTransport: what goes on the wire, and error mapping."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from komandor_desktop import errors
from komandor_desktop.api import ApiClient, RetryPolicy
from komandor_desktop.domain import ChatsSnapshot, KeyExport
from komandor_desktop.protocol import (
    MAX_BODY_BYTES,
    b64decode,
    b64encode,
    encode_keys_request,
)

BASE = "https://api.test"
Handler = Callable[[httpx.Request], httpx.Response]


def ok(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"success": True, "data": data})


def fail(
    status: int, code: str, details: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {
        "success": False,
        "error": {"code": code, "message": f"{code} text", "details": details},
    }
    return httpx.Response(status, json=body, headers=headers)


class Server:
    """Records every request and answers from ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def client_for(server: Server, **kwargs: Any) -> ApiClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=1))
    kwargs.setdefault("token", "tok-1")
    return ApiClient(BASE, transport=httpx.MockTransport(server), **kwargs)


def call(server: Server, method: str, *args: Any, **kwargs: Any) -> Any:
    client_kwargs = kwargs.pop("client_kwargs", {})

    async def go() -> Any:
        async with client_for(server, **client_kwargs) as client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(go())


def test_get_chats_sends_path_query_and_bearer() -> None:
    server = Server(lambda r: ok([]))
    snapshot = call(server, "get_chats", ["79001112233", "79004445566"])
    assert isinstance(snapshot, ChatsSnapshot)
    assert snapshot.chats == ()
    (request,) = server.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v2/chats/"
    assert request.url.params.get_list("phones") == ["79001112233", "79004445566"]
    assert request.headers["Authorization"] == "Bearer tok-1"


def test_get_chats_without_phones_has_no_query() -> None:
    server = Server(lambda r: ok([]))
    call(server, "get_chats")
    assert server.requests[0].url.query == b""


def test_get_chats_refuses_a_lone_string() -> None:
    server = Server(lambda r: ok([]))
    with pytest.raises(TypeError):
        call(server, "get_chats", "79001112233")
    assert server.requests == []


def test_register_keys_posts_the_encoded_entries() -> None:
    entries = [
        KeyExport("chat-1", "cid-1", "pid-1", b"\x01" * 113, b"\x02" * 70),
        KeyExport("chat-1", "cid-2", "pid-2", b"\x03" * 113, b"\x04" * 71),
    ]
    server = Server(lambda r: ok({"registered": 2}))
    assert call(server, "register_keys", entries) == 2
    (request,) = server.requests
    assert (request.method, request.url.path) == ("POST", "/api/v2/chatsKeys/")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert json.loads(request.content) == encode_keys_request(entries)


def test_auth_endpoints_never_carry_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ok(
            {
                "/api/v2/auth/code/": {"sent": True},
                "/api/v2/auth/challenge/": {"nonce": "AAECAw=="},
                "/api/v2/auth/token/": {"token": "tok-2"},
            }[request.url.path]
        )

    server = Server(handler)
    call(server, "request_code", "79001112233")
    assert call(server, "challenge", "cid-1") == b"\x00\x01\x02\x03"
    assert call(server, "sign_in", "cid-1", b"nonce", b"sig") == "tok-2"
    for request in server.requests:
        assert "Authorization" not in request.headers
        assert request.method == "POST"
    bodies = [json.loads(r.content) for r in server.requests]
    assert bodies[0] == {"phone": "79001112233"}
    assert bodies[1] == {"cid": "cid-1"}
    assert bodies[2] == {"cid": "cid-1", "nonce": "bm9uY2U=", "sign": "c2ln"}


def test_confirm_sends_base64_pem_and_only_given_fields(certificate_pair: Any) -> None:
    cert_b64, ca_b64, cert_hash = certificate_pair

    def handler(request: httpx.Request) -> httpx.Response:
        return ok(
            {
                "token": "t",
                "pid": "p",
                "cid": "c",
                "certificate": cert_b64,
                "hash": cert_hash,
                "caCertificate": ca_b64,
            }
        )

    server = Server(handler)
    csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    data = call(server, "confirm", "79001112233", "1111", csr, name="Иван", profile_type=1)
    body = json.loads(server.requests[0].content)
    assert server.requests[0].url.path == "/api/v2/auth/confirm/"
    assert body == {
        "phone": "79001112233",
        "code": "1111",
        "name": "Иван",
        "type": 1,
        "csr": body["csr"],
    }
    assert b64decode(body["csr"]).decode() == csr
    assert (data.token, data.pid, data.cid, data.hash) == ("t", "p", "c", cert_hash)


@pytest.fixture
def certificate_pair() -> tuple[str, str, str]:
    """A self-signed certificate standing for both leaf and CA (base64 of PEM) + hash."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return b64encode(pem), b64encode(pem), digest


# The whole status -> exception table is protocol's (test_protocol_envelope.py);
# here: the client hands the envelope's error through, details and all, whether
# the status is retried (503) or not (403, 409).
@pytest.mark.parametrize(
    ("status", "code", "exc_type"),
    [
        (403, "not_member", errors.Forbidden),
        (409, "key_conflict", errors.Conflict),
        (503, "unavailable", errors.ServerError),
    ],
)
def test_error_envelopes_reach_the_caller_with_their_details(
    status: int, code: str, exc_type: type[errors.ApiError]
) -> None:
    details = [{"chatId": "chat-1", "cid": "cid-1", "code": code}]
    server = Server(lambda r: fail(status, code, details))
    with pytest.raises(exc_type) as info:
        call(server, "get_chats")
    assert type(info.value) is exc_type
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.details == details


def test_rate_limited_carries_retry_after() -> None:
    server = Server(lambda r: fail(429, "rate_limited", headers={"Retry-After": "12"}))
    with pytest.raises(errors.RateLimited) as info:
        call(server, "get_chats")
    assert info.value.retry_after == 12


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b'{"success": true}x',
        b'{"data": []}',
        "\ufeff{}".encode(),
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_protocol_errors(body: bytes) -> None:
    server = Server(lambda r: httpx.Response(200, content=body))
    with pytest.raises(errors.ProtocolError):
        call(server, "get_chats")


@pytest.mark.parametrize(
    ("method", "args", "data"),
    [
        ("register_keys", ([KeyExport("c", "k", "p", b"1", b"2")],), {"registered": True}),
        ("register_keys", ([KeyExport("c", "k", "p", b"1", b"2")],), {"registered": -1}),
        ("register_keys", ([KeyExport("c", "k", "p", b"1", b"2")],), {"registered": "3"}),
        ("challenge", ("cid",), {"nonce": ""}),
        ("challenge", ("cid",), {"nonce": "not base64!"}),
        ("challenge", ("cid",), {}),
        ("sign_in", ("cid", b"n", b"s"), {"token": ""}),
        ("sign_in", ("cid", b"n", b"s"), {"token": "a b"}),
        ("sign_in", ("cid", b"n", b"s"), {"token": 5}),
        ("request_code", ("79001112233",), {"sent": False}),
        ("confirm", ("79001112233", "1", "csr"), {"token": "t"}),
    ],
)
def test_malformed_data_is_a_protocol_error(method: str, args: tuple[Any, ...], data: Any) -> None:
    server = Server(lambda r: ok(data))
    with pytest.raises(errors.ProtocolError):
        call(server, method, *args)


def test_the_default_cap_is_the_protocols() -> None:
    assert ApiClient.max_body_bytes == MAX_BODY_BYTES == 256 * 1024 * 1024


def test_declared_length_over_the_cap_is_refused_unread() -> None:
    pulled: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        pulled.append(1)
        yield b"x"

    server = Server(
        lambda r: httpx.Response(
            200, headers={"Content-Length": str(MAX_BODY_BYTES + 1)}, content=stream()
        )
    )
    with pytest.raises(errors.ResponseTooLarge):
        call(server, "get_chats")
    assert pulled == []


def test_streamed_body_reading_stops_past_the_cap() -> None:
    """An endless body: the client must stop, not buffer it all."""
    chunks_sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        while chunks_sent < 10_000:
            chunks_sent += 1
            yield b"[" * 1024

    async def go() -> None:
        server = Server(lambda r: httpx.Response(200, content=endless()))
        async with client_for(server) as client:
            client.max_body_bytes = 64 * 1024
            await client.get_chats()

    with pytest.raises(errors.ResponseTooLarge):
        asyncio.run(go())
    assert 64 < chunks_sent <= 66


def test_body_at_the_cap_is_read() -> None:
    body = json.dumps({"success": True, "data": []}).encode()

    async def go() -> ChatsSnapshot:
        server = Server(lambda r: httpx.Response(200, content=body))
        async with client_for(server) as client:
            client.max_body_bytes = len(body)
            return await client.get_chats()

    assert asyncio.run(go()).chats == ()


def test_token_is_settable_and_used() -> None:
    async def go(server: Server) -> None:
        async with client_for(server, token=None) as client:
            assert client.token is None
            await client.get_chats()
            client.token = "tok-9"
            await client.get_chats()

    server = Server(lambda r: ok([]))
    asyncio.run(go(server))
    assert "Authorization" not in server.requests[0].headers
    assert server.requests[1].headers["Authorization"] == "Bearer tok-9"


def test_base_url_with_a_path_prefix_and_trailing_slash() -> None:
    server = Server(lambda r: ok([]))

    async def go() -> None:
        async with ApiClient(
            "https://api.test/prefix/",
            transport=httpx.MockTransport(server),
            retry=RetryPolicy(attempts=1),
        ) as client:
            await client.get_chats()

    asyncio.run(go())
    assert server.requests[0].url.path == "/prefix/api/v2/chats/"
