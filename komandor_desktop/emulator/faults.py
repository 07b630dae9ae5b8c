"""Fault injection: make the emulator a bad network and a flaky server, on purpose.

Switched on per run with ``EmulatorConfig.faults`` / ``komandor-emulator
--faults SPEC``; off (and free) when no spec is given. It is an ASGI
middleware around the whole app, so a fault looks to a client exactly like the
real thing: a closed connection, an answer that never comes, a proxy's error
page, a body cut in half.

Syntax::

    SPEC = item[,item...]
    item = seed=N | rule
    rule = kind[:param][@probability][/path-prefix]

``probability`` is a fraction (``0.3``) or a percentage (``30%``), default 1;
``path-prefix`` limits the rule to request paths that start with it (default:
every path; note ``/api/v2/chats`` also matches ``/api/v2/chatsKeys/``, use
``/api/v2/chats/`` for the chat list alone). ``seed=N`` makes the random
stream reproducible; without it a seed is drawn and logged. Each worker
process of ``--workers N`` has its own stream.

Kinds; "before" means the real handler never runs, "after" means it ran and
its transaction committed, so only the answer is lost (the server registered
the keys but the client does not know):

======================  ====================================================
``latency:SECONDS``     wait, then answer normally (adds up with the others)
``timeout:SECONDS``     hold the request SECONDS (longer than the client's
                        timeout), then run the handler anyway: the work lands
                        after the client gave up; the answer goes nowhere
``drop``                before: close the connection without an answer
``drop-after``          after: close the connection without an answer
``500``                 before: 500 ``server_error`` envelope
``502``, ``503``        before: a proxy's HTML error page with that status
``429[:RETRY_AFTER]``   before: 429 ``rate_limited``, ``Retry-After`` (default 1)
``expire``              before: 401 ``token_expired`` envelope
``truncate``            after: the real answer with its body cut in half
``garbage``             after: the real status with a non-JSON body
======================  ====================================================

Per request, the rules whose path matches are tried in the order given; each
draws one number from the stream and fires with its probability; a firing
``latency`` adds its delay and the search goes on, any other firing rule is
applied and ends the search. Example::

    seed=7,latency:0.05@50%,drop-after@10%/api/v2/chatsKeys/,503@20%/api/v2/chats

How "close without an answer" looks: over a real socket (uvicorn) the status
line goes out and the connection is closed before the body, so httpx raises
``RemoteProtocolError``; in process (``httpx.ASGITransport``) the middleware
raises ``DroppedConnection``, an ``httpx.ReadError``, which reaches the
client as that network error. Synthesised answers carry ``X-Komandor-Fault``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: kind -> (parameter required, parameter type or None when none is allowed)
KINDS: dict[str, tuple[bool, type | None]] = {
    "latency": (True, float), "timeout": (True, float), "drop": (False, None),
    "drop-after": (False, None), "500": (False, None), "502": (False, None),
    "503": (False, None), "429": (False, int), "expire": (False, None),
    "truncate": (False, None), "garbage": (False, None),
}
AFTER_KINDS = frozenset({"drop-after", "truncate", "garbage"})
HEADER = b"x-komandor-fault"
GARBAGE = b"<html><body><h1>It works!</h1></body></html>\n"


class DroppedConnection(httpx.ReadError):
    """The connection was closed without an answer (fault injection)."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One rule of a spec: what, how strong, how often, where."""

    kind: str
    param: float | None = None
    probability: float = 1.0
    path: str = ""

    def matches(self, path: str) -> bool:
        return path.startswith(self.path)


@dataclass
class FaultPlan:
    """The parsed spec, its random stream and what it did (``counts`` by kind)."""

    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """Parse a SPEC (see the module docstring). Raises ValueError."""
        rules: list[FaultRule] = []
        seed: int | None = None
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            if item.startswith("seed="):
                try:
                    seed = int(item[5:])
                except ValueError:
                    raise ValueError(f"faults: bad seed in {item!r}") from None
                continue
            rules.append(parse_rule(item))
        return cls(tuple(rules), seed if seed is not None else secrets.randbelow(2**31))

    def draw(self, path: str) -> tuple[float, FaultRule | None]:
        """(added latency, the rule to apply or None) for one request."""
        delay = 0.0
        for rule in self.rules:
            if not rule.matches(path) or self._rng.random() >= rule.probability:
                continue
            if rule.kind != "latency":
                return delay, rule
            delay += rule.param or 0.0
        return delay, None


