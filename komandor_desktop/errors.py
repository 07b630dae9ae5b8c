"""The exception tree of Komandor Desktop.

Every error the core raises on purpose derives from ``KomandorError``; callers
catch the narrowest class that they can act on::

    KomandorError
    ├── InputError                  bad user input; nothing was sent or stored
    │   └── InvalidPhone            a phone that cannot be normalised (.texts)
    ├── ProtocolError               a server response that is not what PROTOCOL.md says
    │   └── ResponseTooLarge        a body over the 256 MB cap
    ├── ApiError                    the server answered with an error envelope
    │   ├── BadRequest              400
    │   ├── Unauthorized            401
    │   │   └── TokenExpired        401 token_expired: sign in with the certificate
    │   ├── Forbidden               403
    │   ├── NotFound                404
    │   ├── Conflict                409 key_conflict: re-fetch and re-plan
    │   ├── Unprocessable           422 bad_certificate / bad_signature (see .details)
    │   ├── RateLimited             429 (retry_after seconds)
    │   └── ServerError             5xx
    ├── TransportError              the server could not be reached after retries
    ├── CryptoError                 a crypto operation or check failed
    │   ├── CertificateRejected     a certificate failed its checks (.reason: CertReason)
    │   ├── KeySignatureInvalid     a received chat key's signer check failed
    │   └── KeyNotImportable        a received chat key does not decrypt
    ├── StoreError                  the local database is unusable
    └── IdentityError               no usable identity
        ├── NotSignedIn             no profile in this home: log in first
        ├── PassphraseUnavailable   no passphrase from env, keyring or prompt
        └── WrongPassphrase         the passphrase does not open secrets.bin
"""

from __future__ import annotations

from typing import Any

from .domain import CertReason


class KomandorError(Exception):
    """Base of every error raised on purpose by Komandor Desktop."""


class InputError(KomandorError):
    """Bad user input; nothing was sent and nothing was stored."""


class InvalidPhone(InputError):
    """A phone number that cannot be normalised to ``79XXXXXXXXX``."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        shown = ", ".join(f"«{t}»" for t in self.texts)
        super().__init__(f"not a Russian mobile number (+7 9XX XXX-XX-XX): {shown}")


class ProtocolError(KomandorError):
    """A server response that breaks PROTOCOL.md; nothing was stored."""


class ResponseTooLarge(ProtocolError):
    """A response body over the size cap."""


class ApiError(KomandorError):
    """An error envelope from the server.

    Args:
        status: the HTTP status code.
        code: the envelope's snake_case error code.
        message: the envelope's human-readable message.
        details: the envelope's optional details, as parsed JSON.
    """

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        super().__init__(f"{status} {code}: {message}")


class BadRequest(ApiError):
    """400: the request was malformed."""


class Unauthorized(ApiError):
    """401: missing or invalid token."""


class TokenExpired(Unauthorized):
    """401 token_expired: sign in again with the certificate and repeat."""


class Forbidden(ApiError):
    """403: not allowed (not a member, wrong code)."""


class NotFound(ApiError):
    """404: unknown chat."""


class Conflict(ApiError):
    """409 key_conflict: another device or member registered first."""


class Unprocessable(ApiError):
    """422: a certificate or a signature did not check out; see ``details``."""


class RateLimited(ApiError):
    """429: rate limited; ``retry_after`` is in seconds."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 retry_after: float | None = None) -> None:
        super().__init__(status, code, message, details)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: a server fault."""


class TransportError(KomandorError):
    """The server could not be reached (after the retries)."""


class CryptoError(KomandorError):
    """A crypto operation or check failed."""


class CertificateRejected(CryptoError):
    """A certificate failed its checks; ``reason`` says which."""

    def __init__(self, reason: CertReason, message: str = "") -> None:
        self.reason = reason
        super().__init__(message or reason.value)


class KeySignatureInvalid(CryptoError):
    """A received chat key is not signed, or not by a member, or wrongly."""


class KeyNotImportable(CryptoError):
    """A received chat key does not decrypt with this device's private key."""


class StoreError(KomandorError):
    """The local database cannot be opened or migrated."""


class IdentityError(KomandorError):
    """There is no usable identity in this home."""


class NotSignedIn(IdentityError):
    """No profile in this home: log in first (exit code 3)."""


class PassphraseUnavailable(IdentityError):
    """No passphrase from $KOMANDOR_PASSPHRASE, the keyring or a prompt (exit 3)."""


class WrongPassphrase(IdentityError):
    """The passphrase given does not decrypt ``secrets.bin`` (the window asks again)."""
