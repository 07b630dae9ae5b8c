"""Key providers: how a chat key is exported to, and imported from, one key family.

PROTOCOL.md §5.2 chooses the export format by the public key of the target
certificate. Each family is one provider behind the small ``KeyProvider``
protocol; ``provider_for`` walks ``PROVIDERS`` and takes the first that can
receive. A later GOST provider (GOST.md) is appended to ``PROVIDERS``; the
optional keyword arguments of the protocol (``own_public_key``,
``sender_private_key``, ``sender_public_key``) exist for it, because GOST's
static key agreement needs the exporter's key pair and works only between
keys on one curve. Profile v1 ignores them.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519

from ..domain import CertReason
from ..errors import CertificateRejected, CryptoError, KeyNotImportable

PROFILE_V1 = "v1"
CHAT_KEY_BYTES = 32  # profile v1: an AES-256-GCM key (§5.1)
MIN_RSA_BITS = 2048
_HPKE_TAG_AND_KEY = CHAT_KEY_BYTES + 16  # AES-256-GCM ciphertext of the key, with its tag


@runtime_checkable
class KeyProvider(Protocol):
    """One key family's export format (PROTOCOL.md §5.2, GOST.md §3).

    ``key_usage`` names the ``x509.KeyUsage`` attribute that a certificate's
    KeyUsage extension, when present, must set for this family to receive.
    """

    name: str
    profile: str
    key_usage: str

    def can_receive(self, public_key: Any, *, own_public_key: Any = None) -> bool:
        """Whether a key can be exported to ``public_key`` (from ``own_public_key``)."""
        ...

    def new_chat_key(self) -> bytes:
        """A fresh chat key of this provider's profile."""
        ...

    def export(self, chat_key: bytes, ctx: bytes, public_key: Any, *,
               sender_private_key: Any = None) -> bytes:
        """The ``key`` bytes for the target ``public_key``; raises CryptoError."""
        ...

    def import_(self, blob: bytes, ctx: bytes, private_key: Any, *,
                sender_public_key: Any = None) -> bytes:
        """The chat key from ``blob``; raises KeyNotImportable on any failure."""
        ...


def _v1_chat_key() -> bytes:
    return secrets.token_bytes(CHAT_KEY_BYTES)


def _check_v1_key(chat_key: bytes) -> None:
    if not isinstance(chat_key, bytes | bytearray) or len(chat_key) != CHAT_KEY_BYTES:
        raise CryptoError(f"a v1 chat key is {CHAT_KEY_BYTES} bytes")


class HpkeProvider:
    """HPKE base mode (RFC 9180) with AES-256-GCM for one KEM (§5.2).

    The exported bytes are exactly what ``hpke.Suite.encrypt`` returns:
    ``enc || ciphertext``; the length is fixed per KEM, so import refuses any
    other length before doing any public-key work.
    """

    profile = PROFILE_V1
    key_usage = "key_agreement"

    def __init__(self, name: str, kem: hpke.KEM, kdf: hpke.KDF, enc_length: int,
                 curve: type[ec.EllipticCurve] | None) -> None:
        self.name = name
        self.curve = curve  # None: X25519
        self.blob_length = enc_length + _HPKE_TAG_AND_KEY
        self._suite = hpke.Suite(kem, kdf, hpke.AEAD.AES_256_GCM)

    def __repr__(self) -> str:
        return f"HpkeProvider({self.name!r})"

    def _matches(self, key: Any) -> bool:
        if self.curve is None:
            return isinstance(key, x25519.X25519PublicKey | x25519.X25519PrivateKey)
        return (isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey)
                and isinstance(key.curve, self.curve))

    def can_receive(self, public_key: Any, *, own_public_key: Any = None) -> bool:
        return self._matches(public_key)

    def new_chat_key(self) -> bytes:
        return _v1_chat_key()

    def export(self, chat_key: bytes, ctx: bytes, public_key: Any, *,
               sender_private_key: Any = None) -> bytes:
        _check_v1_key(chat_key)
        if not self._matches(public_key):
            raise CryptoError(f"{self.name} cannot export to this key type")
        return self._suite.encrypt(bytes(chat_key), public_key, info=ctx)

    def import_(self, blob: bytes, ctx: bytes, private_key: Any, *,
                sender_public_key: Any = None) -> bytes:
        if not self._matches(private_key):
            raise KeyNotImportable(f"{self.name} cannot import with this private key")
        if len(blob) != self.blob_length:
            raise KeyNotImportable(
                f"exported key is {len(blob)} bytes, {self.name} makes {self.blob_length}")
        try:
            chat_key = self._suite.decrypt(blob, private_key, info=ctx)
        except (InvalidTag, ValueError) as exc:
            raise KeyNotImportable(
                "exported key does not decrypt: another chat, certificate or key") from exc
        if len(chat_key) != CHAT_KEY_BYTES:
            raise KeyNotImportable(f"decrypted key is {len(chat_key)} bytes, not 32")
        return chat_key


