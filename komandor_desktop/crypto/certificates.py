"""Certificate parsing and the checks of PROTOCOL.md §4.

Parsing X.509 is the slow part of a sync that exports to thousands of
certificates, so ``parse_certificate`` is memoised on the PEM text itself
(never on the server's claimed hash, which is untrusted: two different
certificates sent with one claimed hash must not share a cache entry), and
the result of a chain check is memoised on (computed hash, anchor hash).

The chain policy is written here on purpose instead of cryptography's
``PolicyBuilder``, which demands SubjectAltName and EKUs that messenger
certificates do not carry: a certificate is trusted when it *is* the anchor,
or when its issuer name equals the anchor's subject and its signature
verifies with the anchor's public key. There are no intermediates in this
profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from ..domain import Certificate, CertReason
from ..errors import CertificateRejected, CryptoError
from .providers import KeyProvider, describe_key, provider_for
from .signatures import can_sign

_PARSE_CACHE_SIZE = 16384
_CHAIN_CACHE_LIMIT = 16384
_chain_cache: dict[tuple[str, str], bool] = {}


@dataclass(frozen=True, eq=False, slots=True)
class ParsedCertificate:
    """One parsed certificate with what the checks and exports need, computed once.

    ``public_key`` is None when this build cannot load the key algorithm
    (GOST until its provider exists): such a certificate cannot receive.
    """

    cert: x509.Certificate
    hash: str  # lowercase hex SHA-256 of the DER bytes
    public_key: Any
    key_usage: x509.KeyUsage | None
    not_before: datetime  # the validity period, UTC (each read of the x509 object makes one)
    not_after: datetime


@lru_cache(maxsize=_PARSE_CACHE_SIZE)
def parse_certificate(pem: str) -> ParsedCertificate:
    """Parse PEM text once; raises ``CertificateRejected(UNPARSABLE)``.

    Failures are not cached (lru_cache does not keep exceptions), which is
    fine: a broken certificate costs one failed parse per check.
    """
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise CertificateRejected(CertReason.UNPARSABLE, "not a PEM certificate")
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("utf-8"))
        digest = cert.fingerprint(hashes.SHA256()).hex()
        key_usage = _key_usage(cert)
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except (ValueError, UnicodeError, x509.DuplicateExtension) as exc:
        raise CertificateRejected(CertReason.UNPARSABLE, f"not a certificate: {exc}") from exc
    try:
        public_key: Any = cert.public_key()
    except Exception:  # noqa: BLE001 - UnsupportedAlgorithm and friends: no usable key
        public_key = None
    return ParsedCertificate(cert=cert, hash=digest, public_key=public_key, key_usage=key_usage,
                             not_before=not_before, not_after=not_after)


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def load_certificate(pem: str) -> x509.Certificate:
    """The x509 object of PEM text; raises ``CertificateRejected(UNPARSABLE)``."""
    return parse_certificate(pem).cert


def certificate_hash(cert: x509.Certificate) -> str:
    """Lowercase hex SHA-256 of the certificate's DER bytes (PROTOCOL.md §2)."""
    return cert.fingerprint(hashes.SHA256()).hex()


def hash_matches(claimed: str | None, actual: str) -> bool:
    """Whether the server's ``hash`` names the certificate whose hash is ``actual``.

    The wire form is lowercase hex; an uppercase spelling of the same digest
    is accepted (it names the same bytes, so nothing is gained by refusing
    it), anything else is a mismatch.
    """
    return isinstance(claimed, str) and claimed.lower() == actual


_ANCHOR_IDS_LIMIT = 16
_anchor_ids: dict[int, tuple[x509.Certificate, str]] = {}  # id(anchor) -> (it, its hash)


def _anchor_id(anchor: x509.Certificate) -> str:
    """The anchor's hash (hex SHA-256 of its DER), computed once per anchor object.

    A sync checks thousands of certificates against one anchor; hashing its DER
    each time cost more than the rest of the cached check. The entry keeps the
    object itself, so an id is never taken for another anchor's.
    """
    known = _anchor_ids.get(id(anchor))
    if known is not None and known[0] is anchor:
        return known[1]
    if len(_anchor_ids) >= _ANCHOR_IDS_LIMIT:
        _anchor_ids.clear()
    fingerprint = certificate_hash(anchor)
    _anchor_ids[id(anchor)] = (anchor, fingerprint)
    return fingerprint


