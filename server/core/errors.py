"""Expected failures as exceptions carrying their HTTP status, rendered by one handler."""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.core.logging import current_request_id

log = logging.getLogger(__name__)


class MachiError(Exception):
    """Base of every expected failure. Services raise these, never HTTPException."""

    status_code = 400
    error = "bad_request"

    def __init__(self, detail: Any = None, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.error.replace("_", " ")
        if status_code is not None:
            self.status_code = status_code


class InvalidInput(MachiError):
    status_code = 422
    error = "invalid_request"


class Unauthorized(MachiError):
    status_code = 401
    error = "unauthorized"


class Forbidden(MachiError):
    status_code = 403
    error = "forbidden"


class NotFound(MachiError):
    status_code = 404
    error = "not_found"


class Conflict(MachiError):
    status_code = 409
    error = "conflict"


class PayloadTooLarge(MachiError):
    status_code = 413
    error = "payload_too_large"


class UpstreamError(MachiError):
    """An outside system (OpenTripPlanner, a FHIR server, an operator) failed or timed out."""

    status_code = 502
    error = "upstream_error"


ErrorRenderer = Callable[[Request, int, str, Any], Response]
_renderers: list[tuple[str, ErrorRenderer]] = []


def register_error_renderer(path_prefix: str, renderer: ErrorRenderer) -> None:
    """Let a family of routes (FHIR: OperationOutcome) render errors in its own format."""
    _renderers.append((path_prefix, renderer))


def error_response(request: Request, status: int, error: str, detail: Any) -> Response:
    for prefix, renderer in _renderers:
        if request.url.path.startswith(prefix):
            return renderer(request, status, error, detail)
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


def _readable_validation(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MachiError)
    async def _machi(request: Request, exc: MachiError) -> Response:
        return error_response(request, exc.status_code, exc.error, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "invalid_request", _readable_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_response(request, exc.status_code, error, exc.detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        detail = f"internal error; quote request id {current_request_id()} when reporting it"
        return error_response(request, 500, "internal_error", detail)
