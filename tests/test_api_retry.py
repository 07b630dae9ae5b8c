"""Retries (backoff, Retry-After, what is never retried) and the one re-sign-in on 401."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from komandor_desktop import errors
from komandor_desktop.api import ApiClient, RetryPolicy

BASE = "https://api.test"


def ok(data: Any = None) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": [] if data is None else data})


def fail(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers=headers, json={"success": False, "error": {"code": code, "message": code}}
    )


class Script:
    """A server that plays a list of answers (a Response or an exception to raise)."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[..., Any]) -> None:
        self.answers: Iterator[Any] = iter(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer


class Harness:
    """An ApiClient over a Script with an instant, recording sleep."""

    def __init__(
        self, script: Script, *, attempts: int = 5, random: float = 0.5, **kwargs: Any
    ) -> None:
        self.script = script
        self.sleeps: list[float] = []
        self.messages: list[tuple[str, float]] = []

        async def sleep(delay: float) -> None:
            self.sleeps.append(delay)

        policy = RetryPolicy(
            attempts=attempts, base=0.5, cap=30.0, sleep=sleep, random=lambda: random
        )
        kwargs.setdefault("token", "old")
        self.client = ApiClient(
            BASE,
            transport=httpx.MockTransport(script),
            retry=policy,
            on_retry=lambda m, d: self.messages.append((m, d)),
            **kwargs,
        )

    def run(self, method: str = "get_chats", *args: Any) -> Any:
        async def go() -> Any:
            async with self.client:
                return await getattr(self.client, method)(*args)

        return asyncio.run(go())


def test_503_then_success_with_jittered_exponential_sleeps() -> None:
    h = Harness(
        Script(fail(503, "unavailable"), fail(502, "bad_gateway"), fail(500, "internal"), ok())
    )
    assert h.run().chats == ()
    assert len(h.script.requests) == 4
    assert h.sleeps == [0.25, 0.5, 1.0]  # full jitter at random()=0.5 of 0.5, 1, 2
    assert [d for _, d in h.messages] == h.sleeps
    assert "503" in h.messages[0][0]
    assert "retry 1 of 4" in h.messages[0][0]


def test_backoff_is_capped_and_never_above_the_ceiling() -> None:
    policy = RetryPolicy(base=0.5, cap=30.0, random=lambda: 0.999999)
    ceilings = [policy.backoff(n) for n in range(1, 12)]
    assert ceilings[0] < 0.5
    assert ceilings[-1] < 30.0
    assert all(b <= 30.0 for b in ceilings)
    assert ceilings == sorted(ceilings)
    assert RetryPolicy(random=lambda: 0.0).backoff(3) == 0.0


def test_429_honours_retry_after() -> None:
    h = Harness(Script(fail(429, "rate_limited", {"Retry-After": "7"}), ok()))
    h.run()
    assert h.sleeps == [7.0]


def test_retry_after_is_capped() -> None:
    h = Harness(Script(fail(429, "rate_limited", {"Retry-After": "100000"}), ok()))
    h.run()
    assert h.sleeps == [30.0]


def test_429_without_retry_after_uses_backoff() -> None:
    h = Harness(Script(fail(429, "rate_limited"), ok()))
    h.run()
    assert h.sleeps == [0.25]


def test_last_429_raises_rate_limited() -> None:
    h = Harness(Script(*[fail(429, "rate_limited", {"Retry-After": "1"})] * 3), attempts=3)
    with pytest.raises(errors.RateLimited) as info:
        h.run()
    assert info.value.retry_after == 1
    assert h.sleeps == [1.0, 1.0]


def test_last_5xx_raises_server_error() -> None:
    h = Harness(Script(*[fail(503, "unavailable")] * 5))
    with pytest.raises(errors.ServerError):
        h.run()
    assert len(h.script.requests) == 5
    assert len(h.sleeps) == 4


def test_5xx_without_an_envelope_is_still_a_retryable_server_error() -> None:
    html = httpx.Response(502, content=b"<html>Bad gateway</html>")
    h = Harness(Script(html, html), attempts=2)
    with pytest.raises(errors.ServerError) as info:
        h.run()
    assert info.value.status == 502
    assert len(h.script.requests) == 2


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
def test_transport_errors_are_retried(exc: Exception) -> None:
    h = Harness(Script(exc, ok()))
    assert h.run().chats == ()
    assert h.sleeps == [0.25]
    assert "unreachable" in h.messages[0][0]


def test_transport_errors_after_the_last_attempt_become_transport_error() -> None:
    h = Harness(Script(*[httpx.ConnectError("refused")] * 5))
    with pytest.raises(errors.TransportError) as info:
        h.run()
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(h.script.requests) == 5
    assert len(h.sleeps) == 4


def test_our_own_errors_are_not_retried() -> None:
    h = Harness(Script(httpx.UnsupportedProtocol("ftp")))
    with pytest.raises(errors.TransportError):
        h.run()
    assert h.sleeps == []


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "bad_request"),
        (403, "not_member"),
        (404, "chat_not_found"),
        (409, "key_conflict"),
        (422, "bad_signature"),
    ],
)
def test_4xx_is_never_retried(status: int, code: str) -> None:
    h = Harness(Script(fail(status, code), ok()))
    with pytest.raises(errors.ApiError) as info:
        h.run()
    assert info.value.status == status
    assert len(h.script.requests) == 1
    assert h.sleeps == []
    assert h.messages == []


