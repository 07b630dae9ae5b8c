"""The emulator's certificate authority.

One P-256 CA per database, made on first start and kept in ``server_state``,
so every worker process signs with the same key and clients can pin its
certificate as the trust anchor (handed out at login as ``caCertificate``).
Issued certificates carry the KeyUsage that lets them both sign and receive
chat keys (PROTOCOL.md §4): digitalSignature + keyAgreement for EC,
digitalSignature + keyEncipherment for RSA.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .failures import HttpFailure

CERT_VALIDITY = timedelta(days=730)
CA_VALIDITY = timedelta(days=3650)
CLOCK_SKEW = timedelta(minutes=5)
ACCEPTED_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class Authority:
    """The CA's private key and certificate, loaded from ``server_state``."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def from_pem(cls, key_pem: str, cert_pem: str) -> Authority:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the CA key must be an EC key")
        return cls(key, x509.load_pem_x509_certificate(cert_pem.encode()))

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate the CA made, with what the database indexes it by."""

    pem: str
    hash: str
    spki_sha256: str
    not_before: datetime
    not_after: datetime


def create_authority(now: datetime | None = None) -> tuple[str, str]:
    """Make a new CA; returns (private key PEM, certificate PEM)."""
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Komandor Emulator"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Komandor Emulator CA"),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=True, cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def load_csr(text: str) -> x509.CertificateSigningRequest:
    """Parse a CSR sent as base64 of PEM (also raw PEM or base64 of DER).

    Raises:
        HttpFailure: 400 bad_csr when it is not a CSR or its signature is wrong.
    """
    try:
        if "-----BEGIN" in text:
            csr = x509.load_pem_x509_csr(text.encode())
        else:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
            if raw.lstrip().startswith(b"-----BEGIN"):
                csr = x509.load_pem_x509_csr(raw)
            else:
                csr = x509.load_der_x509_csr(raw)
    except (ValueError, UnicodeEncodeError, binascii.Error) as exc:
        raise HttpFailure(400, "bad_csr", f"not a PKCS#10 request: {exc}") from None
    try:
        valid = csr.is_signature_valid
    except (ValueError, InvalidSignature, TypeError):
        valid = False
    if not valid:
        raise HttpFailure(400, "bad_csr", "the request's signature does not verify")
    _check_key(csr.public_key())
    return csr


def issue(authority: Authority, public_key: object, subject: x509.Name,
          now: datetime | None = None) -> Issued:
    """Issue a 2-year certificate for ``public_key`` with ``subject``."""
    _check_key(public_key)
    now = now or datetime.now(UTC)
    not_before = (now - CLOCK_SKEW).replace(microsecond=0)
    not_after = (now + CERT_VALIDITY).replace(microsecond=0)
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.cert.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True, encipher=is_rsa, agree=not is_rsa),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                       critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
    )
    cert = builder.sign(authority.key, hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER)
    return Issued(
        pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        hash=hashlib.sha256(der).hexdigest(),
        spki_sha256=spki_fingerprint(public_key),
        not_before=not_before,
        not_after=not_after,
    )


def spki_fingerprint(public_key: object) -> str:
    """SHA-256 of the SubjectPublicKeyInfo: "the same public key" across CSRs."""
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def subject_for(phone: str | None, name: str) -> x509.Name:
    """A subject for certificates the emulator makes without a CSR (seed, system)."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name[:64] or "Komandor")]
    if phone:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, phone))
    return x509.Name(attrs)


def new_id(prefix: str) -> str:
    """An opaque id (PROTOCOL.md §2): short, printable, unguessable."""
    return f"{prefix}_{secrets.token_hex(10)}"


def _check_key(public_key: object) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if isinstance(public_key.curve, ACCEPTED_CURVES):
            return
        raise HttpFailure(400, "bad_csr", f"curve {public_key.curve.name} is not accepted")
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size >= MIN_RSA_BITS:
            return
        raise HttpFailure(400, "bad_csr", f"RSA keys need {MIN_RSA_BITS} bits or more")
    raise HttpFailure(400, "bad_csr", "only EC P-256/P-384/P-521 and RSA keys are accepted")


def _key_usage(*, signing: bool, encipher: bool = False, agree: bool = False,
               cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=encipher,
        data_encipherment=False,
        key_agreement=agree,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
