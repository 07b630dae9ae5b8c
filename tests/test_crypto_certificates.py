"""Certificate parsing and the recipient checks of PROTOCOL.md §4."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptohelpers import NOW, domain, issue, key, make_ca, pem, usage

from komandor_desktop.crypto import (
    certificate_hash,
    check_recipient,
    check_signing_certificate,
    load_certificate,
    parse_certificate,
)
from komandor_desktop.domain import CertReason
from komandor_desktop.errors import CertificateRejected, CryptoError


def rejected(cert, anchor=None, now=NOW) -> CertReason:
    with pytest.raises(CertificateRejected) as info:
        check_recipient(cert, trust_anchor=anchor, now=now)
    return info.value.reason


def test_load_and_hash() -> None:
    ca_key, ca = make_ca()
    cert = issue(ca_key, key("p256"))
    loaded = load_certificate(pem(cert))
    assert loaded == cert
    expected = cert.fingerprint(hashes.SHA256()).hex()
    assert certificate_hash(loaded) == expected == expected.lower()
    der = cert.public_bytes(serialization.Encoding.DER)
    assert certificate_hash(loaded) == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("text", [
    "", "hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\n" + base64.b64encode(b"\x30\x03\x02\x01\x01").decode()
    + "\n-----END CERTIFICATE-----\n",
])
def test_unparsable(text: str) -> None:
    with pytest.raises(CertificateRejected) as info:
        load_certificate(text)
    assert info.value.reason is CertReason.UNPARSABLE
    bad = domain(issue(key("p256"), key("p256")))
    assert rejected(dataclasses.replace(bad, pem=text)) is CertReason.UNPARSABLE


def test_base64_der_is_not_pem() -> None:
    """crypto takes PEM only; decoding wire forms is the protocol package's job."""
    ca_key, _ = make_ca()
    der = issue(ca_key, key("p256")).public_bytes(serialization.Encoding.DER)
    with pytest.raises(CertificateRejected):
        load_certificate(base64.b64encode(der).decode())


@pytest.mark.parametrize("kind", ["p256", "p384", "p521", "x25519", "rsa2048"])
def test_a_good_recipient_passes_with_and_without_anchor(kind: str) -> None:
    ca_key, ca = make_ca()
    cert = domain(issue(ca_key, key(kind)))
    check_recipient(cert, trust_anchor=ca, now=NOW)
    check_recipient(cert, trust_anchor=None, now=NOW)


def test_hash_mismatch_and_case() -> None:
    ca_key, ca = make_ca()
    cert = issue(ca_key, key("p256"))
    good = domain(cert)
    check_recipient(dataclasses.replace(good, hash=good.hash.upper()), trust_anchor=ca, now=NOW)
    other = domain(issue(ca_key, key("p256", 1))).hash
    assert rejected(dataclasses.replace(good, hash=other), ca) is CertReason.HASH_MISMATCH
    assert rejected(dataclasses.replace(good, hash=""), ca) is CertReason.HASH_MISMATCH
    assert rejected(dataclasses.replace(good, hash=good.hash[:-1]), ca) is CertReason.HASH_MISMATCH


def test_validity_period() -> None:
    ca_key, ca = make_ca()
    cert = domain(issue(ca_key, key("p256"), not_before=NOW - timedelta(days=2),
                        not_after=NOW + timedelta(days=2)))
    check_recipient(cert, trust_anchor=ca, now=NOW)
    assert rejected(cert, ca, NOW - timedelta(days=3)) is CertReason.NOT_YET_VALID
    assert rejected(cert, ca, NOW + timedelta(days=3)) is CertReason.EXPIRED
    naive = (NOW + timedelta(days=3)).replace(tzinfo=None)
    assert rejected(cert, ca, naive) is CertReason.EXPIRED


def test_default_now_is_the_clock() -> None:
    ca_key, ca = make_ca()
    old = domain(issue(ca_key, key("p256"), not_before=NOW - timedelta(days=900),
                       not_after=NOW - timedelta(days=800)))
    assert rejected(old, ca, None) is CertReason.EXPIRED


@pytest.mark.parametrize("kind", ["ed25519", "rsa1024", "secp256k1"])
def test_key_types_that_cannot_receive(kind: str) -> None:
    ca_key, ca = make_ca()
    assert rejected(domain(issue(ca_key, key(kind))), ca) is CertReason.CANNOT_RECEIVE


