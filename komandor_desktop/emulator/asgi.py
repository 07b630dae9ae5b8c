"""The emulator's ASGI app (FastAPI): section 6 of the Komandor API plus PROTOCOL.md §7.

``server.py`` runs it under uvicorn in a thread, ``cli.py`` under uvicorn's
workers; tests and benchmarks call it in process through ``httpx.ASGITransport``.

Every answer is an envelope. Handlers are async only to read the raw body;
their database work runs in the thread pool, one transaction per request.
Each path is served with and without its trailing slash (no redirects: httpx
does not follow them). Bodies are parsed by the routes, after the token, so
that a request without a token is a 401 whatever its body (§6 rule 1 first).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from komandor_desktop.bulk import paused_gc
from komandor_desktop.errors import InvalidPhone
from komandor_desktop.protocol import normalize_phones
from komandor_desktop.protocol.envelope import describe
from komandor_desktop.protocol.models import (
    ChallengeRequest,
    CodeRequest,
    ConfirmRequest,
    KeysRequest,
    TokenRequest,
)

from . import accounts, apidoc, faults, keys, views, wire
from . import limits as auth_limits
from .config import EmulatorConfig
from .db import is_transient
from .failures import HttpFailure, bad_request, unauthorized
from .service import Emulator, authenticate, authority, server_state
from .simulation import run_simulation

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
RETRIES = 3
TRANSIENT_RETRIES = 3


def create_asgi_app(config: EmulatorConfig) -> FastAPI:
    """The ASGI (FastAPI) app of one emulator; the database is bootstrapped on first use."""
    emulator = Emulator(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(emulator.ensure_ready)
        task = asyncio.create_task(run_simulation(emulator)) if config.simulate else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            emulator.close()

    app = FastAPI(title="Komandor emulator", version="1.0", lifespan=lifespan,
                  description="Reference server of the Komandor chat-key protocol")
    app.state.emulator = emulator
    _install_handlers(app)
    _install_chat_routes(app, emulator)
    _install_auth_routes(app, emulator)
    apidoc.install_openapi(app)
    faults.install(app, config.faults)  # no-op without a spec
    return app


def envelope_error(failure: HttpFailure) -> JSONResponse:
    error: dict[str, Any] = {"code": failure.code, "message": failure.message}
    if failure.details is not None:
        error["details"] = failure.details
    return JSONResponse({"success": False, "error": error}, status_code=failure.status,
                        headers=failure.headers or None)


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"success": True, "data": data})


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HttpFailure)
    async def _failure(_request: Request, exc: HttpFailure) -> JSONResponse:
        return envelope_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope_error(bad_request("malformed request", _plain(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return envelope_error(HttpFailure(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, ClientDisconnect):  # the client went away mid-body (it quit)
            log.info("client disconnected before its request was read")
            return envelope_error(HttpFailure(400, "client_disconnected", "client went away"))
        log.exception("unhandled error", exc_info=exc)
        return envelope_error(HttpFailure(500, "server_error", "internal server error"))


def _plain(errors: Any) -> list[dict[str, Any]]:
    """Validation errors reduced to JSON-safe fields."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in errors]


def _route(app: FastAPI, method: str, path: str, **kwargs: Any) -> Callable[[T], T]:
    """Register ``path`` with and without its trailing slash (no redirect)."""

    def register(func: T) -> T:
        for variant, shown in ((path, True), (path.rstrip("/"), False)):
            app.add_api_route(variant, func, methods=[method], include_in_schema=shown,  # type: ignore[arg-type]
                              response_class=JSONResponse, **kwargs)
        return func

    return register


async def _json(request: Request) -> Any:
    return _loads(await request.body())