def chains_to(parsed: ParsedCertificate, anchor: x509.Certificate) -> bool:
    """Whether ``parsed`` is the anchor or was issued and signed directly by it."""
    anchor_id = _anchor_id(anchor)
    if parsed.hash == anchor_id:
        return True
    key = (parsed.hash, anchor_id)
    known = _chain_cache.get(key)
    if known is None:
        try:
            parsed.cert.verify_directly_issued_by(anchor)
            known = True
        except Exception:  # noqa: BLE001 - name mismatch, bad signature, odd algorithm
            known = False
        if len(_chain_cache) >= _CHAIN_CACHE_LIMIT:
            _chain_cache.clear()
        _chain_cache[key] = known
    return known


def _check_validity(parsed: ParsedCertificate, now: datetime | None) -> None:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:  # naive times are taken as UTC, like the wire's
        moment = moment.replace(tzinfo=UTC)
    if moment < parsed.not_before:
        raise CertificateRejected(CertReason.NOT_YET_VALID,
                                  f"valid from {parsed.not_before:%Y-%m-%d %H:%M} UTC")
    if moment > parsed.not_after:
        raise CertificateRejected(CertReason.EXPIRED,
                                  f"expired {parsed.not_after:%Y-%m-%d %H:%M} UTC")


def _check_key_usage(parsed: ParsedCertificate, provider: KeyProvider) -> None:
    usage = parsed.key_usage
    if usage is not None and not getattr(usage, provider.key_usage):
        raise CertificateRejected(
            CertReason.CANNOT_RECEIVE,
            f"its KeyUsage does not allow {provider.key_usage.replace('_', ' ')}")


def _check_hash(cert: Certificate, parsed: ParsedCertificate) -> None:
    if not hash_matches(cert.hash, parsed.hash):
        shown = str(cert.hash)[:80]
        raise CertificateRejected(CertReason.HASH_MISMATCH,
                                  f"hash {shown!r} is not the certificate's {parsed.hash}")


def check_recipient(cert: Certificate, *, trust_anchor: x509.Certificate | None,
                    now: datetime | None = None, own_public_key: Any = None) -> None:
    """Raise ``CertificateRejected`` unless a chat key may be exported to ``cert``.

    In the order of PROTOCOL.md §4: parsable, the hash matches, within its
    validity period, its key can receive (§5.2), its KeyUsage (if any) allows
    keyAgreement (EC, X25519) or keyEncipherment (RSA), and, with an anchor,
    it chains to the anchor. The hash is compared after lowercasing the
    received one (see ``hash_matches``). ``own_public_key`` is for providers whose
    agreement needs matching curves (GOST); v1 ignores it.
    """
    parsed = parse_certificate(cert.pem)
    _check_hash(cert, parsed)
    _check_validity(parsed, now)
    if parsed.public_key is None:
        raise CertificateRejected(CertReason.CANNOT_RECEIVE,
                                  "its key algorithm is not supported")
    provider = provider_for(parsed.public_key, own_public_key=own_public_key)
    _check_key_usage(parsed, provider)
    if trust_anchor is not None and not chains_to(parsed, trust_anchor):
        raise CertificateRejected(CertReason.UNKNOWN_CA,
                                  "it is not issued by the server's certificate authority")


def check_signing_certificate(cert: Certificate, *,
                              trust_anchor: x509.Certificate | None) -> Any:
    """Check a signer's certificate and return its public key, to verify with.

    Checks the hash, the chain to the anchor (when one is given) and that the
    key can sign (§5.3). The validity period is deliberately not checked:
    chat keys outlive the certificates that signed them (PROTOCOL.md §4).
    Raises ``CertificateRejected`` (UNPARSABLE, HASH_MISMATCH, UNKNOWN_CA) or,
    for a key type that cannot sign, a plain ``CryptoError``.
    """
    parsed = parse_certificate(cert.pem)
    _check_hash(cert, parsed)
    if trust_anchor is not None and not chains_to(parsed, trust_anchor):
        raise CertificateRejected(CertReason.UNKNOWN_CA,
                                  "it is not issued by the server's certificate authority")
    if parsed.public_key is None or not can_sign(parsed.public_key):
        raise CryptoError(f"a {describe_key(parsed.public_key)} key cannot sign")
    return parsed.public_key


def public_key_of(cert: Certificate) -> Any:
    """The parsed public key of a domain certificate (cached); None if unsupported."""
    return parse_certificate(cert.pem).public_key