def test_protocol_violation_on_200_is_not_retried() -> None:
    h = Harness(Script(httpx.Response(200, content=b"nope"), ok()))
    with pytest.raises(errors.ProtocolError):
        h.run()
    assert len(h.script.requests) == 1


def test_post_is_retried_with_identical_bytes() -> None:
    from komandor_desktop.domain import KeyExport

    h = Harness(Script(fail(503, "unavailable"), ok({"registered": 1})))
    assert h.run("register_keys", [KeyExport("c1", "k1", "p1", b"key", b"sig")]) == 1
    first, second = h.script.requests
    assert first.content == second.content
    assert first.method == "POST"


# --- 401 and the re-sign-in -------------------------------------------------------------


class Reauth:
    def __init__(self, *results: str | Exception) -> None:
        self.results = iter(results)
        self.calls = 0

    async def __call__(self, client: ApiClient) -> str:
        self.calls += 1
        await asyncio.sleep(0)
        result = next(self.results)
        if isinstance(result, Exception):
            raise result
        return result


def auth_header(request: httpx.Request) -> str | None:
    return request.headers.get("Authorization")


def test_expired_token_reauths_once_then_succeeds() -> None:
    reauth = Reauth("new")
    h = Harness(Script(fail(401, "token_expired"), ok()), reauth=reauth)
    assert h.run().chats == ()
    assert reauth.calls == 1
    assert h.client.token == "new"
    assert [auth_header(r) for r in h.script.requests] == ["Bearer old", "Bearer new"]


def test_plain_unauthorized_with_a_token_also_reauths() -> None:
    reauth = Reauth("new")
    h = Harness(Script(fail(401, "unauthorized"), ok()), reauth=reauth)
    h.run()
    assert reauth.calls == 1


def test_still_401_after_reauth_raises_unauthorized() -> None:
    reauth = Reauth("new", "newer")
    h = Harness(Script(fail(401, "token_expired"), fail(401, "unauthorized")), reauth=reauth)
    with pytest.raises(errors.Unauthorized):
        h.run()
    assert reauth.calls == 1
    assert len(h.script.requests) == 2


@pytest.mark.parametrize(
    "refusal",
    [
        errors.Unauthorized(401, "unauthorized", "no"),
        errors.Forbidden(403, "bad_sign", "no"),
        errors.NotFound(404, "unknown_cid", "no"),
    ],
)
def test_refused_reauth_raises_unauthorized(refusal: errors.ApiError) -> None:
    reauth = Reauth(refusal)
    h = Harness(Script(fail(401, "token_expired")), reauth=reauth)
    with pytest.raises(errors.Unauthorized) as info:
        h.run()
    assert info.value.__cause__ is refusal or info.value is refusal
    assert h.client.token == "old"


def test_unreachable_during_reauth_stays_a_transport_error() -> None:
    reauth = Reauth(errors.TransportError("down"))
    h = Harness(Script(fail(401, "token_expired")), reauth=reauth)
    with pytest.raises(errors.TransportError):
        h.run()


def test_no_reauth_without_a_token() -> None:
    reauth = Reauth("new")
    h = Harness(Script(fail(401, "unauthorized")), reauth=reauth, token=None)
    with pytest.raises(errors.Unauthorized):
        h.run()
    assert reauth.calls == 0


def test_auth_endpoints_never_reauth() -> None:
    reauth = Reauth("new")
    h = Harness(Script(fail(401, "unauthorized")), reauth=reauth)
    with pytest.raises(errors.Unauthorized):
        h.run("sign_in", "cid", b"nonce", b"sig")
    assert reauth.calls == 0


def test_without_reauth_the_401_surfaces() -> None:
    h = Harness(Script(fail(401, "token_expired")))
    with pytest.raises(errors.TokenExpired):
        h.run()


def test_concurrent_401s_share_one_reauth() -> None:
    reauth = Reauth("new")

    def answer(request: httpx.Request) -> httpx.Response:
        return ok() if auth_header(request) == "Bearer new" else fail(401, "token_expired")

    script = Script(*[answer] * 4)
    h = Harness(script, reauth=reauth)

    async def go() -> None:
        async with h.client:
            await asyncio.gather(h.client.get_chats(), h.client.get_chats())

    asyncio.run(go())
    assert reauth.calls == 1
    assert sorted(auth_header(r) or "" for r in script.requests) == [
        "Bearer new",
        "Bearer new",
        "Bearer old",
        "Bearer old",
    ]