def parse_rule(text: str) -> FaultRule:
    """``kind[:param][@probability][/path-prefix]`` -> FaultRule. Raises ValueError."""
    head, slash, path = text.partition("/")
    head, at, prob_text = head.partition("@")
    kind, colon, param_text = head.strip().partition(":")
    if kind not in KINDS:
        raise ValueError(f"faults: unknown kind {kind!r} in {text!r} "
                         f"(known: {', '.join(KINDS)})")
    required, ptype = KINDS[kind]
    param: float | None = None
    if colon:
        if ptype is None:
            raise ValueError(f"faults: {kind} takes no parameter ({text!r})")
        try:
            param = float(ptype(param_text))
        except ValueError:
            raise ValueError(f"faults: bad parameter in {text!r}") from None
        if param < 0:
            raise ValueError(f"faults: negative parameter in {text!r}")
    elif required:
        raise ValueError(f"faults: {kind} needs a parameter, e.g. {kind}:1.5 ({text!r})")
    probability = _probability(prob_text, text) if at else 1.0
    return FaultRule(kind, param, probability, slash + path if slash else "")


def _probability(value: str, text: str) -> float:
    value = value.strip()
    try:
        p = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise ValueError(f"faults: bad probability in {text!r}") from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"faults: probability out of [0, 1] in {text!r}")
    return p


class FaultMiddleware:
    """The ASGI middleware that applies a ``FaultPlan`` to every HTTP request."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.plan.rules:
            await self.app(scope, receive, send)
            return
        delay, rule = self.plan.draw(scope["path"])
        if delay:
            self.plan.counts["latency"] += 1
            await asyncio.sleep(delay)
        if rule is None:
            await self.app(scope, receive, send)
            return
        self.plan.counts[rule.kind] += 1
        log.info("fault %s on %s %s", rule.kind, scope.get("method"), scope["path"])
        if rule.kind == "timeout":
            await self._late(rule, scope, receive, send)
        elif rule.kind in AFTER_KINDS:
            await self._after(rule, scope, receive, send)
        else:
            await _before(rule, send)

    async def _late(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the request first, so that it is still whole when the client is gone."""
        messages = await _read_request(receive)
        await asyncio.sleep(rule.param or 0.0)
        await self.app(scope, _replay(messages, receive), send)

    async def _after(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status = int(start.get("status", 500))
        headers = [(k, v) for k, v in start.get("headers", [])
                   if k.lower() not in (b"content-length", b"content-type")]
        body = b"".join(chunks)
        if rule.kind == "drop-after":
            await _drop(send, status)
        elif rule.kind == "truncate":
            await _answer(send, status, body[: len(body) // 2], rule.kind,
                          headers + [(b"content-type", b"application/json")])
        else:
            await _answer(send, status, GARBAGE, rule.kind,
                          headers + [(b"content-type", b"text/html")])


async def _before(rule: FaultRule, send: Send) -> None:
    """Faults that answer instead of the handler (which never runs)."""
    if rule.kind == "drop":
        await _drop(send, 200)
    elif rule.kind in ("502", "503"):
        page = f"<html><body><h1>{rule.kind} Bad Gateway</h1></body></html>".encode()
        await _answer(send, int(rule.kind), page, rule.kind, [(b"content-type", b"text/html")])
    elif rule.kind == "500":
        await _envelope(send, 500, "server_error", "internal server error (injected)", rule)
    elif rule.kind == "429":
        after = str(int(rule.param if rule.param is not None else 1)).encode()
        await _envelope(send, 429, "rate_limited", "too many requests (injected)", rule,
                        [(b"retry-after", after)])
    elif rule.kind == "expire":
        await _envelope(send, 401, "token_expired", "the token has expired; sign in again",
                        rule)
    else:  # pragma: no cover - parse_rule admits only the kinds above
        raise AssertionError(rule.kind)


async def _envelope(send: Send, status: int, code: str, message: str, rule: FaultRule,
                    extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"success": False, "error": {"code": code, "message": message}}).encode()
    await _answer(send, status, body, rule.kind,
                  [(b"content-type", b"application/json"), *(extra or [])])


async def _answer(send: Send, status: int, body: bytes, kind: str,
                  headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode()),
               (HEADER, kind.encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _drop(send: Send, status: int) -> None:
    """Promise a body, send none, and break off (see the module docstring)."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", b"1024")]})
    raise DroppedConnection("the connection was closed without an answer (injected)")


async def _read_request(receive: Receive) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def install(app: Any, spec: str | None) -> FaultPlan | None:
    """Wrap ``app`` (a FastAPI app) when ``spec`` has rules; the plan goes to
    ``app.state.faults`` so that tests can read what was injected."""
    plan = FaultPlan.parse(spec)
    app.state.faults = plan if plan.rules else None
    if not plan.rules:
        return None
    log.warning("fault injection on: %s (seed %d)", spec, plan.seed)
    # Outermost, outside Starlette's ServerErrorMiddleware: a dropped
    # connection must reach the server (or ASGITransport) as it is, not be
    # turned into a 500 or logged as an application crash.
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: FaultMiddleware(build(), plan)
    return plan
