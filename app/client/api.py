"""The app's HTTP client for the machi server (the only way the app reaches it)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx


def instant(value: str) -> datetime:
    """A time from the server; one without an offset is UTC (SQLite returns them naive)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ApiError(Exception):
    """The server could not be reached or answered with an error; `message` is for people."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Health:
    status: str
    database: str
    version: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Health":
        return cls(status=data["status"], database=data["database"], version=data["version"])


# Returns the current access token (refreshing it when needed), or None when signed out.
TokenProvider = Callable[[], Awaitable[str | None]]


class ApiClient:
    """One httpx.AsyncClient for the app's lifetime; tests pass a MockTransport or ASGITransport.

    Signed-in calls carry `Authorization: Bearer …` from `token_provider` (set by sign-in).
    """

    def __init__(
        self,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10,
        token_provider: TokenProvider | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_provider = token_provider
        self._client = httpx.AsyncClient(
            base_url=self.base_url, transport=transport, timeout=timeout
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call the API; the parsed JSON answer (None for an empty one), or ApiError."""
        sent = dict(headers or {})
        if self.token_provider is not None and "Authorization" not in sent:
            token = await self.token_provider()
            if token:
                sent["Authorization"] = f"Bearer {token}"
        if idempotency_key:
            sent["Idempotency-Key"] = idempotency_key
        try:
            response = await self._client.request(
                method, path, json=json, params=params or None, headers=sent
            )
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach {self.base_url}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except (ValueError, AttributeError):
                detail = response.text
            raise ApiError(str(detail), response.status_code)
        return response.json() if response.content else None

    async def _get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return await self.request("GET", path, params=params, headers=headers)

    async def health(self) -> Health:
        return Health.from_json(await self._get("/health"))

    async def search_stops(self, text: str, language: str = "ja") -> list[dict[str, Any]]:
        """Stops matching kanji, kana, romaji or English (GET /api/v1/stops)."""
        data = await self._get("/api/v1/stops", headers={"Accept-Language": language}, q=text)
        return list(data["stops"])

    async def journeys(self, params: dict[str, str], language: str = "ja") -> dict[str, Any]:
        """Itineraries for from/to/time/options (GET /api/v1/journeys)."""
        data: dict[str, Any] = await self._get(
            "/api/v1/journeys", headers={"Accept-Language": language}, **params
        )
        return data

    async def download(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        """A file (the diary's PDF/CSV report) as bytes, fetched with the bearer token: a URL
        opened in a browser would carry no token."""
        headers: dict[str, str] = {}
        if self.token_provider is not None and (token := await self.token_provider()):
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self._client.get(path, params=params or None, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach {self.base_url}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise ApiError(response.text, response.status_code)
        return response.content

    async def aclose(self) -> None:
        await self._client.aclose()
