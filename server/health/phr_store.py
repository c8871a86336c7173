"""Where the diary keeps its FHIR resources: the embedded store, or an external FHIR server."""

from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session

from server.core.errors import UpstreamError
from server.health import store
from server.health.fhir_access import FhirAccess
from server.health.fhir_json import dumps, loads
from server.health.search import run_search
from server.health.search_params import SPECS, patient_of

Resource = dict[str, Any]


class PhrStore(Protocol):
    async def create(self, resource: Resource, *, if_none_exist: str | None = None) -> Resource:
        """Store a new resource (or return the one matching `if_none_exist`)."""
        ...

    async def search(self, res_type: str, params: list[tuple[str, str]]) -> list[Resource]:
        """Every match of a search, following the pages."""
        ...


class EmbeddedPhrStore:
    """The built-in store on the request's session; it authorizes and audits each call."""

    def __init__(self, session: Session, access: FhirAccess) -> None:
        self.session = session
        self.access = access

    async def create(self, resource: Resource, *, if_none_exist: str | None = None) -> Resource:
        stored = store.create(
            self.session,
            self.access,
            resource["resourceType"],
            resource,
            if_none_exist=if_none_exist,
        )
        assert stored.content is not None
        result: Resource = loads(stored.content)
        return result

    async def search(self, res_type: str, params: list[tuple[str, str]]) -> list[Resource]:
        page = run_search(self.session, self.access, res_type, [*params, ("_count", "1000")])
        return [loads(match.content) for match in page.matches]


class FhirClient:
    """An external FHIR R4 server (HAPI, Azure, Google, Medplum) over one shared AsyncClient."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    async def _send(
        self, method: str, url: str, *, extra: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        headers = {**self.headers, **(extra or {})}
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"FHIR server {self.base_url} unreachable: {exc}") from None
        if response.status_code >= 400:
            raise UpstreamError(
                f"FHIR server answered {response.status_code} to {method} "
                f"{urlsplit(url).path}: {response.text[:300]}"
            )
        try:
            return response.json()
        except ValueError:
            raise UpstreamError(f"FHIR server sent no JSON for {method} {url}") from None

    async def create(self, resource: Resource, *, if_none_exist: str | None = None) -> Resource:
        extra = {"If-None-Exist": if_none_exist} if if_none_exist else None
        url = f"{self.base_url}/{resource['resourceType']}"
        result: Resource = await self._send("POST", url, content=dumps(resource), extra=extra)
        return result

    async def search(self, res_type: str, params: list[tuple[str, str]]) -> list[Resource]:
        found: list[Resource] = []
        url: str | None = f"{self.base_url}/{res_type}"
        query: list[tuple[str, str]] | None = [*params, ("_count", "500")]
        while url:
            bundle = await self._send("GET", url, params=query)
            found += [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
            next_links = [
                link["url"] for link in bundle.get("link", []) if link["relation"] == "next"
            ]
            url, query = (next_links[0], None) if next_links else (None, None)
        return found


class ExternalPhrStore:
    """The diary on an external FHIR server: machi still decides and audits who may do what."""

    def __init__(self, client: FhirClient, access: FhirAccess) -> None:
        self.client = client
        self.access = access

    async def create(self, resource: Resource, *, if_none_exist: str | None = None) -> Resource:
        res_type = resource["resourceType"]
        self.access.check("create", res_type, patient_of(SPECS[res_type], resource))
        return await self.client.create(resource, if_none_exist=if_none_exist)

    async def search(self, res_type: str, params: list[tuple[str, str]]) -> list[Resource]:
        patients = {value for name, value in params if name == "patient"}
        for patient_id in patients:
            self.access.check("search", res_type, patient_id)
        return await self.client.search(res_type, params)
