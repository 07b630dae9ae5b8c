"""The one exception the emulator raises to answer with an error envelope.

Every rule of PROTOCOL.md that refuses a request raises ``HttpFailure``; the
app's exception handler turns it into
``{"success": false, "error": {"code", "message", "details"}}`` with the status.
"""

from __future__ import annotations

from typing import Any


class HttpFailure(Exception):
    """An error answer: HTTP status, snake_case code, message, optional details."""

    def __init__(self, status: int, code: str, message: str, details: Any = None, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}  # e.g. Retry-After of a 429


def bad_request(message: str, details: Any = None) -> HttpFailure:
    """400 bad_request: the request is malformed."""
    return HttpFailure(400, "bad_request", message, details)


def unauthorized(message: str = "a valid token is required") -> HttpFailure:
    """401 unauthorized: no token, or one that does not check out."""
    return HttpFailure(401, "unauthorized", message)
