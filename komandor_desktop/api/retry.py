"""When to retry a request and how long to wait.

Only failures that a later attempt can cure are retried: the network
(timeouts, refused or reset connections, a peer that broke the HTTP
protocol), 429 and 5xx. A 4xx answer is the server's considered verdict and
repeating it would only repeat the verdict. POSTs are safe to repeat here
because key registration is idempotent for identical bytes (PROTOCOL.md §6
rule 7) and the auth endpoints have no side effect that a repeat could double.
"""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

# The httpx errors that a later attempt may cure. UnsupportedProtocol,
# ProxyError and LocalProtocolError mean our own request or URL is wrong.
RETRYABLE_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS architecture blog's variant).

    Args:
        attempts: how many times a request is sent at most (1 = no retry).
        base: the upper bound of the first wait, in seconds; it doubles per attempt.
        cap: no wait is longer than this, Retry-After included.
        sleep: the coroutine that waits; tests pass one that records and returns.
        random: returns a float in [0, 1); tests pass a fixed one.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = field(default=_random.random)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base < 0 or self.cap < 0:
            raise ValueError("base and cap must not be negative")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait after failed attempt number ``attempt`` (1-based).

        A server's Retry-After wins over the jitter (it knows its own load),
        but is capped so that a hostile or confused server cannot park us.
        """
        if retry_after is not None:
            return min(self.cap, max(0.0, retry_after))
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt - 1, 64))
        return ceiling * self.random()
