"""What the OpenAPI document says about each route: bodies and every status it returns.

Request bodies are parsed by the routes themselves (the token is checked
before the body, PROTOCOL.md §6 rule 1 before rule 2), so FastAPI does not see
them as parameters; ``install_openapi`` adds their schemas to the document so
that it still describes every request and response (schemathesis reads it).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from komandor_desktop.protocol.models import (
    ChallengeRequest,
    ChallengeResponse,
    ChatWire,
    CodeRequest,
    CodeResponse,
    ConfirmData,
    ConfirmRequest,
    ErrorBody,
    KeysRequest,
    KeysResponse,
    TokenRequest,
    TokenResponse,
)

REF = "#/components/schemas/{model}"


class ErrorEnvelope(BaseModel):
    """``{"success": false, "error": {"code", "message", "details"?}}``."""

    success: bool = False
    error: ErrorBody


def _envelope(name: str, data: Any) -> type[BaseModel]:
    """A success envelope model around ``data``, for the document only."""
    return type(name, (BaseModel,), {"__annotations__": {"success": bool, "data": data}})


ChatsEnvelope = _envelope("ChatsEnvelope", list[ChatWire])
KeysEnvelope = _envelope("KeysEnvelope", KeysResponse)
CodeEnvelope = _envelope("CodeEnvelope", CodeResponse)
ConfirmEnvelope = _envelope("ConfirmEnvelope", ConfirmData)
ChallengeEnvelope = _envelope("ChallengeEnvelope", ChallengeResponse)
TokenEnvelope = _envelope("TokenEnvelope", TokenResponse)

_MESSAGES = {
    400: "Malformed request (bad_request, invalid_phone, bad_csr)",
    401: "Missing, expired (token_expired) or invalid (unauthorized) token",
    403: "Not allowed (not_member, invalid_code)",
    404: "Unknown chat (chat_not_found)",
    409: "Key conflict (key_conflict)",
    422: "Certificate or signature does not check out (bad_certificate, bad_signature)",
    429: "Too many attempts (rate_limited), with Retry-After in seconds",
    500: "Server fault (server_error)",
}


def responses(ok: type[BaseModel], *errors: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: 200 with ``ok`` and the listed error statuses."""
    table: dict[int | str, dict[str, Any]] = {200: {"model": ok, "description": "Success"}}
    for status in (*errors, 500):
        table[status] = {"model": ErrorEnvelope, "description": _MESSAGES[status]}
    return table


def body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` naming a request body the route parses itself."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}}}


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    KeysRequest, CodeRequest, ConfirmRequest, ChallengeRequest, TokenRequest)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the schemas of the self-parsed request bodies."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, routes=app.routes,
                               description=app.description)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in REQUEST_MODELS:
            schema = model.model_json_schema(by_alias=True, ref_template=REF,
                                             mode="validation")
            for name, sub in schema.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = schema
        _drop_validation_422(document)
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]


def _drop_validation_422(document: dict[str, Any]) -> None:
    """FastAPI documents a 422 for parameter validation; the emulator answers 400 instead."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422")
            if answer and "HTTPValidationError" in str(answer.get("content")):
                del operation["responses"]["422"]
    for name in ("HTTPValidationError", "ValidationError"):
        document.get("components", {}).get("schemas", {}).pop(name, None)
