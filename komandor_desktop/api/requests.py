"""Pure request builders and response parsers of the Komandor API.

Each client method is build -> send -> parse (the matrix-nio shape): the
builders here turn arguments into an ``ApiRequest`` value and the parsers turn
an envelope's ``data`` into what the method returns. Neither does I/O, so both
are tested without a server and the client only moves bytes between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..domain import ChatsSnapshot, KeyExport
from ..errors import ProtocolError
from ..protocol import ParseMemo, b64encode, encode_keys_body, parse_chats, parse_model
from ..protocol.models import (
    ChallengeResponse,
    CodeResponse,
    ConfirmData,
    KeysResponse,
    TokenResponse,
)

CHATS_PATH = "/api/v2/chats/"
KEYS_PATH = "/api/v2/chatsKeys/"
CODE_PATH = "/api/v2/auth/code/"
CONFIRM_PATH = "/api/v2/auth/confirm/"
CHALLENGE_PATH = "/api/v2/auth/challenge/"
TOKEN_PATH = "/api/v2/auth/token/"


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One HTTP request before it is sent.

    ``authenticated`` is False for the auth endpoints (PROTOCOL.md §1: every
    request but the auth ones carries the bearer token); those never carry a
    token and never trigger a re-sign-in. A body is either ``json`` (encoded
    when sent) or ``content``, JSON already encoded (large bodies are encoded
    off the event loop).
    """

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: dict[str, Any] | None = None
    content: bytes | None = field(default=None, repr=False)
    authenticated: bool = True
    label: str = field(default="", compare=False)  # for retry messages


def build_get_chats(phones: Sequence[str] = ()) -> ApiRequest:
    """``GET /api/v2/chats/``; ``phones`` go as repeated query parameters (§7)."""
    if isinstance(phones, str):  # a lone string would be split into characters
        raise TypeError("phones must be a sequence of strings, not a string")
    params = tuple(("phones", phone) for phone in phones)
    return ApiRequest("GET", CHATS_PATH, params=params, label="fetching chats")


def build_register_keys(entries: Sequence[KeyExport]) -> ApiRequest:
    """``POST /api/v2/chatsKeys/`` with the entries encoded as §6 says (as bytes)."""
    return ApiRequest(
        "POST", KEYS_PATH, content=encode_keys_body(entries), label="registering keys"
    )


def build_request_code(phone: str) -> ApiRequest:
    return ApiRequest(
        "POST", CODE_PATH, json={"phone": phone}, authenticated=False, label="requesting a code"
    )


def build_confirm(
    phone: str,
    code: str,
    csr_pem: str,
    *,
    name: str | None = None,
    company: str | None = None,
    company_id: str | None = None,
    title: str | None = None,
    profile_type: int | None = None,
) -> ApiRequest:
    """``POST /api/v2/auth/confirm/``; the CSR goes as base64 of its PEM text.

    Optional fields are left out rather than sent as null, so a strict server
    sees only what the user gave.
    """
    body: dict[str, Any] = {"phone": phone, "code": code, "csr": b64encode(csr_pem.encode("ascii"))}
    optional = {
        "name": name,
        "company": company,
        "companyId": company_id,
        "title": title,
        "type": profile_type,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    return ApiRequest(
        "POST", CONFIRM_PATH, json=body, authenticated=False, label="confirming the code"
    )


def build_challenge(cid: str) -> ApiRequest:
    return ApiRequest(
        "POST", CHALLENGE_PATH, json={"cid": cid}, authenticated=False, label="signing in"
    )


def build_sign_in(cid: str, nonce: bytes, signature: bytes) -> ApiRequest:
    body = {"cid": cid, "nonce": b64encode(nonce), "sign": b64encode(signature)}
    return ApiRequest("POST", TOKEN_PATH, json=body, authenticated=False, label="signing in")


def parse_get_chats(data: Any, memo: ParseMemo | None = None) -> ChatsSnapshot:
    return parse_chats(data, memo)


def parse_register_keys(data: Any) -> int:
    """The ``registered`` count of new keys."""
    return parse_model(KeysResponse, data).registered


def parse_request_code(data: Any) -> None:
    if not parse_model(CodeResponse, data).sent:
        raise ProtocolError("the server did not send a confirmation code")


def parse_confirm(data: Any) -> ConfirmData:
    return parse_model(ConfirmData, data)


def parse_challenge(data: Any) -> bytes:
    """The nonce bytes (the model refuses a missing, empty or non-base64 one)."""
    return parse_model(ChallengeResponse, data).nonce


def parse_sign_in(data: Any) -> str:
    token = parse_model(TokenResponse, data).token
    if any(c.isspace() or not c.isprintable() for c in token):
        raise ProtocolError("the token cannot go in an Authorization header")
    return token
