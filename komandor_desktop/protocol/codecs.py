"""Field codecs of the wire (PROTOCOL.md §2): base64, certificates, phones, times, ids.

Every function here is pure and strict: the server is untrusted, so anything
that is not exactly the documented encoding raises ``ValueError`` (or
``InvalidPhone`` for user input) instead of being guessed at. The few
documented leniencies (PEM or DER certificates, timestamps in seconds or
ISO 8601) are spelled out where they are implemented.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from ..errors import InvalidPhone

MAX_ID_LENGTH = 128
# Largest accepted time: 9999-12-31T23:59:59.999Z, so every value fits SQLite's int64
# and datetime; a bigger number is junk, not a date.
MAX_TIMESTAMP_MS = 253_402_300_799_999
SECONDS_THRESHOLD = 10**11  # below this, an integer time is in seconds (PROTOCOL.md §2)

PHONE_RE = re.compile(r"79[0-9]{9}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# A lone surrogate is not Unicode text: it cannot be UTF-8 encoded (SQLite, files, logs).
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_ISO_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ].*)?", re.DOTALL)
# Characters people type or paste between digits: any Unicode space, brackets, dashes.
_PHONE_JUNK_RE = re.compile(r"[\s()\-\u2010\u2011\u2012\u2013\u2014\u2212]")
_DIGITS_RE = re.compile(r"[0-9]+")

PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
PEM_END = "-----END CERTIFICATE-----"
_PEM_RE = re.compile(
    r"\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----\s*"
)


# --- base64 ---------------------------------------------------------------------------


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4), as every binary field is sent."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode standard padded base64, refusing anything else.

    Whitespace, the URL-safe alphabet, missing padding and non-canonical
    trailing bits are all refused: a value has exactly one spelling, so two
    peers can never disagree about which bytes a field holds.

    Raises:
        ValueError: ``text`` is not a canonical standard base64 string.
    """
    if not isinstance(text, str):
        raise ValueError(f"base64 value must be a string, not {type(text).__name__}")
    if len(text) % 4 or not text.isascii():
        raise ValueError("not standard base64 with padding")
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        raise ValueError("not standard base64 with padding") from None
    # strict_mode still takes surplus "=" and set padding bits: compare the last quantum.
    rest = len(data) % 3
    if text.endswith("=") and (
        rest == 0 or binascii.b2a_base64(data[-rest:], newline=False) != text[-4:].encode()
    ):
        raise ValueError("non-canonical base64 (extra padding or padding bits not zero)")
    return data


# --- certificates ---------------------------------------------------------------------


def _check_der_sequence(der: bytes) -> None:
    """Check that ``der`` is one complete DER SEQUENCE, nothing before or after.

    This is no X.509 parse (``crypto`` does that); it only tells a certificate's
    bytes from other base64 payloads and from trailing garbage.
    """
    if len(der) < 2 or der[0] != 0x30:
        raise ValueError("not a DER certificate (no SEQUENCE)")
    first = der[1]
    if first < 0x80:
        header, length = 2, first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(der) < 2 + count:
            raise ValueError("not a DER certificate (bad length)")
        header, length = 2 + count, int.from_bytes(der[2 : 2 + count], "big")
    if header + length != len(der):
        raise ValueError("not a DER certificate (length does not match the data)")


def der_to_pem(der: bytes) -> str:
    """Wrap DER bytes as PEM text: 64-character lines, trailing newline."""
    body = b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([PEM_BEGIN, *lines, PEM_END]) + "\n"


def pem_to_der(pem: str) -> bytes:
    """The DER bytes of a PEM text holding exactly one certificate.

    Raises:
        ValueError: not exactly one PEM certificate with a valid DER body.
    """
    match = _PEM_RE.fullmatch(pem)
    if match is None:
        raise ValueError("not exactly one PEM certificate")
    der = b64decode("".join(match.group(1).split()))
    _check_der_sequence(der)
    return der


