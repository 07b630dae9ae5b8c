"""Rate limits of the sign-in requests (PROTOCOL.md §7): brute force gets 429.

Without them all 10,000 four-digit codes of a phone can be tried in about a
minute, and the one that matches hands the attacker a certificate of the
victim's account. The limits, each over a sliding window:

- wrong confirmation codes per phone and per client address (5 and 20 per
  15 minutes by default); once over, even the right code gets 429 until the
  window has moved on;
- code requests per phone (1 per 60 s);
- challenge and token requests per client address (60 per minute).

A limited request gets 429 ``rate_limited`` with ``Retry-After`` in whole
seconds (when the oldest counted attempt leaves the window). The counters are
rows of the database (``AuthEvent``), so several workers over one PostgreSQL
database limit as one server. Off unless ``EmulatorConfig.auth_limits`` is
set (``komandor-emulator`` sets it unless ``--seed demo`` or
``--no-auth-limits``); the numbers are ``AuthLimits``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .db import AuthEvent
from .failures import HttpFailure
from .rules import now_ms

WRONG_CODE, CODE_REQUEST, SIGN_IN = "wrong_code", "code_request", "sign_in"


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """How many attempts of a kind fit in its window (seconds)."""

    wrong_codes_per_phone: int = 5
    wrong_codes_per_address: int = 20
    wrong_code_window_s: int = 15 * 60
    code_requests_per_phone: int = 1
    code_request_window_s: int = 60
    sign_ins_per_address: int = 60
    sign_in_window_s: int = 60


def limited(retry_after: int, what: str) -> HttpFailure:
    """429 rate_limited with its Retry-After."""
    seconds = max(1, retry_after)
    return HttpFailure(429, "rate_limited", f"too many {what}; retry in {seconds} s",
                       {"retryAfter": seconds}, headers={"Retry-After": str(seconds)})


def _check(session: Session, kind: str, subject: str, limit: int, window_s: int,
           what: str, now: int) -> None:
    """429 when ``subject`` has ``limit`` or more ``kind`` events in the window."""
    since = now - window_s * 1000
    count, oldest = session.execute(
        select(func.count(), func.min(AuthEvent.at_ms))
        .where(AuthEvent.kind == kind, AuthEvent.subject == subject, AuthEvent.at_ms > since)
    ).one()
    if count >= limit:
        raise limited(math.ceil((oldest + window_s * 1000 - now) / 1000), what)


def _record(session: Session, kind: str, subjects: list[str], now: int,
            window_s: int) -> None:
    session.add_all(AuthEvent(kind=kind, subject=s, at_ms=now) for s in subjects)
    # what has left the window counts no more: keep the table small
    session.execute(delete(AuthEvent).where(AuthEvent.kind == kind,
                                            AuthEvent.at_ms <= now - window_s * 1000))


def check_confirm(session: Session, limits: AuthLimits, phone: str, address: str) -> None:
    """Before a confirm is looked at: too many wrong codes for this phone or address."""
    now = now_ms()
    _check(session, WRONG_CODE, f"phone:{phone}", limits.wrong_codes_per_phone,
           limits.wrong_code_window_s, "wrong codes for this phone", now)
    _check(session, WRONG_CODE, f"addr:{address}", limits.wrong_codes_per_address,
           limits.wrong_code_window_s, "wrong codes from this address", now)


def record_wrong_code(session: Session, limits: AuthLimits, phone: str, address: str) -> None:
    """Count a wrong code against the phone and the address (its own transaction)."""
    _record(session, WRONG_CODE, [f"phone:{phone}", f"addr:{address}"], now_ms(),
            limits.wrong_code_window_s)


def code_request(session: Session, limits: AuthLimits, phone: str) -> None:
    """A code request for ``phone``: 429 when one was made within the window, else counted."""
    now = now_ms()
    _check(session, CODE_REQUEST, f"phone:{phone}", limits.code_requests_per_phone,
           limits.code_request_window_s, "code requests for this phone", now)
    _record(session, CODE_REQUEST, [f"phone:{phone}"], now, limits.code_request_window_s)


def sign_in(session: Session, limits: AuthLimits, address: str) -> None:
    """A challenge or token request from ``address``: 429 over the limit, else counted."""
    now = now_ms()
    _check(session, SIGN_IN, f"addr:{address}", limits.sign_ins_per_address,
           limits.sign_in_window_s, "sign-in requests from this address", now)
    _record(session, SIGN_IN, [f"addr:{address}"], now, limits.sign_in_window_s)
