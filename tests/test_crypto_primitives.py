"""Signatures (§5.3), messages (§5.4) and the user's own keys and CSR."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from cryptohelpers import issue, key, make_ca

from komandor_desktop.crypto import (
    KEY_KINDS,
    can_sign,
    decrypt_message,
    encrypt_message,
    generate_private_key,
    make_csr,
    new_chat_key,
    private_key_from_pkcs8,
    private_key_to_pkcs8,
    public_key_der,
    sign,
    verify,
)
from komandor_desktop.errors import CryptoError

SIGNERS = ["p256", "p384", "p521", "rsa2048", "ed25519"]


@pytest.mark.parametrize("kind", SIGNERS)
def test_sign_and_verify(kind: str) -> None:
    signature = sign(key(kind), b"exported key bytes")
    assert verify(key(kind).public_key(), b"exported key bytes", signature)
    ca_key, _ = make_ca()
    assert verify(issue(ca_key, key(kind)), b"exported key bytes", signature)  # via certificate
    assert not verify(key(kind).public_key(), b"exported key byteZ", signature)
    assert not verify(key(kind, 1).public_key(), b"exported key bytes", signature)
    flipped = signature[:-1] + bytes([signature[-1] ^ 1])
    assert not verify(key(kind).public_key(), b"exported key bytes", flipped)
    assert not verify(key(kind).public_key(), b"exported key bytes", b"")


@pytest.mark.parametrize(("kind", "digest"), [
    ("p256", hashes.SHA256()), ("p384", hashes.SHA384()), ("p521", hashes.SHA512())])
def test_ecdsa_uses_the_curve_hash_and_der(kind: str, digest: hashes.HashAlgorithm) -> None:
    signature = sign(key(kind), b"data")
    key(kind).public_key().verify(signature, b"data", ec.ECDSA(digest))  # raises if not
    assert signature[0] == 0x30  # a DER SEQUENCE, not raw r||s


def test_rsa_uses_pss_sha256_salt_32() -> None:
    signature = sign(key("rsa2048"), b"data")
    exact = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    key("rsa2048").public_key().verify(signature, b"data", exact, hashes.SHA256())
    other_salt = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=20)
    with pytest.raises(InvalidSignature):
        key("rsa2048").public_key().verify(signature, b"data", other_salt, hashes.SHA256())
    pkcs1 = key("rsa2048").sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    assert not verify(key("rsa2048").public_key(), b"data", pkcs1)


def test_ed25519_is_plain_ed25519() -> None:
    signature = sign(key("ed25519"), b"data")
    assert signature == key("ed25519").sign(b"data")  # deterministic: a known answer


@pytest.mark.parametrize("kind", ["x25519", "rsa1024", "secp256k1"])
def test_keys_that_cannot_sign(kind: str) -> None:
    assert not can_sign(key(kind))
    with pytest.raises(CryptoError):
        sign(key(kind), b"data")
    assert not verify(key(kind).public_key(), b"data", b"\x30" * 64)


def test_verify_never_raises_on_junk() -> None:
    assert not verify(key("p256").public_key(), b"data", b"\x00" * 3)
    assert not verify(object(), b"data", b"sig")
    assert not verify(key("p256"), b"data", sign(key("p256"), b"data"))  # a private key


def test_message_round_trip_and_format() -> None:
    chat_key = new_chat_key()
    blob = encrypt_message(chat_key, "chat-1", "Привет, мир")
    assert decrypt_message(chat_key, "chat-1", blob) == "Привет, мир"
    assert len(blob) == 12 + len("Привет, мир".encode()) + 16
    aad = b"komandor-message-v1\x00chat-1"
    assert AESGCM(chat_key).decrypt(blob[:12], blob[12:], aad) == "Привет, мир".encode()
    foreign = b"\x07" * 12 + AESGCM(chat_key).encrypt(b"\x07" * 12, b"hi", aad)
    assert decrypt_message(chat_key, "chat-1", foreign) == "hi"
    assert encrypt_message(chat_key, "chat-1", "x") != encrypt_message(chat_key, "chat-1", "x")


def test_message_failures() -> None:
    chat_key = new_chat_key()
    blob = encrypt_message(chat_key, "chat-1", "text")
    for bad in [lambda: decrypt_message(chat_key, "chat-2", blob),
                lambda: decrypt_message(new_chat_key(), "chat-1", blob),
                lambda: decrypt_message(chat_key, "chat-1", blob[:-1]),
                lambda: decrypt_message(chat_key, "chat-1", b"\x00" * 27),
                lambda: decrypt_message(b"short", "chat-1", blob),
                lambda: encrypt_message(b"short", "chat-1", "x")]:
        with pytest.raises(CryptoError):
            bad()
    not_utf8 = b"\x01" * 12 + AESGCM(chat_key).encrypt(
        b"\x01" * 12, b"\xff\xfe", b"komandor-message-v1\x00chat-1")
    with pytest.raises(CryptoError, match="UTF-8"):
        decrypt_message(chat_key, "chat-1", not_utf8)


@pytest.mark.parametrize(("kind", "cls"), [
    ("p256", ec.EllipticCurvePrivateKey), ("p384", ec.EllipticCurvePrivateKey),
    ("p521", ec.EllipticCurvePrivateKey), ("rsa3072", rsa.RSAPrivateKey),
    ("ed25519", ed25519.Ed25519PrivateKey)])
def test_generate_csr_and_pkcs8(kind: str, cls: type) -> None:
    private = generate_private_key(kind)
    assert isinstance(private, cls)
    if kind == "rsa3072":
        assert private.key_size == 3072
    csr = x509.load_pem_x509_csr(make_csr(private, phone="79001234567", name="Иван").encode())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Иван"
    phone = csr.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.20"))
    assert phone[0].value == "79001234567"
    assert public_key_der(csr.public_key()) == public_key_der(private)
    if kind in ("p256", "rsa3072"):
        assert isinstance(csr.signature_hash_algorithm, hashes.SHA256)
    again = private_key_from_pkcs8(private_key_to_pkcs8(private))
    assert public_key_der(again) == public_key_der(private)


def test_csr_name_defaults_and_limits() -> None:
    private = key("p256")
    for name in (None, "", "   "):
        csr = x509.load_pem_x509_csr(make_csr(private, phone="79001234567", name=name).encode())
        assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "79001234567"
    cases = (("я" * 100, "я" * 32), ("a" + "я" * 40, "a" + "я" * 31), ("b" * 70, "b" * 64))
    for name, cut in cases:
        csr = x509.load_pem_x509_csr(make_csr(private, phone="79001234567", name=name).encode())
        assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == cut


def test_x25519_and_unknown_kinds() -> None:
    assert set(KEY_KINDS) == {"p256", "p384", "p521", "rsa3072", "ed25519", "x25519"}
    assert generate_private_key().curve.name == "secp256r1"
    private = generate_private_key("x25519")
    assert private_key_from_pkcs8(private_key_to_pkcs8(private)).public_key().public_bytes_raw() \
        == private.public_key().public_bytes_raw()
    with pytest.raises(CryptoError):
        make_csr(private, phone="79001234567", name=None)
    with pytest.raises(CryptoError):
        generate_private_key("dsa")
    with pytest.raises(CryptoError):
        private_key_from_pkcs8(b"not der")
    encrypted = key("p256").private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(CryptoError):
        private_key_from_pkcs8(encrypted)
