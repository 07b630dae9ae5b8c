"""JWT access tokens (HS256) bound to a profile and one of its certificates.

The secret is a row of ``server_state``, so a token made by one worker is
accepted by every other. An expired token gets its own code
(``token_expired``) because the client answers it by signing in again with
its certificate (PROTOCOL.md §7); anything else wrong is ``unauthorized``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from .failures import HttpFailure, unauthorized

ALGORITHM = "HS256"
LEEWAY_SECONDS = 0


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a token speaks for: the viewer's profile and current certificate."""

    pid: str
    cid: str


def make_token(secret: str, pid: str, cid: str, ttl: int, now: float | None = None) -> str:
    """A token for (pid, cid) valid for ``ttl`` seconds from ``now``."""
    issued = int(now if now is not None else time.time())
    claims = {"pid": pid, "cid": cid, "iat": issued, "exp": issued + int(ttl)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> TokenClaims:
    """Check a token's signature and expiry.

    Raises:
        HttpFailure: 401 token_expired, or 401 unauthorized for any other fault.
    """
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
            options={"require": ["pid", "cid", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise HttpFailure(401, "token_expired", "the token has expired; sign in again") from None
    except jwt.PyJWTError:
        raise unauthorized("the token is not valid") from None
    pid, cid = claims.get("pid"), claims.get("cid")
    if not isinstance(pid, str) or not isinstance(cid, str) or not pid or not cid:
        raise unauthorized("the token is not valid")
    return TokenClaims(pid=pid, cid=cid)
