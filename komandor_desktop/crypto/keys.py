"""The user's own key pair: generation, CSR and PKCS#8 (de)serialisation.

The PKCS#8 bytes here are unencrypted on purpose: ``identity`` wraps them in
its own scrypt + AES-256-GCM container, which is stronger than PKCS#8's
default PBKDF2 settings. Nothing here touches the disk.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.x509.oid import NameOID

from ..errors import CryptoError
from .providers import describe_key

KEY_KINDS = ("p256", "p384", "p521", "rsa3072", "ed25519", "x25519")
TELEPHONE_NUMBER = x509.ObjectIdentifier("2.5.4.20")  # X.520 telephoneNumber
_MAX_CN = 64  # commonName upper bound, which cryptography counts in UTF-8 bytes
_CURVES: dict[str, type[ec.SECP256R1 | ec.SECP384R1 | ec.SECP521R1]] = {
    "p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1}


def generate_private_key(kind: str = "p256") -> Any:
    """A new private key of ``kind`` (one of ``KEY_KINDS``); raises CryptoError."""
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind]())
    if kind == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "x25519":
        return x25519.X25519PrivateKey.generate()
    raise CryptoError(f"unknown key kind {kind!r}; use one of {', '.join(KEY_KINDS)}")


def make_csr(private_key: Any, *, phone: str, name: str | None) -> str:
    """A PEM PKCS#10 request: CN = name (or the phone), telephoneNumber = phone.

    EC and RSA keys sign it with SHA-256, Ed25519 with no separate hash. X25519
    keys cannot sign, hence cannot make a CSR (CryptoError). A name longer
    than commonName allows is cut to 64 UTF-8 bytes, on a character boundary.
    """
    if isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        algorithm: hashes.SHA256 | None = hashes.SHA256()
    elif isinstance(private_key, ed25519.Ed25519PrivateKey):
        algorithm = None
    else:
        raise CryptoError(f"a {describe_key(private_key)} key cannot sign a certificate request")
    common_name = _cut_utf8((name or "").strip(), _MAX_CN) or phone
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(TELEPHONE_NUMBER, phone),
    ])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(
        private_key, algorithm)
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _cut_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def private_key_to_pkcs8(private_key: Any) -> bytes:
    """Unencrypted PKCS#8 DER of ``private_key`` (for identity's own container)."""
    return private_key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def private_key_from_pkcs8(der: bytes) -> Any:
    """The private key of unencrypted PKCS#8 DER; raises CryptoError."""
    try:
        return serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError) as exc:
        raise CryptoError(f"not an unencrypted PKCS#8 private key: {exc}") from exc


def public_key_der(key: Any) -> bytes:
    """SubjectPublicKeyInfo DER of a public key or of a private key's public half."""
    public = key.public_key() if hasattr(key, "private_bytes") else key
    return public.public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
