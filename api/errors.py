"""One handler maps the project's errors to HTTP codes and one JSON shape.

Every error body is ``{"error": message, "field": name-or-null, "detail": [...]}``; ``detail``
follows FastAPI's validation item shape (``loc``, ``msg``, ``type``) so the OpenAPI schema of a
422 holds for every 422 the service sends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import (
    ClearanceDenied,
    FirstsetError,
    InfeasibleConsortium,
    IngestError,
    InvalidRequest,
    NodeNotFound,
    StoreError,
)

__all__ = ["ERROR_RESPONSES", "ErrorBody", "ErrorItem", "error_response", "install_handlers"]

log = logging.getLogger("firstset.api")


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: str
    field: str | None = None
    detail: list[ErrorItem] | str | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "缺少或无效的 API 密钥 / missing or bad API key"},
    403: {"model": ErrorBody, "description": "权限不足 / role too low"},
    404: {"model": ErrorBody, "description": "不存在 / not found"},
    413: {"model": ErrorBody, "description": "请求过大 / body too large"},
    422: {"model": ErrorBody, "description": "请求有误 / invalid request"},
}

_STATUS: list[tuple[type[FirstsetError], int]] = [
    (NodeNotFound, 404),
    (ClearanceDenied, 404),  # same as missing: a refusal must not reveal that something exists
    (IngestError, 422),
    (InvalidRequest, 422),
    (InfeasibleConsortium, 422),
    (StoreError, 409),
]

_MESSAGES: dict[int, str] = {
    400: "请求有误 / bad request",
    401: "缺少或无效的 API 密钥 / missing or invalid API key",
    403: "权限不足 / your key's role does not allow this",
    404: "不存在 / not found",
    405: "不支持的方法 / method not allowed",
    413: "请求过大 / request body too large",
    415: "不支持的内容类型 / unsupported media type",
    422: "请求有误 / invalid request",
}


def error_response(
    status: int,
    message: str,
    *,
    field: str | None = None,
    detail: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": message, "field": field, "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: FirstsetError) -> int:
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def _firstset(exc: FirstsetError) -> JSONResponse:
    status = status_of(exc)
    if isinstance(exc, ClearanceDenied):
        return error_response(404, _MESSAGES[404])
    if isinstance(exc, NodeNotFound):
        return error_response(
            404,
            str(exc),
            field="id",
            detail=[{"loc": ["path", "id"], "msg": str(exc), "type": "not_found"}],
        )
    if isinstance(exc, IngestError):
        items = [
            {
                "loc": [e.file, e.line, e.column],
                "msg": e.reason,
                "type": "ingest_error",
            }
            for e in exc.errors[:1000]
        ]
        first = exc.errors[0].column if exc.errors else None
        return error_response(status, str(exc), field=first or "file", detail=items)
    if isinstance(exc, InvalidRequest):
        field = exc.field
        return error_response(
            status,
            str(exc),
            field=field,
            detail=[{"loc": ["body", field or ""], "msg": str(exc), "type": "invalid_request"}],
        )
    if isinstance(exc, InfeasibleConsortium):
        field = getattr(exc, "field", None) or "roles"
        return error_response(
            status,
            str(exc),
            field=field,
            detail=[{"loc": ["body", field], "msg": str(exc), "type": "infeasible"}],
        )
    return error_response(status, str(exc))


def _field_of(loc: Sequence[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(FirstsetError)
    async def firstset_error(request: Request, exc: FirstsetError) -> JSONResponse:
        return _firstset(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        items = [
            {
                "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        field = _field_of(items[0]["loc"]) if items else None
        message = f"{_MESSAGES[422]}: {field}: {items[0]['msg']}" if items else _MESSAGES[422]
        return error_response(422, message, field=field, detail=items)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        message = detail or _MESSAGES.get(exc.status_code, "error")
        field = (exc.headers or {}).get("X-Field") if exc.headers else None
        headers = {k: v for k, v in (exc.headers or {}).items() if k != "X-Field"} or None
        return error_response(exc.status_code, message, field=field, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "内部错误 / internal error")
