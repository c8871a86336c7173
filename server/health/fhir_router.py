"""The FHIR R4 REST API at /fhir: thin routes over the store, search and bundle services."""

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from server.auth.access import CurrentPrincipal
from server.core.db import SessionDep
from server.health import bundle, store
from server.health.capability import capability_statement
from server.health.fhir_access import FhirAccess
from server.health.fhir_json import JsonObject, dumps, loads_object
from server.health.outcome import FHIR_JSON, BadRequest, install_outcome_renderer, issue
from server.health.search import run_search
from server.health.store import Stored

_JSON_TYPES = ("application/fhir+json", "application/json", "application/json-patch+json", "")


async def fhir_access(session: SessionDep, principal: CurrentPrincipal) -> FhirAccess:
    # async: it only pairs two resolved values, so it need not hop to the thread pool (each
    # hop costs ~0.1-0.3 ms on the 2-core machine, per request).
    return FhirAccess(session, principal)


AccessDep = Annotated[FhirAccess, Depends(fhir_access)]


class FhirResponse(Response):
    media_type = FHIR_JSON


def base_url(request: Request) -> str:
    """The base the client used (scheme, host, port, root path), so links work through proxies."""
    return str(request.base_url).rstrip("/") + "/fhir"


async def resource_body(request: Request) -> JsonObject:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _JSON_TYPES:
        raise BadRequest(
            [issue(f"content type '{media}' is not supported; send application/fhir+json")],
            status_code=415,
        )
    return loads_object(await request.body(), "the resource")


BodyDep = Annotated[JsonObject, Depends(resource_body)]


async def search_form(request: Request) -> list[tuple[str, str]]:
    return parse_qsl((await request.body()).decode(), keep_blank_values=True)


FormDep = Annotated[list[tuple[str, str]], Depends(search_form)]


def _prefer(request: Request, key: str) -> str | None:
    for part in request.headers.get("prefer", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == key:
            return value.strip().strip('"').lower()
    return None


def _resource_response(request: Request, stored: Stored, status: int) -> Response:
    headers = {"ETag": stored.etag, "Last-Modified": stored.last_modified}
    if stored.method in ("POST", "PUT") and status == 201:
        headers["Location"] = stored.location(base_url(request))
    body = stored.content if _prefer(request, "return") != "minimal" else None
    return FhirResponse(body or b"", status_code=status, headers=headers)


def fhir_router(version: str) -> APIRouter:
    """All /fhir routes; errors under /fhir render as OperationOutcome."""
    install_outcome_renderer()
    router = APIRouter(prefix="/fhir", tags=["fhir"])

    @router.get("/metadata", response_class=FhirResponse)
    def metadata(request: Request) -> FhirResponse:
        """The CapabilityStatement (no login needed: clients read it before they authenticate)."""
        return FhirResponse(dumps(capability_statement(base_url(request), version)))

    @router.post("", response_class=FhirResponse)
    @router.post("/", response_class=FhirResponse, include_in_schema=False)
    def batch_or_transaction(
        request: Request, session: SessionDep, access: AccessDep, body: BodyDep
    ) -> FhirResponse:
        """A batch or transaction Bundle (a transaction is all or nothing)."""
        return FhirResponse(bundle.process(session, access, body, base_url(request)))

    @router.get("/{res_type}", response_class=FhirResponse)
    def search(
        request: Request, session: SessionDep, access: AccessDep, res_type: str
    ) -> FhirResponse:
        strict = _prefer(request, "handling") == "strict"
        params = list(request.query_params.multi_items())
        page = run_search(session, access, res_type, params, strict=strict)
        return FhirResponse(bundle.searchset_text(base_url(request), res_type, page))

    @router.post("/{res_type}/_search", response_class=FhirResponse)
    def search_post(
        request: Request,
        session: SessionDep,
        access: AccessDep,
        res_type: str,
        form: FormDep,
    ) -> FhirResponse:
        """Search with the parameters in a form body (keeps them out of URLs and logs)."""
        params = [*request.query_params.multi_items(), *form]
        strict = _prefer(request, "handling") == "strict"
        page = run_search(session, access, res_type, params, strict=strict)
        return FhirResponse(bundle.searchset_text(base_url(request), res_type, page))

    @router.get("/{res_type}/_history", response_class=FhirResponse)
    def type_history(
        request: Request,
        session: SessionDep,
        access: AccessDep,
        res_type: str,
        _since: str | None = None,
        _count: int = 100,
    ) -> FhirResponse:
        versions = store.history(
            session, access, res_type, None, since=_since, count=min(max(_count, 1), 1000)
        )
        return FhirResponse(bundle.history_text(base_url(request), versions))

    @router.post("/{res_type}", response_class=FhirResponse)
    def create(
        request: Request, session: SessionDep, access: AccessDep, res_type: str, body: BodyDep
    ) -> Response:
        stored = store.create(
            session,
            access,
            res_type,
            body,
            if_none_exist=request.headers.get("if-none-exist"),
        )
        return _resource_response(request, stored, 201 if stored.created else 200)

    @router.get("/{res_type}/{res_id}", response_class=FhirResponse)
    def read(
        request: Request, session: SessionDep, access: AccessDep, res_type: str, res_id: str
    ) -> Response:
        return _resource_response(request, store.read(session, access, res_type, res_id), 200)

    @router.put("/{res_type}/{res_id}", response_class=FhirResponse)
    def update(
        request: Request,
        session: SessionDep,
        access: AccessDep,
        res_type: str,
        res_id: str,
        body: BodyDep,
    ) -> Response:
        stored = store.update_resource(
            session, access, res_type, res_id, body, if_match=request.headers.get("if-match")
        )
        return _resource_response(request, stored, 201 if stored.created else 200)

    @router.delete("/{res_type}/{res_id}", status_code=204)
    def delete(session: SessionDep, access: AccessDep, res_type: str, res_id: str) -> Response:
        stored = store.delete_resource(session, access, res_type, res_id)
        return Response(status_code=204, headers={"ETag": stored.etag})

    @router.get("/{res_type}/{res_id}/_history", response_class=FhirResponse)
    def instance_history(
        request: Request,
        session: SessionDep,
        access: AccessDep,
        res_type: str,
        res_id: str,
        _since: str | None = None,
        _count: int = 100,
    ) -> FhirResponse:
        versions = store.history(
            session, access, res_type, res_id, since=_since, count=min(max(_count, 1), 1000)
        )
        return FhirResponse(bundle.history_text(base_url(request), versions))

    @router.get("/{res_type}/{res_id}/_history/{version}", response_class=FhirResponse)
    def vread(
        request: Request,
        session: SessionDep,
        access: AccessDep,
        res_type: str,
        res_id: str,
        version: str,
    ) -> Response:
        stored = store.vread(session, access, res_type, res_id, version)
        return _resource_response(request, stored, 200)

    return router
