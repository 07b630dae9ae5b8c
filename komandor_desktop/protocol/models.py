"""Strict pydantic models of every request and response body (PROTOCOL.md, section 6).

Strict mode, because the server is untrusted: ``"3"`` is not ``3`` and ``true``
is not ``1``. Unknown fields are ignored (PROTOCOL.md §1). Field names are
snake_case with the wire's camelCase as aliases; ``populate_by_name`` lets the
emulator build them by name and FastAPI validate request bodies by alias.

These models stay inside ``protocol`` and the emulator: what crosses into the
client's other layers is a ``domain`` dataclass (``chats.parse_chats``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from .codecs import b64decode, b64encode, check_id, decode_certificate, parse_timestamp

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_KEYS_PER_REQUEST = 1000


def _nonempty_b64(value: Any) -> bytes:
    """Decode a base64 wire string; bytes given by Python code (never JSON) pass as they are."""
    data = bytes(value) if isinstance(value, bytes | bytearray) else b64decode(value)
    if not data:
        raise ValueError("must not be empty")
    return data


def _certificate_text(value: str) -> str:
    decode_certificate(value)  # raises ValueError when it is no certificate
    return value


Id = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(check_id)]
"""An opaque id: non-empty, at most 128 characters, no control characters."""

B64Bytes = Annotated[
    bytes,
    PlainValidator(_nonempty_b64),
    PlainSerializer(b64encode, return_type=str),
    WithJsonSchema({"type": "string", "format": "base64", "minLength": 4}),
]
"""Non-empty bytes sent as standard padded base64 (read and written as such)."""

Timestamp = Annotated[
    int,
    PlainValidator(parse_timestamp),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}),
]
"""A time read as ms, seconds or ISO 8601 and held as Unix milliseconds."""

CertificateText = Annotated[str, AfterValidator(_certificate_text)]
"""A ``certificate`` wire value that decodes to one certificate (kept as sent)."""

NonEmpty = Annotated[str, Field(min_length=1)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


class WireModel(BaseModel):
    """Base of all wire models: strict, camelCase aliases, extra fields ignored."""

    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
    )


# --- envelope (PROTOCOL.md §1) ---------------------------------------------------------


class ErrorBody(WireModel):
    """The ``error`` object of a failure envelope."""

    code: str
    message: str
    details: Any = None


class Envelope(WireModel):
    """``{"success": true, "data": ...}`` or ``{"success": false, "error": {...}}``."""

    success: bool
    data: Any = None
    error: ErrorBody | None = None


# --- GET /api/v2/chats/ (section 6.2, PROTOCOL.md §2-§3) -------------------------------


class CertificateEntry(WireModel):
    """One entry of ``certificates`` or ``waitList``.

    ``certificate`` stays a plain string here: one that cannot be decoded keeps
    its chat (``crypto`` rejects it later as unparsable, PROTOCOL.md §4).
    """

    pid: Id
    cid: Id
    certificate: str
    hash: str


class ChatKeyWire(WireModel):
    """``chatKey``: the export for the viewer's certificate, plus this profile's signer fields.

    ``hash`` of the signer's certificate is not in PROTOCOL.md; it is read when a
    server sends it (our emulator does) and otherwise computed from the DER.
    """

    id: Id
    key: B64Bytes
    cid: Id | None = None
    pid: Id | None = None
    certificate: str | None = None
    hash: str | None = None
    sign: B64Bytes | None = None


class ChatWire(WireModel):
    """One chat object of ``GET /api/v2/chats/``; the per-kind rules live in ``chats``."""

    id: Id
    status: str
    chat_type: Int64
    chat_favorites: bool | None = None
    profile_name: str | None = None
    profile_company: str | None = None
    profile_company_id: Id | None = None
    profile_title: str | None = None
    profile_phone: Annotated[str, Field(pattern=r"^79[0-9]{9}$")] | None = None
    profile_photo: str | None = None
    profile_type: Int64 | None = None
    profile_verified: bool | None = None
    certificates: list[CertificateEntry]
    chat_name: str | None = None
    chat_key: ChatKeyWire | None = None
    wait_list: list[CertificateEntry] | None = None
    last_message_text: B64Bytes | None = None
    last_message_status: Int64 | None = None
    last_message_time: Timestamp | None = None
    unread_messages: Annotated[int, Field(ge=0, le=INT64_MAX)]


# --- POST /api/v2/chatsKeys/ (section 6.1, PROTOCOL.md §6) -----------------------------


class KeyEntry(WireModel):
    """One exported key: ``{chatId, cid, pid, key, sign}``, all five required."""

    chat_id: Id
    cid: Id
    pid: Id
    key: B64Bytes
    sign: B64Bytes


class KeysRequest(WireModel):
    """``{"keys": [...]}`` with 1 to 1000 entries.

    Duplicate ``(chatId, cid)`` pairs are not refused here: the server answers
    them with ``details`` naming each entry, so it checks them itself.
    """

    keys: Annotated[list[KeyEntry], Field(min_length=1, max_length=MAX_KEYS_PER_REQUEST)]


class KeysResponse(WireModel):
    """``{"registered": <number of new keys>}``."""

    registered: Annotated[int, Field(ge=0)]


# --- emulator extensions (PROTOCOL.md §7) ----------------------------------------------


class CodeRequest(WireModel):
    """``POST /api/v2/auth/code/``.

    ``phone`` is any string here; the server normalises it with
    ``normalize_phone`` so that a bad one gets ``invalid_phone``, not a schema error.
    """

    phone: str


class CodeResponse(WireModel):
    """``{"sent": true}``: no SMS is sent by the emulator."""

    sent: bool


class ConfirmRequest(WireModel):
    """``POST /api/v2/auth/confirm/``: phone, code and a base64 PEM CSR, plus profile data."""

    phone: str
    code: NonEmpty
    csr: NonEmpty
    name: str | None = None
    company: str | None = None
    company_id: Id | None = None
    title: str | None = None
    type: Annotated[int, Field(ge=1, le=3)] | None = None


class ConfirmData(WireModel):
    """The answer to a confirm: token, ids, the issued certificate and the CA's."""

    token: NonEmpty
    pid: Id
    cid: Id
    certificate: CertificateText
    hash: NonEmpty
    ca_certificate: CertificateText

    @property
    def certificate_pem(self) -> str:
        """The issued certificate as normalised PEM text."""
        return decode_certificate(self.certificate)

    @property
    def ca_certificate_pem(self) -> str:
        """The emulator CA's certificate (the trust anchor) as normalised PEM text."""
        return decode_certificate(self.ca_certificate)


class ChallengeRequest(WireModel):
    """``POST /api/v2/auth/challenge/`` ``{"cid"}``."""

    cid: Id


class ChallengeResponse(WireModel):
    """``{"nonce": <base64 of 32 random bytes>}``; ``nonce`` holds the decoded bytes."""

    nonce: B64Bytes


class TokenRequest(WireModel):
    """``POST /api/v2/auth/token/`` ``{"cid", "nonce", "sign"}`` (sign over the nonce bytes)."""

    cid: Id
    nonce: B64Bytes
    sign: B64Bytes


class TokenResponse(WireModel):
    """``{"token": <JWT>}``."""

    token: NonEmpty


__all__ = [
    "B64Bytes",
    "CertificateEntry",
    "CertificateText",
    "ChallengeRequest",
    "ChallengeResponse",
    "ChatKeyWire",
    "ChatWire",
    "CodeRequest",
    "CodeResponse",
    "ConfirmData",
    "ConfirmRequest",
    "Envelope",
    "ErrorBody",
    "Id",
    "KeyEntry",
    "KeysRequest",
    "KeysResponse",
    "TokenRequest",
    "TokenResponse",
    "Timestamp",
    "WireModel",
]
