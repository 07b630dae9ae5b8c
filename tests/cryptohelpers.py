"""A tiny certificate authority for the crypto tests (not the emulator's CA).

Keys are memoised per (kind, slot) because RSA generation is slow; a test
that needs two different keys of one kind asks for two slots.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.x509.oid import NameOID

from komandor_desktop.domain import Certificate

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def key(kind: str, slot: int = 0) -> Any:
    """A private key of ``kind``: p256 p384 p521 x25519 ed25519 rsa1024 rsa2048 rsa3072 secp256k1.

    The same (kind, slot) always gives the same key within one test run.
    """
    return _key(kind, slot)


@cache
def _key(kind: str, slot: int) -> Any:
    curves = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1,
              "secp256k1": ec.SECP256K1}
    if kind in curves:
        return ec.generate_private_key(curves[kind]())
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "x25519":
        return x25519.X25519PrivateKey.generate()
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


def _algorithm(signing_key: Any) -> hashes.SHA256 | None:
    return None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def usage(**flags: bool) -> x509.KeyUsage:
    """A KeyUsage with the given flags set and every other one off."""
    names = ("digital_signature", "content_commitment", "key_encipherment",
             "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
             "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names})


def issue(issuer_key: Any, subject_key: Any, *, cn: str = "user", issuer_cn: str = "Test CA",
          not_before: datetime | None = None, not_after: datetime | None = None,
          key_usage: x509.KeyUsage | None = None, ca: bool = False) -> x509.Certificate:
    """A certificate for ``subject_key``'s public half, signed by ``issuer_key``."""
    public = subject_key.public_key() if hasattr(subject_key, "private_bytes") else subject_key
    builder = (x509.CertificateBuilder()
               .subject_name(_name(cn)).issuer_name(_name(issuer_cn))
               .public_key(public).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - timedelta(days=30))
               .not_valid_after(not_after or NOW + timedelta(days=365)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    return builder.sign(issuer_key, _algorithm(issuer_key))


def make_ca(kind: str = "p256", slot: int = 0, cn: str = "Test CA") -> tuple[Any, x509.Certificate]:
    """A self-signed CA: (private key, certificate)."""
    ca_key = key(kind, 100 + slot)
    return ca_key, issue(ca_key, ca_key, cn=cn, issuer_cn=cn, ca=True,
                         not_before=NOW - timedelta(days=3650),
                         not_after=NOW + timedelta(days=3650))


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def domain(cert: x509.Certificate, *, pid: str = "p-1", cid: str = "c-1",
           hash: str | None = None) -> Certificate:
    """The domain certificate as a server would send it (correct hash unless given)."""
    actual = cert.fingerprint(hashes.SHA256()).hex()
    return Certificate(pid=pid, cid=cid, pem=pem(cert), hash=actual if hash is None else hash)
