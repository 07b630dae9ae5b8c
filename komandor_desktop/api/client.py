"""The async HTTP client of the Komandor API.

Every public method is build -> send -> parse: ``requests`` holds the pure
builders and parsers, ``protocol.parse_envelope`` maps statuses to the
``errors`` tree, and this module only sends: auth header, a capped body read,
retries (``retry``), and one re-sign-in on a 401.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

import httpx

from .. import errors
from ..domain import ChatsSnapshot, KeyExport
from ..protocol import MAX_BODY_BYTES, ParseMemo, parse_envelope
from ..protocol.envelope import Chunks
from ..protocol.models import ConfirmData
from . import requests as rq
from .retry import RETRYABLE_TRANSPORT_ERRORS, RetryPolicy

OFF_LOOP_BYTES = 256 * 1024  # bodies larger than this are parsed in a worker thread
OFF_LOOP_ENTRIES = 100  # key registrations larger than this are encoded in a worker thread
Reauth = Callable[["ApiClient"], Awaitable[str]]
OnRetry = Callable[[str, float], None]
log = logging.getLogger(__name__)


class ApiClient:
    """One server, one token.

    Args:
        base_url: the server, e.g. ``https://api.komandor.app``.
        transport: an httpx transport; tests pass ``httpx.MockTransport`` or
            ``httpx.ASGITransport`` over the emulator.
        token: the bearer token (JWT), if already signed in.
        reauth: called once on a 401 for a request that carried a token; it
            returns a fresh token (``identity.Profile.reauth`` signs in with
            the certificate).
        retry: the backoff policy for transport errors, 429 and 5xx.
        timeout: per-request httpx timeout, seconds.
        on_retry: told ``(message, delay)`` before each wait, so a UI can say
            what went wrong while it retries.

    Attributes:
        chats_memo: this client's memo of its last chat listing
            (``protocol.ParseMemo``): an unchanged chat is not validated again.
    """

    #: Bodies longer than this are refused; an attribute so tests can lower it.
    max_body_bytes: int = MAX_BODY_BYTES

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        token: str | None = None,
        reauth: Reauth | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        on_retry: OnRetry | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )
        self._token = token
        self._reauth = reauth
        self._retry = retry if retry is not None else RetryPolicy()
        self._on_retry = on_retry
        self._reauth_lock = asyncio.Lock()
        self.chats_memo = ParseMemo()

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the API -----------------------------------------------------------

    async def get_chats(self, phones: Sequence[str] = (), *,
                        on_listing: Callable[[int], None] | None = None) -> ChatsSnapshot:
        """The chat list; ``on_listing`` is told how many chats came, before they are
        validated (that takes a while: a caller can start what it will need meanwhile)."""
        data = await self._call(rq.build_get_chats(phones))
        if on_listing is not None and isinstance(data, list):
            on_listing(len(data))
        # validating thousands of chats takes long enough to freeze a window: not on the loop
        return await asyncio.to_thread(rq.parse_get_chats, data, self.chats_memo)

    async def register_keys(self, entries: Sequence[KeyExport]) -> int:
        """Registers exports; returns how many keys were new (``registered``)."""
        if len(entries) > OFF_LOOP_ENTRIES:  # 1,000 entries take milliseconds to encode
            request = await asyncio.to_thread(rq.build_register_keys, entries)
        else:
            request = rq.build_register_keys(entries)
        return rq.parse_register_keys(await self._call(request))

    async def request_code(self, phone: str) -> None:
        rq.parse_request_code(await self._call(rq.build_request_code(phone)))

    async def confirm(
        self,
        phone: str,
        code: str,
        csr_pem: str,
        *,
        name: str | None = None,
        company: str | None = None,
        company_id: str | None = None,
        title: str | None = None,
        profile_type: int | None = None,
    ) -> ConfirmData:
        request = rq.build_confirm(
            phone,
            code,
            csr_pem,
            name=name,
            company=company,
            company_id=company_id,
            title=title,
            profile_type=profile_type,
        )
        return rq.parse_confirm(await self._call(request))

    async def challenge(self, cid: str) -> bytes:
        """The sign-in nonce for certificate ``cid`` (PROTOCOL.md §7)."""
        return rq.parse_challenge(await self._call(rq.build_challenge(cid)))

    async def sign_in(self, cid: str, nonce: bytes, signature: bytes) -> str:
        """Exchanges a signed nonce for a token; does not store it (the caller does)."""
        return rq.parse_sign_in(await self._call(rq.build_sign_in(cid, nonce, signature)))

    # -- sending -----------------------------------------------------------

    async def _call(self, request: rq.ApiRequest) -> Any:
        """Sends with retries; on a 401 for a tokened request, re-signs in once."""
        sent_token = self._token if request.authenticated else None
        try:
            return await self._send_with_retries(request, sent_token)
        except errors.Unauthorized:
            if sent_token is None or self._reauth is None:
                raise
        token = await self._refresh_token(sent_token)
        return await self._send_with_retries(request, token)

    async def _refresh_token(self, stale: str) -> str:
        """Gets a new token, once for any number of requests that saw ``stale`` fail.

        A sign-in refused by the server (any 4xx) means we are signed out, so
        it surfaces as ``Unauthorized``; an unreachable server stays a
        ``TransportError``, which the caller treats as offline, not signed out.
        """
        assert self._reauth is not None
        async with self._reauth_lock:
            if self._token is not None and self._token != stale:
                return self._token  # another request already signed in again
            try:
                token = await self._reauth(self)
            except (errors.ServerError, errors.RateLimited):
                raise
            except errors.ApiError as exc:
                raise errors.Unauthorized(
                    401, exc.code, f"signing in again failed: {exc.message}", exc.details
                ) from exc
            self._token = token
            return token

    async def _send_with_retries(self, request: rq.ApiRequest, token: str | None) -> Any:
        policy = self._retry
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                return await self._send_once(request, token)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                if last:
                    raise errors.TransportError(
                        f"{request.label or request.path}: server unreachable after "
                        f"{attempt} attempt(s): {_describe(exc)}"
                    ) from exc
                reason, retry_after = f"server unreachable ({_describe(exc)})", None
            except httpx.HTTPError as exc:  # a bad URL or our own protocol error
                raise errors.TransportError(f"{request.path}: {_describe(exc)}") from exc
            except (errors.ServerError, errors.RateLimited) as exc:
                if last:
                    raise
                reason = f"server answered {exc.status} {exc.code}"
                retry_after = exc.retry_after if isinstance(exc, errors.RateLimited) else None
            delay = policy.backoff(attempt, retry_after)
            if self._on_retry is not None:
                self._on_retry(
                    f"{request.label or request.path}: {reason}; "
                    f"retry {attempt} of {policy.attempts - 1} in {delay:.1f} s",
                    delay,
                )
            await policy.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _send_once(self, request: rq.ApiRequest, token: str | None) -> Any:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if request.content is not None:
            headers["Content-Type"] = "application/json"
        async with self._http.stream(
            request.method,
            request.path,
            params=list(request.params) or None,
            json=request.json,
            content=request.content,
            headers=headers,
        ) as response:
            chunks, size = await self._read_capped(response)
        # never the headers or the body: they carry the token, keys and messages
        log.debug("%s %s -> %d (%d bytes)", request.method, request.path,
                  response.status_code, size)
        if size > OFF_LOOP_BYTES:  # decoding megabytes of JSON would stall the loop
            return await asyncio.to_thread(parse_envelope, response.status_code, chunks,
                                           response.headers)
        return parse_envelope(response.status_code, chunks, response.headers)

    async def _read_capped(self, response: httpx.Response) -> tuple[Chunks, int]:
        """Reads the (decoded) body as its chunks and their total size, stopping as
        soon as it passes the cap. The parser decodes the chunks as they are: no
        20 MB copy to join them, on the loop or off it, and it frees each one once
        decoded (``Chunks``), so the body is never held as bytes and text whole."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise errors.ResponseTooLarge(f"response declares {declared} bytes")
        chunks = Chunks()
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body_bytes:
                raise errors.ResponseTooLarge(f"response body over {self.max_body_bytes} bytes")
        return chunks, size



def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
