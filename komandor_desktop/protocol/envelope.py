"""The JSON envelope of every response (PROTOCOL.md §1) and request bodies.

``parse_envelope`` is the one gate every response body passes: size cap, JSON,
envelope shape, then either the ``data`` or the ``ApiError`` subclass that the
status code names, so callers can ``except Conflict`` instead of comparing codes.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..bulk import paused_gc
from ..domain import KeyExport
from ..errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ProtocolError,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TokenExpired,
    Unauthorized,
    Unprocessable,
)
from .codecs import b64encode, check_id
from .models import MAX_KEYS_PER_REQUEST, Envelope

MAX_BODY_BYTES = 256 * 1024 * 1024
MAX_PHOTO_BYTES = 1024 * 1024
DECODE_SLICE = 256 * 1024  # bytes decoded per call: each call holds the GIL throughout
Body = bytes | Sequence[bytes]  # a body, or its chunks as they were read

_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}

M = TypeVar("M", bound=BaseModel)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse objects with a key twice: parsers disagree on which one wins."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r} in a JSON object")
            seen.add(key)
    return result


class Chunks(list[bytes]):
    """A body's chunks handed over to the parser, which empties the list as it
    decodes them: each chunk is freed once it is text, so a 30 MB listing is
    not held as bytes and as text at once (and its caller, still holding the
    list while the parser runs in a thread, holds nothing)."""


def _utf8(body: Body) -> str:
    """The body's text, decoded ``DECODE_SLICE`` at a time (a sequence split
    between chunks is joined by the incremental decoder): joining and decoding
    20 MB in one call each would hold the GIL for tens of milliseconds.
    ``Chunks`` are consumed (see there); any other body is left as it is."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts: list[str] = []

    def decode(chunk: bytes | bytearray | memoryview) -> None:
        view = memoryview(chunk)
        parts.extend(decoder.decode(view[start:start + DECODE_SLICE])
                     for start in range(0, len(view), DECODE_SLICE))

    if isinstance(body, Chunks):
        body.reverse()  # pop() from the end is O(1): the first chunk is last now
        while body:
            decode(body.pop())
    elif isinstance(body, bytes | bytearray | memoryview):
        decode(body)
    else:
        for chunk in body:
            decode(chunk)
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def loads_strict(body: Body) -> Any:
    """Parse a UTF-8 JSON body (or its chunks); no NaN/Infinity, no duplicate keys.

    The duplicate check (a Python hook per object) also lets other threads
    take the GIL while a long listing is parsed, which a plain ``json.loads``
    (one C call) would not. JSON makes no cycles, so the collector is paused:
    tens of thousands of new objects would set it off again and again.

    Raises:
        ProtocolError: the body is not such JSON.
    """
    try:
        text = _utf8(body)
        with paused_gc():
            return json.loads(text, parse_constant=_no_constant,
                              object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise ProtocolError("the response body is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"the response body is not valid JSON: {exc}") from None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """``Retry-After`` in whole seconds (PROTOCOL.md §1); anything else is ignored."""
    value = (_header(headers, "Retry-After") or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    return float(int(value))


def _api_error(status: int, code: str, message: str, details: Any,
               headers: Mapping[str, str] | None) -> ApiError:
    """The ``ApiError`` subclass for ``status`` (and ``code`` for 401)."""
    if status == 429:
        return RateLimited(status, code, message, details, retry_after=_retry_after(headers))
    if status == 401 and code == "token_expired":
        return TokenExpired(status, code, message, details)
    if 500 <= status <= 599:
        return ServerError(status, code, message, details)
    return _BY_STATUS.get(status, ApiError)(status, code, message, details)


def parse_envelope(status: int, body: Body, headers: Mapping[str, str] | None = None) -> Any:
    """Check a response (its body, or the body's chunks in order) and return its ``data``.

    A 5xx or 429 whose body is no envelope (a proxy's error page) still raises
    ``ServerError``/``RateLimited`` with code ``invalid_envelope``, so that the
    retry policy for those statuses applies; any other non-envelope body is a
    ``ProtocolError``.

    Raises:
        ResponseTooLarge: the body is over ``MAX_BODY_BYTES``.
        ProtocolError: the body is not an envelope, or says success on an error status.
        ApiError: (a subclass by status) the server answered with an error envelope.
    """
    size = (len(body) if isinstance(body, bytes | bytearray | memoryview)
            else sum(len(c) for c in body))
    if size > MAX_BODY_BYTES:
        raise ResponseTooLarge(f"the response body is over {MAX_BODY_BYTES} bytes")
    try:
        envelope = _read_envelope(body)
    except ProtocolError as exc:
        if status == 429 or 500 <= status <= 599:
            raise _api_error(status, "invalid_envelope", str(exc), None, headers) from None
        raise
    if envelope.success:
        if not 200 <= status <= 299:
            raise ProtocolError(f"a success envelope with HTTP status {status}")
        return envelope.data
    assert envelope.error is not None  # _read_envelope guarantees it
    err = envelope.error
    raise _api_error(status, err.code, err.message, err.details, headers)


def _read_envelope(body: Body) -> Envelope:
    raw = loads_strict(body)
    if not isinstance(raw, dict):
        raise ProtocolError("the response body is not an envelope (not a JSON object)")
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        raise ProtocolError(f"the response body is not an envelope: {describe(exc)}") from None
    if envelope.success and "data" not in raw:
        raise ProtocolError("a success envelope without \"data\"")
    if not envelope.success and envelope.error is None:
        raise ProtocolError("a failure envelope without \"error\"")
    return envelope


def describe(exc: ValidationError, limit: int = 3) -> str:
    """A short, readable summary of a pydantic error: ``field.path: message; ...``."""
    parts = []
    errors = exc.errors(include_url=False, include_input=False)
    for error in errors[:limit]:
        loc = ".".join(str(p) for p in error["loc"]) or "(value)"
        parts.append(f"{loc}: {error['msg']}")
    if len(errors) > limit:
        parts.append(f"and {len(errors) - limit} more")
    return "; ".join(parts)


def parse_model(model: type[M], data: Any) -> M:
    """Validate an envelope's ``data`` against a response model.

    Raises:
        ProtocolError: ``data`` does not fit ``model``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(f"unexpected {model.__name__}: {describe(exc)}") from None


def encode_keys_request(entries: Sequence[KeyExport]) -> dict[str, Any]:
    """The JSON body of ``POST /api/v2/chatsKeys/``: ``{"keys": [...]}``.

    The checks are ``KeysRequest``'s (the server's model), written out: a
    first sync sends 10,000 entries, and building a pydantic model per entry
    cost more than the rest of the request on the event loop.

    Raises:
        ValueError: no entries, more than ``MAX_KEYS_PER_REQUEST``, or an entry
            that the server would refuse (bad id, empty key or signature).
    """
    if not 1 <= len(entries) <= MAX_KEYS_PER_REQUEST:
        raise ValueError(f"a key registration holds 1 to {MAX_KEYS_PER_REQUEST} entries, "
                         f"not {len(entries)}")
    return {"keys": [_key_entry(index, e) for index, e in enumerate(entries)]}


def encode_keys_body(entries: Sequence[KeyExport]) -> bytes:
    """``encode_keys_request`` as the UTF-8 JSON bytes that are sent (compact)."""
    return json.dumps(encode_keys_request(entries), separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _key_entry(index: int, entry: KeyExport) -> dict[str, str]:
    """One ``KeyEntry`` on the wire; ``ValueError`` names the entry and the field."""
    try:
        for name in ("chat_id", "cid", "pid"):
            try:
                check_id(getattr(entry, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        for name in ("key", "sign"):
            value = getattr(entry, name)
            if not isinstance(value, bytes | bytearray) or not value:
                raise ValueError(f"{name}: must be non-empty bytes")
    except ValueError as exc:
        raise ValueError(f"invalid key entry: keys.{index}.{exc}") from None
    return {"chatId": entry.chat_id, "cid": entry.cid, "pid": entry.pid,
            "key": b64encode(entry.key), "sign": b64encode(entry.sign)}