def decode_certificate(wire: str) -> str:
    """Turn a wire ``certificate`` value into normalised PEM text of one certificate.

    The profile sends base64 of the PEM text; readers also accept raw PEM text
    and base64 of DER (PROTOCOL.md §2). Whatever the form, the result is the
    same normalised PEM, so equal certificates compare equal.

    Raises:
        ValueError: none of the three forms fits.
    """
    if not isinstance(wire, str):
        raise ValueError(f"certificate must be a string, not {type(wire).__name__}")
    if PEM_BEGIN in wire:
        return der_to_pem(pem_to_der(wire))
    data = b64decode(wire)
    if data[:1] == b"\x30":
        _check_der_sequence(data)
        return der_to_pem(data)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("certificate is neither PEM nor DER") from None
    return der_to_pem(pem_to_der(text))


def encode_certificate(pem: str) -> str:
    """Base64 of the PEM text: the ``certificate`` field as servers send it."""
    return b64encode(pem.encode("utf-8"))


# --- phones ---------------------------------------------------------------------------


def normalize_phone(text: str) -> str:
    """Normalise a user-typed Russian mobile number to ``79XXXXXXXXX`` (PROTOCOL.md §2).

    Spaces (any Unicode space), brackets and dashes (ASCII and the Unicode
    dashes people paste) are dropped, then one leading ``+``; ``8`` in front of
    10 digits becomes ``7``; 10 digits starting with ``9`` get a ``7`` in front.

    Raises:
        InvalidPhone: the result is not ``79`` followed by 9 digits.
    """
    if not isinstance(text, str):
        raise InvalidPhone([repr(text)])
    digits = _PHONE_JUNK_RE.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if _DIGITS_RE.fullmatch(digits) is None:
        raise InvalidPhone([text])
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    if PHONE_RE.fullmatch(digits) is None:
        raise InvalidPhone([text])
    return digits


def normalize_phones(texts: Iterable[str]) -> list[str]:
    """Normalise every number, one result per input, in order.

    All invalid inputs are reported together, so the user fixes them in one go
    and nothing is sent while any is wrong.

    Raises:
        InvalidPhone: with ``texts`` = every input that could not be normalised.
    """
    items = [texts] if isinstance(texts, str) else list(texts)
    good: list[str] = []
    bad: list[str] = []
    for item in items:
        try:
            good.append(normalize_phone(item))
        except InvalidPhone as exc:
            bad.extend(exc.texts)
    if bad:
        raise InvalidPhone(bad)
    return good


# --- timestamps -----------------------------------------------------------------------


def _iso_to_ms(text: str) -> int:
    """Milliseconds of an ISO 8601 date-time; no zone means UTC."""
    if _ISO_RE.fullmatch(text) is None:
        raise ValueError(f"not an ISO 8601 date-time: {text[:40]!r}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def parse_timestamp(value: int | str) -> int:
    """A wire time as integer Unix milliseconds (PROTOCOL.md §2).

    Integers are milliseconds, or seconds when below 10^11; strings are ISO
    8601. Booleans and floats are refused (JSON ``true`` is not a time), as are
    negative times and times after the year 9999.

    Raises:
        ValueError: not a valid time.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"time must be an integer or an ISO 8601 string, not {value!r:.40}")
    if isinstance(value, str):
        ms = _iso_to_ms(value)
    else:
        ms = value * 1000 if 0 <= value < SECONDS_THRESHOLD else value
    if ms < 0:
        raise ValueError("time must not be negative")
    if ms > MAX_TIMESTAMP_MS:
        raise ValueError("time is after the year 9999")
    return ms


# --- ids ------------------------------------------------------------------------------


def check_id(value: str) -> str:
    """Return ``value`` if it is a valid id (PROTOCOL.md §2), else raise ``ValueError``.

    Ids are opaque, but they end up in file names, SQL rows, logs and the
    window, so empty, overlong or control-character ids are refused.
    """
    if not isinstance(value, str):
        raise ValueError(f"id must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError("id must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"id is longer than {MAX_ID_LENGTH} characters")
    if _CONTROL_RE.search(value):
        raise ValueError("id contains a control character")
    if _SURROGATE_RE.search(value):
        raise ValueError("id contains a lone surrogate (not Unicode text)")
    return value
