"""Field codecs: phones, base64, certificates, timestamps, ids (PROTOCOL.md §2)."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from test_protocol_support import cert_der, cert_pem

from komandor_desktop.errors import InvalidPhone
from komandor_desktop.protocol import (
    b64decode,
    b64encode,
    check_id,
    decode_certificate,
    encode_certificate,
    normalize_phone,
    normalize_phones,
    parse_timestamp,
)

GOOD_PHONES = [
    ("79123456789", "79123456789"),
    ("+79123456789", "79123456789"),
    ("+7 912 345-67-89", "79123456789"),
    ("+7 (912) 345-67-89", "79123456789"),
    ("8 (912) 345-67-89", "79123456789"),
    ("89123456789", "79123456789"),
    ("8-912-345-67-89", "79123456789"),
    ("9123456789", "79123456789"),
    ("(912) 345 67 89", "79123456789"),
    ("  +7 912 345 67 89  ", "79123456789"),
    ("7(912)3456789", "79123456789"),
    ("+7\u00a0912\u00a0345\u201367\u201389", "79123456789"),  # NBSP and en dash from a paste
    ("+7\t912 345 67 89", "79123456789"),
    ("89990001122", "79990001122"),
]

BAD_PHONES = [
    "",
    "   ",
    "+",
    "abc",
    "7912345678",  # 10 digits starting with 7
    "912345678",  # 9 digits
    "791234567890",  # 12 digits
    "+7 495 123-45-67",  # Moscow landline: 7 then 4
    "8 800 555-35-35",  # 8 800 becomes 7800: not mobile
    "4951234567",  # 10 digits not starting with 9
    "+1 912 345 67 89",
    "++79123456789",
    "79123456789+",
    "7+9123456789",
    "+7 912 345 67 8x",
    "+7.912.345.67.89",  # dots are not in the list of dropped characters
    "+7/912/3456789",
    "٧٩١٢٣٤٥٦٧٨٩",  # Arabic-Indic digits are digits to str.isdigit, not to us
    "７９１２３４５６７８９",  # fullwidth digits
    "tel:+79123456789",
    "79123456789 ext 1",
]


@pytest.mark.parametrize(("text", "expected"), GOOD_PHONES)
def test_normalize_phone_accepts(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


@pytest.mark.parametrize("text", BAD_PHONES)
def test_normalize_phone_refuses(text: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(text)
    assert info.value.texts == [text]


def test_normalize_phone_refuses_non_string() -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(79123456789)  # type: ignore[arg-type]


def test_normalize_phones_collects_every_bad_one() -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phones(["+7 912 345 67 89", "123", "89123456789", "abc"])
    assert info.value.texts == ["123", "abc"]
    assert "«123»" in str(info.value)
    assert "«abc»" in str(info.value)


def test_normalize_phones_keeps_order_and_count() -> None:
    assert normalize_phones(["9123456789", "+7 999 000 11 22", "89123456789"]) == [
        "79123456789", "79990001122", "79123456789"]
    assert normalize_phones([]) == []
    assert normalize_phones("9123456789") == ["79123456789"]  # a lone string is one number


# --- base64 ---


@pytest.mark.parametrize("data", [b"", b"f", b"fo", b"foo", b"foob", bytes(range(256))])
def test_b64_round_trip(data: bytes) -> None:
    assert b64decode(b64encode(data)) == data
    assert b64encode(data) == base64.b64encode(data).decode()


@pytest.mark.parametrize("text", [
    "Zg",  # padding missing
    "Zg=",  # padding short
    "Zm9v\n",  # newline
    " Zm9v",
    "Zm 9v",
    "Zm9v====",
    "-_-_",  # urlsafe alphabet
    "Zm9v_w==",
    "Z===",
    "Zh==",  # non-canonical: padding bits set (canonical is Zg==)
    "Zm9=",  # non-canonical (canonical Zm8=)
    "Zm9v!",
    "Zm9vYg==Zm9v",  # padding in the middle
    "ＺＭ９ｖ",
])
def test_b64decode_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="base64"):
        b64decode(text)


@pytest.mark.parametrize("value", [b"Zm9v", None, 3])
def test_b64decode_refuses_non_string(value: object) -> None:
    with pytest.raises(ValueError, match="string"):
        b64decode(value)  # type: ignore[arg-type]


# --- certificates ---


def test_decode_certificate_all_three_forms_agree() -> None:
    pem = cert_pem()
    from_pem = decode_certificate(pem)
    from_b64_pem = decode_certificate(base64.b64encode(pem.encode()).decode())
    from_b64_der = decode_certificate(base64.b64encode(cert_der()).decode())
    assert from_pem == from_b64_pem == from_b64_der
    parsed = x509.load_pem_x509_certificate(from_pem.encode())
    assert parsed.public_bytes(serialization.Encoding.DER) == cert_der()


def test_decoded_pem_is_normalised() -> None:
    out = decode_certificate(base64.b64encode(cert_der()).decode())
    lines = out.splitlines()
    assert lines[0] == "-----BEGIN CERTIFICATE-----"
    assert lines[-1] == "-----END CERTIFICATE-----"
    assert all(len(line) == 64 for line in lines[1:-2])
    assert 0 < len(lines[-2]) <= 64
    assert out.endswith("-----END CERTIFICATE-----\n")


def test_decode_certificate_reflows_odd_pem() -> None:
    pem = cert_pem()
    body = "".join(pem.splitlines()[1:-1])
    odd = "\r\n-----BEGIN CERTIFICATE-----\r\n" + "\r\n".join(
        body[i:i + 76] for i in range(0, len(body), 76)) + "\r\n-----END CERTIFICATE-----\r\n"
    assert decode_certificate(odd) == decode_certificate(pem)


def test_encode_certificate_is_base64_of_pem() -> None:
    pem = decode_certificate(cert_pem())
    wire = encode_certificate(pem)
    assert base64.b64decode(wire).decode() == pem
    assert decode_certificate(wire) == pem


@pytest.mark.parametrize("wire", [
    "",
    "not base64 at all",
    base64.b64encode(b"hello world").decode(),
    base64.b64encode(b"\x30\x05abc").decode(),  # DER length says 5, only 3 follow
    base64.b64encode(b"\x30\x80\x00\x00").decode(),  # indefinite length is not DER
    "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\nMIIB\n",  # no END
])
def test_decode_certificate_refuses_junk(wire: str) -> None:
    with pytest.raises(ValueError, match=r"PEM|DER|base64"):
        decode_certificate(wire)


def test_decode_certificate_refuses_two_certificates_and_trailing_der() -> None:
    pem = cert_pem()
    with pytest.raises(ValueError, match="exactly one"):
        decode_certificate(pem + cert_pem("other"))
    with pytest.raises(ValueError, match="DER"):
        decode_certificate(base64.b64encode(cert_der() + b"\x00").decode())
    with pytest.raises(ValueError, match="exactly one"):
        decode_certificate("junk before\n" + pem)


# --- timestamps ---


@pytest.mark.parametrize(("value", "expected"), [
    (1_700_000_000_123, 1_700_000_000_123),
    (1_700_000_000, 1_700_000_000_000),  # seconds
    (0, 0),
    (99_999_999_999, 99_999_999_999_000),  # just below 10^11: seconds
    (100_000_000_000, 100_000_000_000),  # 10^11: milliseconds
    ("2023-11-14T22:13:20Z", 1_700_000_000_000),
    ("2023-11-14T22:13:20.123Z", 1_700_000_000_123),
    ("2023-11-14T22:13:20", 1_700_000_000_000),  # no zone: UTC
    ("2023-11-15T01:13:20+03:00", 1_700_000_000_000),
    ("2023-11-14", 1_699_920_000_000),
    ("1970-01-01T00:00:00Z", 0),
])
def test_parse_timestamp(value: int | str, expected: int) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", [
    -1, -1_700_000_000_000, True, False, 1.7e12, None, "", "yesterday", "1700000000",
    "20231114T221320Z", "1969-12-31T23:59:59Z", "2023-13-01T00:00:00Z", 10**30, [1],
])
def test_parse_timestamp_refuses(value: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, all ValueError
        parse_timestamp(value)  # type: ignore[arg-type]


# --- ids ---


@pytest.mark.parametrize("value", ["a", "x" * 128, "чат-1", "id with spaces", "😀"])
def test_check_id_accepts(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize(("value", "reason"), [
    ("", "empty"), ("x" * 129, "longer"), ("a\x00b", "control"), ("a\nb", "control"),
    ("\x1f", "control"), ("a\x7f", "control"), (5, "string"), (None, "string"),
])
def test_check_id_refuses(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_id(value)  # type: ignore[arg-type]