def _loads(raw: bytes) -> Any:
    """A request body as JSON; 400 bad_request when it is none."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the body is not JSON") from None
    except RecursionError:  # "[[[[..." past the parser's depth limit: not a 500
        raise bad_request("the body is nested too deeply") from None


def _model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise bad_request(f"malformed request: {describe(exc)}") from None


def run(emulator: Emulator, work: Callable[[Session], T], retries: int = 1) -> T:
    """One transaction around ``work``; IntegrityError retried ``retries`` times.

    A retry is for work that makes shared rows (a placeholder for a number,
    a personal chat) which another worker may have made at the same moment.
    A transaction the database itself aborted (deadlock, serialization
    failure) stored nothing, so it is always run again, up to TRANSIENT_RETRIES.
    """
    emulator.ensure_ready()
    conflicts = transients = 0
    while True:
        try:
            with emulator.transaction() as session:
                return work(session)
        except IntegrityError:
            conflicts += 1
            if conflicts >= retries:
                raise
        except DBAPIError as exc:
            transients += 1
            if not is_transient(exc) or transients > TRANSIENT_RETRIES:
                raise


def _install_chat_routes(app: FastAPI, emulator: Emulator) -> None:
    @_route(app, "GET", "/api/v2/chats/", responses=apidoc.responses(
        apidoc.ChatsEnvelope, 400, 401))
    async def get_chats(authorization: str | None = Header(default=None),
                        phones: list[str] = Query(default=[])) -> Response:  # noqa: B008
        """All chats of the viewer; ``phones`` first adds contacts and chats (§7)."""

        def work(session: Session) -> Any:
            claims, _cert = authenticate(session, authorization)
            if phones:
                try:
                    numbers = normalize_phones(phones)
                except InvalidPhone as exc:
                    raise accounts.invalid_phone(exc.texts) from None
                accounts.add_phones(session, claims.pid, numbers)
            system_pid = server_state(session).system_pid
            return views.chat_list(session, claims.pid, claims.cid, system_pid)

        def answer() -> bytes:  # encoded in the thread too: 20 MB for 2,500 groups
            with paused_gc():  # no cycles among its 100,000 rows, dicts, lists: no walks
                return wire.encode_listing(run(emulator, work, RETRIES))

        return Response(await run_in_threadpool(answer), media_type="application/json")

    @_route(app, "POST", "/api/v2/chatsKeys/", responses=apidoc.responses(
        apidoc.KeysEnvelope, 400, 401, 403, 404, 409, 422),
        openapi_extra=apidoc.body(KeysRequest))
    async def post_keys(request: Request,
                        authorization: str | None = Header(default=None)) -> JSONResponse:
        """Register exported chat keys: PROTOCOL.md §6, rules in their order."""
        raw = await request.body()

        def work(session: Session) -> int:
            """Rule 1, then rule 2 (the body's shape), then rules 3-9: one transaction."""
            _claims, cert = authenticate(session, authorization)
            with paused_gc():  # 1,000 entries: acyclic data, see get_chats
                return keys.register(session, cert, keys.parse_entries(_loads(raw)))

        return ok({"registered": await run_in_threadpool(run, emulator, work)})


def _address(request: Request) -> str:
    """The client's address, for the per-address limits."""
    return request.client.host if request.client is not None else "unknown"


def _install_auth_routes(app: FastAPI, emulator: Emulator) -> None:
    config = emulator.config
    limits = auth_limits.AuthLimits() if config.auth_limits else None

    @_route(app, "POST", "/api/v2/auth/code/", responses=apidoc.responses(
        apidoc.CodeEnvelope, 400, 429), openapi_extra=apidoc.body(CodeRequest))
    async def post_code(request: Request) -> JSONResponse:
        """Ask for a confirmation code (none is sent; it is the configured code)."""
        phone = accounts.check_phone(_model(CodeRequest, await _json(request)).phone)
        if limits is not None:
            await run_in_threadpool(
                run, emulator, lambda s: auth_limits.code_request(s, limits, phone), RETRIES)
        return ok({"sent": True})

    @_route(app, "POST", "/api/v2/auth/confirm/", responses=apidoc.responses(
        apidoc.ConfirmEnvelope, 400, 403, 429), openapi_extra=apidoc.body(ConfirmRequest))
    async def post_confirm(request: Request) -> JSONResponse:
        """Activate a phone or add a device: the CA issues a certificate for the CSR."""
        body = _model(ConfirmRequest, await _json(request))
        phone, address = accounts.check_phone(body.phone), _address(request)

        def work(session: Session) -> Any:
            if limits is not None:  # before the code is looked at: no oracle past the limit
                auth_limits.check_confirm(session, limits, phone, address)
            if body.code != config.code:
                return None
            state = server_state(session)
            return accounts.confirm(session, config, authority(session), state.system_pid,
                                    state.token_secret, body)

        answer = await run_in_threadpool(run, emulator, work, RETRIES)
        if answer is None:  # counted in a transaction of its own: the 403 rolls nothing back
            if limits is not None:
                await run_in_threadpool(run, emulator, lambda s: auth_limits.record_wrong_code(
                    s, limits, phone, address), RETRIES)
            raise HttpFailure(403, "invalid_code", "wrong confirmation code")
        return ok(answer)

    @_route(app, "POST", "/api/v2/auth/challenge/", responses=apidoc.responses(
        apidoc.ChallengeEnvelope, 400, 401, 429),
        openapi_extra=apidoc.body(ChallengeRequest))
    async def post_challenge(request: Request) -> JSONResponse:
        """A single-use nonce for signing in with a certificate."""
        body = _model(ChallengeRequest, await _json(request))
        address = _address(request)

        def work(session: Session) -> Any:
            if limits is not None:
                auth_limits.sign_in(session, limits, address)
            return accounts.challenge(session, body.cid)

        return ok(await run_in_threadpool(run, emulator, work))

    @_route(app, "POST", "/api/v2/auth/token/", responses=apidoc.responses(
        apidoc.TokenEnvelope, 400, 401, 429), openapi_extra=apidoc.body(TokenRequest))
    async def post_token(request: Request) -> JSONResponse:
        """A token for a certificate that signed the nonce."""
        body = _model(TokenRequest, await _json(request))

        address = _address(request)
        if limits is not None:  # its own transaction: a refused token still counts
            await run_in_threadpool(
                run, emulator, lambda s: auth_limits.sign_in(s, limits, address), RETRIES)

        def work(session: Session) -> Any:
            secret = server_state(session).token_secret
            return accounts.token(session, secret, config.token_ttl, body.cid, body.nonce,
                                  body.sign)

        answer = await run_in_threadpool(run, emulator, work)
        if answer is None:
            raise unauthorized("the nonce's signature does not verify")
        return ok(answer)
