"""Sign-in for the app: OAuth 2.0 authorization code + PKCE (S256), tokens kept on the device and
refreshed silently, sign-out that revokes; and the signed-in `Session` with its sync engine.

The flow, in the web client (by redirect, in the same tab):
1. `Auth.authorize_url()` makes a PKCE verifier and a `state`, saves both in the device's
   preferences (the browser's localStorage survives the round trip) and returns the server's
   `/oauth/authorize?...` URL, which the app opens in place of itself;
2. the server's sign-in page redirects to `{base_url}/callback?code=…&state=…`, which loads the
   app again as a new session; `parse_callback(page.route)` finds the answer;
3. `Auth.complete(params)` checks `state` against the saved one, exchanges the code with the
   saved verifier, stores the tokens and fetches `/api/v1/me`.

Refresh tokens rotate: every refresh returns a new one and spends the old one, and the server
revokes the whole chain when a spent one comes back. So refreshes are serialised (one lock)
and the new pair is saved before anything else uses it.
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import re
import secrets
from collections.abc import AsyncGenerator, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import httpx

from app.client.api import ApiClient
from app.client.cache import Cache
from app.client.state import Preferences
from app.client.sync import SyncEngine

log = logging.getLogger(__name__)

CLIENT_ID = "machi-app"
SCOPE = "openid profile offline_access patient/*.cruds user/*.cruds"
CALLBACK_PATH = "/callback"
PREF_TOKENS = "machi.auth.tokens"
PREF_ME = "machi.auth.me"
PREF_PENDING = "machi.auth.pending"
# Refresh this long before the access token expires, so no request goes out with a stale one.
REFRESH_MARGIN = timedelta(seconds=60)
STAFF_ROLES = frozenset({"nurse", "doctor", "care_manager", "helper", "operator", "admin"})


class AuthError(Exception):
    """Sign-in failed or the session ended; `code` says why (for tests), `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnsentWrites(Exception):
    """Signing out now would discard writes the server has not confirmed."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} unsent writes")
        self.count = count


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    state: str


def new_pkce() -> Pkce:
    """RFC 7636 S256: a 64-character verifier from `secrets`, its SHA-256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return Pkce(verifier=verifier, challenge=challenge, state=secrets.token_urlsafe(24))


def parse_callback(route: str | None, query: dict[str, str] | None = None) -> dict[str, str] | None:
    """The authorization answer when the app was opened at /callback, else None.

    `route` is Flet's `page.route` (path and query string, e.g. `/callback?code=…&state=…`);
    `query` the page's parsed query, used when the route came without one.
    """
    if not route:
        return None
    parts = urlparse(route)
    if parts.path.rstrip("/") != CALLBACK_PATH:
        return None
    params = dict(parse_qsl(parts.query)) or dict(query or {})
    return params if ("code" in params or "error" in params) else None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scope: str = ""

    @classmethod
    def from_token_response(cls, body: dict[str, Any], now: datetime) -> "Tokens":
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token"),
            expires_at=now + timedelta(seconds=int(body.get("expires_in", 300))),
            scope=str(body.get("scope", "")),
        )

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "expires_at": self.expires_at.isoformat()})

    @classmethod
    def from_json(cls, text: str) -> "Tokens":
        data = json.loads(text)
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            scope=data.get("scope", ""),
        )


@dataclass(frozen=True)
class Me:
    """Who is signed in (`GET /api/v1/me`); kept on the device so screens by role work offline."""

    id: str
    username: str
    display_name: str
    role: str
    patient_id: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Me":
        return cls(
            id=str(data["id"]),
            username=str(data["username"]),
            display_name=str(data["display_name"]),
            role=str(data["role"]),
            patient_id=data.get("patient_id"),
        )

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def has_own_record(self) -> bool:
        """A resident with a health record of their own (diary, 私の情報を見られる人)."""
        return self.patient_id is not None


class Auth:
    """Tokens and the signed-in person for one device; plain Python, tested without Flet."""

    def __init__(
        self,
        base_url: str,
        prefs: Preferences,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        redirect_uri: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.redirect_uri = redirect_uri or f"{self.base_url}{CALLBACK_PATH}"
        self.prefs = prefs
        self.now = now
        self.transport = transport
        self.http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=15)
        self.tokens: Tokens | None = None
        self.me: Me | None = None
        self.return_to = ""
        self._refresh_lock = asyncio.Lock()

    @property
    def signed_in(self) -> bool:
        return self.tokens is not None and self.me is not None

    async def load(self) -> None:
        """Restore the tokens and the person saved on this device (no network needed)."""
        raw_tokens = await self.prefs.get(PREF_TOKENS)
        raw_me = await self.prefs.get(PREF_ME)
        try:
            self.tokens = Tokens.from_json(raw_tokens) if raw_tokens else None
            self.me = Me.from_json(json.loads(raw_me)) if raw_me else None
        except (ValueError, KeyError, TypeError):
            self.tokens, self.me = None, None
        if self.tokens is None:
            self.me = None

    # --- sign-in -------------------------------------------------------------------------

    async def authorize_url(self, return_to: str = "") -> str:
        """The server's sign-in page for a fresh PKCE pair; the pair waits in the preferences,
        with `return_to` (the screen to show after sign-in; `complete` sets `self.return_to`)."""
        pkce = new_pkce()
        pending = {
            "state": pkce.state,
            "verifier": pkce.verifier,
            "redirect": self.redirect_uri,
            "return_to": return_to,
        }
        await self.prefs.set(PREF_PENDING, json.dumps(pending))
        query = urlencode(
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": self.redirect_uri,
                "scope": SCOPE,
                "state": pkce.state,
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.base_url}/oauth/authorize?{query}"

    async def complete(self, params: dict[str, str]) -> Me:
        """Finish sign-in from the callback's query: check `state`, exchange the code."""
        raw = await self.prefs.get(PREF_PENDING)
        await self.prefs.set(PREF_PENDING, "")  # one use only, whatever happens next
        if "error" in params:
            raise AuthError(params["error"], params.get("error_description", params["error"]))
        pending = json.loads(raw) if raw else None
        sent_state = params.get("state", "")
        if not pending or not secrets.compare_digest(str(pending["state"]), sent_state):
            raise AuthError("state_mismatch", "this sign-in was not started on this device")
        self.return_to = str(pending.get("return_to", ""))
        response = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": params.get("code", ""),
                "redirect_uri": pending["redirect"],
                "code_verifier": pending["verifier"],
                "client_id": CLIENT_ID,
            }
        )
        await self._store(Tokens.from_token_response(response, self.now()))
        return await self.fetch_me()

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self.http.post("/oauth/token", data=form)
        except httpx.HTTPError as exc:
            raise AuthError("offline", f"cannot reach the server ({type(exc).__name__})") from exc
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise AuthError(
                str(body.get("error", response.status_code)),
                str(body.get("error_description", response.text)),
            )
        return body

    async def _store(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        await self.prefs.set(PREF_TOKENS, tokens.to_json() if tokens else "")

    async def fetch_me(self) -> Me:
        token = await self.access_token()
        if token is None:
            raise AuthError("signed_out", "not signed in")
        try:
            response = await self.http.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise AuthError("offline", f"cannot reach the server ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            raise AuthError(str(response.status_code), response.text)
        self.me = Me.from_json(response.json())
        await self.prefs.set(PREF_ME, json.dumps(asdict(self.me)))
        return self.me

    # --- tokens --------------------------------------------------------------------------

    async def access_token(self) -> str | None:
        """The access token, refreshed first when it expires within a minute; None when
        signed out. Offline, the old token is returned: the request will fail on its own."""
        tokens = self.tokens
        if tokens is None:
            return None
        if tokens.expires_at - REFRESH_MARGIN > self.now():
            return tokens.access_token
        try:
            refreshed = await self.refresh(spent=tokens)
        except AuthError as exc:
            if exc.code == "offline":
                return tokens.access_token
            return None
        return refreshed.access_token if refreshed else None

    async def refresh(self, spent: Tokens | None = None) -> Tokens | None:
        """Trade the refresh token for a new pair (rotation). A caller that waited on the
        lock while another refreshed gets that result instead of spending the token twice.
        A refused refresh (revoked, expired, reused) ends the session: signed out."""
        async with self._refresh_lock:
            current = self.tokens
            if current is None:
                return None
            if spent is not None and current.access_token != spent.access_token:
                return current  # someone else refreshed meanwhile
            if not current.refresh_token:
                await self._end_session()
                return None
            try:
                body = await self._token_request(
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": current.refresh_token,
                        "client_id": CLIENT_ID,
                    }
                )
            except AuthError as exc:
                if exc.code != "offline":
                    log.info("refresh refused (%s): signed out", exc.code)
                    await self._end_session()
                raise
            fresh = Tokens.from_token_response(body, self.now())
            if fresh.refresh_token is None:
                fresh = Tokens(fresh.access_token, current.refresh_token, fresh.expires_at)
            await self._store(fresh)
            return fresh

    async def _end_session(self) -> None:
        await self._store(None)
        self.me = None
        await self.prefs.set(PREF_ME, "")

    async def sign_out(self) -> None:
        """Revoke the refresh token (ends its chain on the server), forget everything here.
        Offline, the tokens are forgotten anyway; the refresh token then expires unused."""
        tokens = self.tokens
        await self._end_session()
        if tokens and tokens.refresh_token:
            with contextlib.suppress(httpx.HTTPError):
                await self.http.post(
                    "/oauth/revoke", data={"token": tokens.refresh_token, "client_id": CLIENT_ID}
                )

    def httpx_auth(self) -> httpx.Auth:
        """Bearer auth for an httpx client (the sync engine's): the current token, and one
        retry with a refreshed token when the server answers 401."""
        return _BearerAuth(self)

    async def aclose(self) -> None:
        await self.http.aclose()


class _BearerAuth(httpx.Auth):
    def __init__(self, auth: Auth) -> None:
        self._auth = auth

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = self._auth.tokens
        token = await self._auth.access_token()
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and token and used is not None:
            with contextlib.suppress(AuthError):
                fresh = await self._auth.refresh(spent=self._auth.tokens)
                if fresh is not None and fresh.access_token != token:
                    request.headers["Authorization"] = f"Bearer {fresh.access_token}"
                    yield request


def _folder_name(user_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", user_id) or "user"


class Session:
    """The person on this device: `auth`, the one `api` client (signed-in calls carry the
    token), and while signed in a `sync` engine over a cache of their own
    (`device_dir/<user>/cache.db`). Screens read `me`, `signed_in`, `sync`."""

    def __init__(
        self,
        auth: Auth,
        api: ApiClient,
        device_dir: Path,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.auth = auth
        self.api = api
        self.device_dir = device_dir
        self.transport = transport
        self.sync: SyncEngine | None = None
        self._sync_http: httpx.AsyncClient | None = None
        self._listeners: list[Callable[[], None]] = []
        api.token_provider = auth.access_token

    @property
    def me(self) -> Me | None:
        return self.auth.me

    @property
    def signed_in(self) -> bool:
        return self.auth.signed_in

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Hear sign-in and sign-out."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    async def load(self) -> None:
        await self.auth.load()
        if self.signed_in:
            self.open_sync()

    async def complete_sign_in(self, params: dict[str, str]) -> Me:
        me = await self.auth.complete(params)
        self.open_sync()
        self._changed()
        return me

    def user_dir(self) -> Path:
        if self.me is None:
            raise AuthError("signed_out", "not signed in")
        return self.device_dir / _folder_name(self.me.id)

    def open_sync(self) -> SyncEngine:
        """The sync engine of the signed-in person (made once); its loop is run by the caller."""
        if self.sync is None:
            folder = self.user_dir()
            folder.mkdir(parents=True, exist_ok=True)
            self._sync_http = httpx.AsyncClient(
                base_url=self.auth.base_url,
                transport=self.transport,
                auth=self.auth.httpx_auth(),
                timeout=30,
            )
            self.sync = SyncEngine(Cache(folder / "cache.db"), self._sync_http)
        return self.sync

    def unsent(self) -> int:
        return self.sync.outbox.pending_count() if self.sync else 0

    async def sign_out(self, *, discard_unsent: bool = False) -> None:
        """Wipe this person's cached health data, revoke the refresh token, forget the tokens.
        Raises UnsentWrites (nothing changed) when writes are unsent and not to be discarded;
        the caller stops the sync loop first."""
        engine = self.sync
        if engine is not None:
            pending = engine.outbox.pending_count()
            if pending and not discard_unsent:
                raise UnsentWrites(pending)
            engine.sign_out(discard_unsent=discard_unsent)
            engine.cache.close()
            self.sync = None
        if self._sync_http is not None:
            await self._sync_http.aclose()
            self._sync_http = None
        await self.auth.sign_out()
        self._changed()

    async def aclose(self) -> None:
        if self.sync is not None:
            self.sync.cache.close()
            self.sync = None
        if self._sync_http is not None:
            await self._sync_http.aclose()
            self._sync_http = None
        await self.auth.aclose()
