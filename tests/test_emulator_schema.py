"""schemathesis against the emulator's own OpenAPI document, in process (ASGI).

Every operation gets generated requests, valid and invalid, with a real token
and without one. Checked: no 5xx, only the status codes the document lists,
the content type and the response schema of the documented answer. And the
rule that schemathesis cannot know: a request without a token is a 401
whatever its body (PROTOCOL.md §6 rule 1), never FastAPI's 422.

Bounded (a few dozen examples per operation) so the module runs in well under
a minute.
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from komandor_desktop import crypto
from komandor_desktop.emulator.asgi import create_asgi_app
from komandor_desktop.emulator.config import EmulatorConfig

PHONE = "79990000051"
def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request to the app in process (httpx, as the client's own tests do)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(send())


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# The schema is loaded at import (schemathesis parametrizes at collection), so the
# app and its database directory exist from then on; ``app`` cleans them up.
_DB_DIR = tempfile.TemporaryDirectory(prefix="komandor-schema-")
APP = create_asgi_app(EmulatorConfig(db_url=f"sqlite:///{Path(_DB_DIR.name) / 'emulator.sqlite3'}"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    yield APP
    APP.state.emulator.close()
    _DB_DIR.cleanup()


@pytest.fixture(scope="module")
def token(app: Any) -> str:
    """A real token: code, then confirm with a CSR (PROTOCOL.md §7)."""
    csr = crypto.make_csr(crypto.generate_private_key("p256"), phone=PHONE, name="Схема")
    assert call(app, "POST", "/api/v2/auth/code/", json={"phone": PHONE}).status_code == 200
    answer = call(app, "POST", "/api/v2/auth/confirm/", json={
        "phone": PHONE, "code": "1111", "csr": base64.b64encode(csr.encode()).decode()})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["token"])


_BOUNDED = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@schema.parametrize()
@_BOUNDED
def test_signed_in_requests_get_documented_answers(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@_BOUNDED
def test_anonymous_requests_get_documented_answers(case: Any, app: Any) -> None:
    response = case.call()
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/v2/chats/", None),
    ("GET", "/api/v2/chats", None),
    ("POST", "/api/v2/chatsKeys/", {"keys": "not even a list"}),
    ("POST", "/api/v2/chatsKeys/", {"keys": []}),
    ("POST", "/api/v2/chatsKeys", "]["),
])
def test_missing_token_is_401_not_422(app: Any, method: str, path: str, body: Any) -> None:
    if isinstance(body, str):
        response = call(app, method, path, content=body,
                        headers={"Content-Type": "application/json"})
    else:
        response = call(app, method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", [b"", b"Bearer", b"Bearer ", b"Basic abc", b"Bearer a.b.c",
                                    b"Bearer \xe9", b"Bearer " + b"a" * 10000])
def test_bad_token_is_401(app: Any, header: bytes) -> None:
    response = call(app, "GET", "/api/v2/chats/", headers={"Authorization": header})
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("path", ["/api/v2/auth/code/", "/api/v2/auth/confirm/",
                                  "/api/v2/auth/challenge/", "/api/v2/auth/token/"])
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"phone": "\xff"}', b"\x00"])
def test_hostile_bodies_are_400_not_500(app: Any, path: str, body: bytes) -> None:
    """Bodies schemathesis does not generate: nesting past the parser's recursion
    limit, invalid UTF-8, a NUL byte."""
    response = call(app, "POST", path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


def test_deeply_nested_key_registration_is_400(app: Any, token: str) -> None:
    response = call(app, "POST", "/api/v2/chatsKeys/", content=b"[" * 100_000,
                    headers={"Authorization": f"Bearer {token}",
                             "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