class RsaOaepProvider:
    """RSA-OAEP with MGF1-SHA256, SHA-256 and ``label = ctx`` (§5.2), ≥ 2048 bits."""

    name = "v1-rsa-oaep"
    profile = PROFILE_V1
    key_usage = "key_encipherment"

    def __repr__(self) -> str:
        return "RsaOaepProvider()"

    @staticmethod
    def _padding(ctx: bytes) -> padding.OAEP:
        return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                            label=ctx)

    def can_receive(self, public_key: Any, *, own_public_key: Any = None) -> bool:
        return isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size >= MIN_RSA_BITS

    def new_chat_key(self) -> bytes:
        return _v1_chat_key()

    def export(self, chat_key: bytes, ctx: bytes, public_key: Any, *,
               sender_private_key: Any = None) -> bytes:
        _check_v1_key(chat_key)
        if not self.can_receive(public_key):
            raise CryptoError(f"RSA-OAEP needs an RSA key of at least {MIN_RSA_BITS} bits")
        return public_key.encrypt(bytes(chat_key), self._padding(ctx))  # type: ignore[no-any-return]

    def import_(self, blob: bytes, ctx: bytes, private_key: Any, *,
                sender_public_key: Any = None) -> bytes:
        if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < MIN_RSA_BITS:
            raise KeyNotImportable("RSA-OAEP import needs an RSA private key of 2048+ bits")
        modulus_bytes = (private_key.key_size + 7) // 8
        if len(blob) != modulus_bytes:
            raise KeyNotImportable(
                f"exported key is {len(blob)} bytes, the modulus is {modulus_bytes}")
        try:
            chat_key = private_key.decrypt(blob, self._padding(ctx))
        except ValueError as exc:
            raise KeyNotImportable(
                "exported key does not decrypt: another chat, certificate or key") from exc
        if len(chat_key) != CHAT_KEY_BYTES:
            raise KeyNotImportable(f"decrypted key is {len(chat_key)} bytes, not 32")
        return chat_key


PROVIDERS: tuple[KeyProvider, ...] = (
    HpkeProvider("v1-hpke-p256", hpke.KEM.P256, hpke.KDF.HKDF_SHA256, 65, ec.SECP256R1),
    HpkeProvider("v1-hpke-p384", hpke.KEM.P384, hpke.KDF.HKDF_SHA384, 97, ec.SECP384R1),
    HpkeProvider("v1-hpke-p521", hpke.KEM.P521, hpke.KDF.HKDF_SHA512, 133, ec.SECP521R1),
    HpkeProvider("v1-hpke-x25519", hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, 32, None),
    RsaOaepProvider(),
)


def provider_for(public_key: Any, *, own_public_key: Any = None) -> KeyProvider:
    """The provider that exports to ``public_key``.

    Raises ``CertificateRejected(CANNOT_RECEIVE)`` when no provider takes the
    key, and ``CertificateRejected(OTHER_CURVE)`` when one would take it but
    not from ``own_public_key`` (a GOST key on another curve than ours).
    """
    for provider in PROVIDERS:
        if provider.can_receive(public_key, own_public_key=own_public_key):
            return provider
    if own_public_key is not None and any(p.can_receive(public_key) for p in PROVIDERS):
        raise CertificateRejected(CertReason.OTHER_CURVE,
                                  "the key is on another curve than this certificate's")
    raise CertificateRejected(CertReason.CANNOT_RECEIVE,
                              f"a {describe_key(public_key)} key cannot receive chat keys")


def provider_named(profile: str) -> KeyProvider:
    """The first provider of ``profile``, to make a chat key of that profile."""
    for provider in PROVIDERS:
        if provider.profile == profile or provider.name == profile:
            return provider
    raise CryptoError(f"unknown key profile {profile!r}")


def describe_key(key: Any) -> str:
    """A short human name of a key's type, for error messages."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return f"RSA-{key.key_size}"
    if key is None:
        return "unsupported"
    return type(key).__name__.removeprefix("_").replace("PublicKey", "").replace(
        "PrivateKey", "") or "unknown"