@pytest.mark.parametrize(("kind", "flags", "ok"), [
    ("p256", {"key_agreement": True}, True),
    ("p256", {"digital_signature": True, "key_agreement": True}, True),
    ("p256", {"digital_signature": True}, False),
    ("p256", {"key_encipherment": True}, False),
    ("x25519", {"key_agreement": True}, True),
    ("x25519", {"key_encipherment": True}, False),
    ("rsa2048", {"key_encipherment": True}, True),
    ("rsa2048", {"digital_signature": True, "key_encipherment": True}, True),
    ("rsa2048", {"key_agreement": True}, False),
    ("rsa2048", {"digital_signature": True}, False),
])
def test_key_usage_rules(kind: str, flags: dict[str, bool], ok: bool) -> None:
    ca_key, ca = make_ca()
    cert = domain(issue(ca_key, key(kind), key_usage=usage(**flags)))
    if ok:
        check_recipient(cert, trust_anchor=ca, now=NOW)
    else:
        assert rejected(cert, ca) is CertReason.CANNOT_RECEIVE


def test_unknown_ca() -> None:
    ca_key, ca = make_ca()
    other_key, other_ca = make_ca(slot=1, cn="Other CA")
    cert = domain(issue(other_key, key("p256"), issuer_cn="Other CA"))
    assert rejected(cert, ca) is CertReason.UNKNOWN_CA
    check_recipient(cert, trust_anchor=other_ca, now=NOW)


def test_same_issuer_name_but_another_key_is_unknown_ca() -> None:
    _, ca = make_ca()
    impostor_key, _ = make_ca(slot=2)  # also called "Test CA"
    cert = domain(issue(impostor_key, key("p256")))
    assert rejected(cert, ca) is CertReason.UNKNOWN_CA


def test_right_key_but_other_issuer_name_is_unknown_ca() -> None:
    ca_key, ca = make_ca()
    cert = domain(issue(ca_key, key("p256"), issuer_cn="Not Test CA"))
    assert rejected(cert, ca) is CertReason.UNKNOWN_CA


@pytest.mark.parametrize("ca_kind", ["p384", "rsa2048", "ed25519"])
def test_anchors_of_other_key_types(ca_kind: str) -> None:
    ca_key, ca = make_ca(ca_kind)
    cert = domain(issue(ca_key, key("p256")))
    check_recipient(cert, trust_anchor=ca, now=NOW)
    _, other = make_ca(ca_kind, slot=3)
    assert rejected(cert, other) is CertReason.UNKNOWN_CA


def test_the_anchor_itself_is_accepted() -> None:
    _, ca = make_ca()
    check_recipient(domain(ca), trust_anchor=ca, now=NOW)


def test_checks_run_in_spec_order() -> None:
    """Hash before validity before key type before chain."""
    _, ca = make_ca()
    stranger = issue(key("ed25519"), key("ed25519"), not_after=NOW - timedelta(days=1))
    cert = domain(stranger)
    assert rejected(dataclasses.replace(cert, hash="00" * 32), ca) is CertReason.HASH_MISMATCH
    assert rejected(cert, ca) is CertReason.EXPIRED
    assert rejected(cert, ca, NOW - timedelta(days=2)) is CertReason.CANNOT_RECEIVE


def test_parse_cache_is_keyed_on_the_pem_not_the_claimed_hash() -> None:
    ca_key, ca = make_ca()
    first = domain(issue(ca_key, key("p256")))
    second = dataclasses.replace(domain(issue(ca_key, key("p256", 1))), hash=first.hash)
    check_recipient(first, trust_anchor=ca, now=NOW)
    assert rejected(second, ca) is CertReason.HASH_MISMATCH
    assert parse_certificate(first.pem) is parse_certificate(first.pem)


def test_signing_certificate_ignores_validity_but_checks_the_rest() -> None:
    ca_key, ca = make_ca()
    expired = domain(issue(ca_key, key("ed25519"), not_after=NOW - timedelta(days=900),
                           not_before=NOW - timedelta(days=1000)))
    assert check_signing_certificate(expired, trust_anchor=ca) is not None
    with pytest.raises(CertificateRejected) as info:
        check_signing_certificate(dataclasses.replace(expired, hash="ab" * 32), trust_anchor=ca)
    assert info.value.reason is CertReason.HASH_MISMATCH
    _, other = make_ca(slot=1, cn="Other CA")
    with pytest.raises(CertificateRejected) as info:
        check_signing_certificate(expired, trust_anchor=other)
    assert info.value.reason is CertReason.UNKNOWN_CA
    check_signing_certificate(expired, trust_anchor=None)
    with pytest.raises(CryptoError):
        check_signing_certificate(domain(issue(ca_key, key("x25519"))), trust_anchor=ca)
