"""Signatures over the exact ``key`` bytes (PROTOCOL.md §5.3), chosen by key type.

ECDSA on P-256/P-384/P-521 with the matching SHA-2 (DER), RSA-PSS with
MGF1-SHA256 and a 32-byte salt, Ed25519. X25519 and anything else cannot
sign. RSA keys under 2048 bits are refused for signing too: a key that is too
weak to receive chat keys should not vouch for them either.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from ..errors import CryptoError
from .providers import MIN_RSA_BITS, describe_key

_EC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
_PSS_SALT = 32
# One ECDSA parameter object per curve, made once: they are immutable, and a sync
# signs and verifies tens of thousands of times (making one cost a fifth of a sign).
_ECDSA = {name: ec.ECDSA(algorithm()) for name, algorithm in _EC_HASHES.items()}


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=_PSS_SALT)


def can_sign(key: Any) -> bool:
    """Whether ``key`` (public or private) is of a type that signs in profile v1."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return key.curve.name in _EC_HASHES
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return key.key_size >= MIN_RSA_BITS
    return isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey)


def sign(private_key: Any, data: bytes) -> bytes:
    """Sign ``data`` as §5.3 says for the key's type; raises CryptoError otherwise."""
    if not can_sign(private_key):
        raise CryptoError(f"a {describe_key(private_key)} key cannot sign")
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, _ECDSA[private_key.curve.name])
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, _pss(), hashes.SHA256())
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(data)
    raise CryptoError("sign needs a private key, not a public one")


def verify(cert_or_public_key: Any, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is valid over ``data``; False for any bad signature.

    A key that cannot sign (X25519, RSA under 2048 bits, another curve) makes
    every signature bad: the answer is False, not an exception, so callers
    can treat "not verified" in one place.
    """
    key = cert_or_public_key
    if isinstance(key, x509.Certificate):
        try:
            key = key.public_key()
        except Exception:  # noqa: BLE001 - unsupported algorithm: nothing verifies
            return False
    if not can_sign(key) or not isinstance(signature, bytes | bytearray):
        return False
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(bytes(signature), data, _ECDSA[key.curve.name])
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(bytes(signature), data, _pss(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(bytes(signature), data)
        else:  # a private key passed by mistake
            return False
    except (InvalidSignature, ValueError):
        return False
    return True
