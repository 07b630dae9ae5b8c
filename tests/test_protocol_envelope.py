"""parse_envelope error mapping, encode_keys_request, and the request/response models."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from test_protocol_support import cert_pem

from komandor_desktop import errors
from komandor_desktop.domain import KeyExport
from komandor_desktop.protocol import (
    MAX_BODY_BYTES,
    MAX_KEYS_PER_REQUEST,
    b64encode,
    decode_certificate,
    encode_certificate,
    encode_keys_request,
    envelope,
    parse_envelope,
    parse_model,
)
from komandor_desktop.protocol.models import (
    ChallengeResponse,
    ConfirmData,
    ConfirmRequest,
    KeysRequest,
    KeysResponse,
    TokenRequest,
)


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def failure(code: str, message: str = "m", details: Any = None) -> bytes:
    return body({"success": False, "error": {"code": code, "message": message,
                                             "details": details}})


def test_success_returns_data() -> None:
    assert parse_envelope(200, body({"success": True, "data": [1, 2]})) == [1, 2]
    assert parse_envelope(201, body({"success": True, "data": None, "extra": 1})) is None


@pytest.mark.parametrize(("status", "code", "cls"), [
    (400, "bad_request", errors.BadRequest),
    (400, "invalid_phone", errors.BadRequest),
    (401, "unauthorized", errors.Unauthorized),
    (401, "token_expired", errors.TokenExpired),
    (403, "not_member", errors.Forbidden),
    (404, "chat_not_found", errors.NotFound),
    (409, "key_conflict", errors.Conflict),
    (422, "bad_signature", errors.Unprocessable),
    (429, "rate_limited", errors.RateLimited),
    (500, "internal", errors.ServerError),
    (503, "unavailable", errors.ServerError),
    (418, "teapot", errors.ApiError),
    (200, "odd", errors.ApiError),
])
def test_error_envelope_maps_to_class(status: int, code: str, cls: type) -> None:
    details = [{"chatId": "c", "cid": "x", "code": code}]
    with pytest.raises(errors.ApiError) as info:
        parse_envelope(status, failure(code, "why", details))
    assert type(info.value) is cls
    assert (info.value.status, info.value.code, info.value.message) == (status, code, "why")
    assert info.value.details == details


def test_unauthorized_is_not_token_expired_for_other_codes() -> None:
    with pytest.raises(errors.Unauthorized) as info:
        parse_envelope(401, failure("unauthorized"))
    assert not isinstance(info.value, errors.TokenExpired)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": "0"}, 0.0),
    ({"RETRY-AFTER": " 12 "}, 12.0),
    ({"Retry-After": "soon"}, None),
    ({"Retry-After": "-3"}, None),
    ({"Retry-After": "1.5"}, None),
    ({}, None),
    (None, None),
])
def test_rate_limited_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    with pytest.raises(errors.RateLimited) as info:
        parse_envelope(429, failure("rate_limited"), headers)
    assert info.value.retry_after == expected


@pytest.mark.parametrize(("payload", "match"), [
    (b"", "not valid JSON"),
    (b"<html>oops</html>", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[]", "not a JSON object"),
    (b'"success"', "not a JSON object"),
    (b"{}", "success"),
    (b'{"success": "true", "data": 1}', "success"),
    (b'{"success": 1, "data": 1}', "success"),
    (b'{"success": true}', "without \\\"data\\\""),
    (b'{"success": false}', "without \\\"error\\\""),
    (b'{"success": false, "error": {"code": "x"}}', "error.message"),
    (b'{"success": false, "error": {"code": 5, "message": "m"}}', "error.code"),
    (b'{"success": true, "data": NaN}', "not valid JSON"),
    (b'{"success": true, "data": 1, "data": 2}', "duplicate key"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_not_an_envelope_is_a_protocol_error(payload: bytes, match: str) -> None:
    with pytest.raises(errors.ProtocolError, match=match):
        parse_envelope(200, payload)
    with pytest.raises(errors.ProtocolError, match=match):
        parse_envelope(404, payload)


def test_success_on_error_status_is_a_protocol_error() -> None:
    with pytest.raises(errors.ProtocolError, match="status 500"):
        parse_envelope(500, body({"success": True, "data": 1}))
    with pytest.raises(errors.ProtocolError, match="status 302"):
        parse_envelope(302, body({"success": True, "data": 1}))


@pytest.mark.parametrize(("status", "cls"), [(502, errors.ServerError),
                                              (429, errors.RateLimited)])
def test_proxy_error_page_keeps_retryable_class(status: int, cls: type) -> None:
    with pytest.raises(cls) as info:
        parse_envelope(status, b"<html>Bad Gateway</html>", {"Retry-After": "3"})
    assert info.value.code == "invalid_envelope"


def test_body_over_cap_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_BODY_BYTES == 256 * 1024 * 1024
    monkeypatch.setattr(envelope, "MAX_BODY_BYTES", 64)  # not allocate 256 MB in a unit test
    ok = body({"success": True, "data": "x" * 20})
    assert len(ok) <= 64
    assert parse_envelope(200, ok) == "x" * 20
    with pytest.raises(errors.ResponseTooLarge, match="over 64 bytes"):
        parse_envelope(200, body({"success": True, "data": "x" * 40}))
    with pytest.raises(errors.ResponseTooLarge):
        parse_envelope(500, b"x" * 65)  # even an error page: too large is too large
    assert issubclass(errors.ResponseTooLarge, errors.ProtocolError)


# --- requests ---


def export(i: int = 0) -> KeyExport:
    return KeyExport(chat_id=f"chat-{i}", cid="c1", pid="p1", key=b"\x01\x02", sign=b"\x03")


def test_encode_keys_request() -> None:
    assert encode_keys_request([export()]) == {"keys": [
        {"chatId": "chat-0", "cid": "c1", "pid": "p1", "key": b64encode(b"\x01\x02"),
         "sign": b64encode(b"\x03")}]}
    wire = encode_keys_request([export(i) for i in range(MAX_KEYS_PER_REQUEST)])
    assert len(wire["keys"]) == MAX_KEYS_PER_REQUEST
    assert KeysRequest.model_validate(wire).keys[5].chat_id == "chat-5"


@pytest.mark.parametrize("entries", [
    [],
    [export(i) for i in range(MAX_KEYS_PER_REQUEST + 1)],
    [KeyExport(chat_id="", cid="c", pid="p", key=b"k", sign=b"s")],
    [KeyExport(chat_id="c", cid="c", pid="p", key=b"", sign=b"s")],
])
def test_encode_keys_request_refuses(entries: list[KeyExport]) -> None:
    with pytest.raises(ValueError, match="entries|invalid key entry"):
        encode_keys_request(entries)


@pytest.mark.parametrize("keys", [
    [],
    [{"chatId": "c", "cid": "x", "pid": "p", "key": "AAAA"}],
    [{"chatId": "c", "cid": "x", "pid": "p", "key": "AAAA", "sign": "not b64"}],
    [{"chatId": "c", "cid": "x", "pid": "p", "key": "", "sign": "AAAA"}],
    [{"chatId": 1, "cid": "x", "pid": "p", "key": "AAAA", "sign": "AAAA"}],
])
def test_keys_request_model_refuses(keys: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        KeysRequest.model_validate({"keys": keys})


def test_strict_models_do_not_coerce() -> None:
    with pytest.raises(errors.ProtocolError, match="registered"):
        parse_model(KeysResponse, {"registered": "3"})
    with pytest.raises(errors.ProtocolError, match="registered"):
        parse_model(KeysResponse, {"registered": True})
    assert parse_model(KeysResponse, {"registered": 3, "more": 1}).registered == 3


def test_confirm_data_decodes_certificates() -> None:
    wire = {"token": "t", "pid": "p", "cid": "c", "certificate": encode_certificate(cert_pem()),
            "hash": "h", "caCertificate": encode_certificate(cert_pem("ca"))}
    data = parse_model(ConfirmData, wire)
    assert data.certificate_pem == decode_certificate(cert_pem())
    assert data.ca_certificate_pem == decode_certificate(cert_pem("ca"))
    assert data.model_dump()["caCertificate"] == wire["caCertificate"]
    with pytest.raises(errors.ProtocolError, match="certificate"):
        parse_model(ConfirmData, dict(wire, certificate="AAAA"))


def test_challenge_nonce_is_bytes() -> None:
    nonce = bytes(range(32))
    assert parse_model(ChallengeResponse, {"nonce": b64encode(nonce)}).nonce == nonce
    with pytest.raises(errors.ProtocolError):
        parse_model(ChallengeResponse, {"nonce": "%%%%"})


def test_models_validate_fastapi_bodies() -> None:
    app = FastAPI()

    @app.post("/confirm")
    def confirm(req: ConfirmRequest) -> dict[str, Any]:
        return {"phone": req.phone, "companyId": req.company_id, "type": req.type}

    @app.post("/token")
    def token(req: TokenRequest) -> dict[str, Any]:
        return {"nonce_len": len(req.nonce)}

    asyncio.run(_exercise(app))
    assert "/token" in app.openapi()["paths"]


async def _exercise(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.post("/confirm", json={
            "phone": "79123456789", "code": "1234", "csr": "AAAA", "companyId": "co", "type": 2})
        assert ok.json() == {"phone": "79123456789", "companyId": "co", "type": 2}
        bad = await client.post("/confirm", json={"phone": "7", "code": "1", "csr": "x",
                                                  "type": "2"})
        assert bad.status_code == 422
        empty = await client.post("/confirm", json={"phone": "7", "code": "", "csr": "x"})
        assert empty.status_code == 422
        good = {"cid": "c", "nonce": b64encode(b"n" * 32), "sign": b64encode(b"s")}
        assert (await client.post("/token", json=good)).json() == {"nonce_len": 32}
        assert (await client.post("/token", json=dict(good, sign="!!"))).status_code == 422
