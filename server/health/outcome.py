"""FHIR errors and their rendering as OperationOutcome (every error under /fhir)."""

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from server.core.errors import InvalidInput, MachiError, register_error_renderer

FHIR_JSON = "application/fhir+json; charset=utf-8"


class BadRequest(InvalidInput):
    """The request or resource cannot be parsed or fails FHIR's structural rules (HTTP 400)."""

    status_code = 400


class Gone(MachiError):
    status_code = 410
    error = "gone"


class PreconditionFailed(MachiError):
    """If-Match names another version, or a conditional create matches several resources."""

    status_code = 412
    error = "precondition_failed"


class MethodNotAllowed(MachiError):
    status_code = 405
    error = "method_not_allowed"


def issue(diagnostics: str, *, code: str = "invalid", expression: str | None = None) -> Any:
    """One OperationOutcome.issue, the detail format FHIR errors carry."""
    item: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        item["expression"] = [expression]
    return item


_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    422: "processing",
    502: "transient",
}


def issues_of(status: int, detail: Any) -> list[dict[str, Any]]:
    """Turn any error detail (text, FHIR issues, FastAPI validation list) into issues."""
    code = _CODES.get(status, "exception")
    if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        items = []
        for entry in detail:
            if "diagnostics" in entry:
                items.append(entry)
            else:
                where = ".".join(str(part) for part in entry.get("loc", []))
                items.append(issue(str(entry.get("msg", entry)), code=code, expression=where))
        return items
    return [issue(str(detail), code=code)]


def operation_outcome(status: int, detail: Any) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues_of(status, detail)}


def render_outcome(request: Request, status: int, error: str, detail: Any) -> Response:
    body = json.dumps(operation_outcome(status, detail), ensure_ascii=False)
    return Response(body, status_code=status, media_type=FHIR_JSON)


_registered = False


def install_outcome_renderer() -> None:
    """Errors anywhere under /fhir render as OperationOutcome (registered once per process)."""
    global _registered
    if not _registered:
        register_error_renderer("/fhir", render_outcome)
        _registered = True
