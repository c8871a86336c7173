"""The app's sign-in against the real server: authorize page → code → PKCE token exchange →
silent refresh with rotation → sign-out that revokes and wipes the device's health cache."""

import asyncio
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session as DbSession

from app.client.api import ApiClient, ApiError
from app.client.auth import (
    PREF_PENDING,
    PREF_TOKENS,
    Auth,
    AuthError,
    Session,
    UnsentWrites,
    new_pkce,
    parse_callback,
)
from app.client.state import MemoryPreferences
from server.auth import users
from server.auth.access import Role
from server.core.settings import Settings

PASSWORD = "a-long-test-password-1"


class Clock:
    def __init__(self) -> None:
        self.value = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.value


@pytest.fixture
def resident(session: DbSession) -> str:
    users.create_user(
        session,
        username="hanako-t",
        role=Role.RESIDENT,
        password=PASSWORD,
        display_name="日立 花子",
        patient_id="p-hanako-t",
    )
    session.flush()
    return "hanako-t"


@pytest.fixture
def transport(app: FastAPI) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app)


@pytest.fixture
async def device(
    transport: httpx.ASGITransport, db_settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[Session, MemoryPreferences, Clock]]:
    prefs, clock = MemoryPreferences(), Clock()
    auth = Auth(db_settings.base_url, prefs, transport=transport, now=clock)
    api = ApiClient(db_settings.base_url, transport=transport)
    session = Session(auth, api, tmp_path / "device", transport=transport)
    yield session, prefs, clock
    await session.aclose()
    await api.aclose()


async def browser_sign_in(
    transport: httpx.ASGITransport, url: str, username: str, password: str = PASSWORD
) -> str:
    """What the person does in the browser: open the page, fill the form; returns the
    redirect the server answers with (the app's /callback?code=…&state=…)."""
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as b:
        page = await b.get(url)
        assert page.status_code == 200, page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        hidden = {k: v.replace("&amp;", "&") for k, v in hidden.items()}
        answer = await b.post(
            "/oauth/authorize",
            data={**hidden, "username": username, "password": password},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])


def route_of(location: str) -> str:
    """Flet's page.route for that address: the path and the query string."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_pkce_pair_is_s256_of_a_fresh_verifier() -> None:
    one, two = new_pkce(), new_pkce()
    assert one.verifier != two.verifier
    assert one.state != two.state
    assert 43 <= len(one.verifier) <= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", one.challenge)  # 32 bytes, base64url, no padding


def test_callback_is_found_only_at_the_callback_path() -> None:
    assert parse_callback("/callback?code=abc&state=xyz") == {"code": "abc", "state": "xyz"}
    assert parse_callback("/callback", {"code": "c", "state": "s"}) == {"code": "c", "state": "s"}
    assert parse_callback("/callback?error=access_denied&state=s") is not None
    assert parse_callback("/") is None
    assert parse_callback("/trips?code=abc") is None
    assert parse_callback(None) is None


async def test_a_resident_signs_in_with_code_and_pkce_and_the_session_syncs(
    device: tuple[Session, MemoryPreferences, Clock],
    transport: httpx.ASGITransport,
    resident: str,
) -> None:
    session, prefs, _ = device
    url = await session.auth.authorize_url(return_to="diary")
    assert "code_challenge_method=S256" in url
    assert "client_id=machi-app" in url

    location = await browser_sign_in(transport, url, resident)
    params = parse_callback(route_of(location))
    assert params is not None
    me = await session.complete_sign_in(params)

    assert (me.display_name, me.role, me.patient_id) == ("日立 花子", "resident", "p-hanako-t")
    assert session.signed_in
    assert session.auth.return_to == "diary"
    stored = json.loads(await prefs.get(PREF_TOKENS) or "{}")
    assert stored["refresh_token"]
    assert stored["access_token"]
    assert await prefs.get(PREF_PENDING) == ""  # the verifier is used once
    # The one ApiClient now carries the token.
    assert (await session.api.request("GET", "/api/v1/me"))["username"] == resident
    # A sync engine of this person's own, over device_dir/<user>/cache.db, reaches the server.
    assert session.sync is not None
    assert session.sync.cache.path == str(session.user_dir() / "cache.db")
    await session.sync.sync()
    assert session.sync.status().synced


async def test_an_answer_with_another_state_is_refused(
    device: tuple[Session, MemoryPreferences, Clock],
    transport: httpx.ASGITransport,
    resident: str,
) -> None:
    session, prefs, _ = device
    url = await session.auth.authorize_url()
    params = parse_callback(route_of(await browser_sign_in(transport, url, resident)))
    assert params is not None

    with pytest.raises(AuthError) as refused:
        await session.complete_sign_in({**params, "state": "forged"})

    assert refused.value.code == "state_mismatch"
    assert not session.signed_in
    assert await prefs.get(PREF_TOKENS) is None
    # The saved verifier was spent: replaying the right state now fails too.
    with pytest.raises(AuthError):
        await session.complete_sign_in(params)


async def test_the_server_denial_is_reported(
    device: tuple[Session, MemoryPreferences, Clock],
) -> None:
    session, _, _ = device
    await session.auth.authorize_url()
    with pytest.raises(AuthError) as denied:
        await session.complete_sign_in({"error": "access_denied", "state": "x"})
    assert denied.value.code == "access_denied"


async def signed_in(
    device: tuple[Session, MemoryPreferences, Clock], transport: httpx.ASGITransport, who: str
) -> Session:
    session = device[0]
    url = await session.auth.authorize_url()
    params = parse_callback(route_of(await browser_sign_in(transport, url, who)))
    assert params is not None
    await session.complete_sign_in(params)
    return session


async def test_an_expiring_token_is_refreshed_once_and_the_refresh_token_rotates(
    device: tuple[Session, MemoryPreferences, Clock],
    transport: httpx.ASGITransport,
    resident: str,
) -> None:
    session = await signed_in(device, transport, resident)
    _, prefs, clock = device
    before = session.auth.tokens
    assert before is not None
    clock.value = before.expires_at - timedelta(seconds=30)  # inside the refresh margin

    # Three screens ask at once: one refresh, everyone gets the new token.
    tokens = await asyncio.gather(*(session.auth.access_token() for _ in range(3)))

    after = session.auth.tokens
    assert after is not None
    assert set(tokens) == {after.access_token}
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert json.loads(await prefs.get(PREF_TOKENS) or "{}")["refresh_token"] == after.refresh_token
    assert (await session.api.request("GET", "/api/v1/me"))["username"] == resident

    # The spent refresh token coming back is reuse: the server revokes the whole chain.
    async with httpx.AsyncClient(transport=transport, base_url=session.auth.base_url) as other:
        reuse = await other.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": before.refresh_token,
                "client_id": "machi-app",
            },
        )
    assert reuse.status_code == 400
    clock.value = after.expires_at  # next refresh is refused: the device is signed out
    assert await session.auth.access_token() is None
    assert not session.signed_in
    assert await prefs.get(PREF_TOKENS) == ""


async def test_a_token_from_an_earlier_session_is_restored_without_the_network(
    device: tuple[Session, MemoryPreferences, Clock],
    transport: httpx.ASGITransport,
    resident: str,
    db_settings: Settings,
) -> None:
    first = await signed_in(device, transport, resident)
    _, prefs, _ = device

    offline = httpx.MockTransport(lambda _r: (_ for _ in ()).throw(httpx.ConnectError("down")))
    again = Auth(db_settings.base_url, prefs, transport=offline)
    await again.load()

    assert again.signed_in
    assert again.me == first.me
    # Offline with an expired token: the stale token is handed out; nothing is forgotten.
    assert again.tokens is not None
    again.tokens = replace(again.tokens, expires_at=datetime.now(UTC) - timedelta(minutes=5))
    assert await again.access_token() == again.tokens.access_token
    assert again.signed_in
    await again.aclose()


async def test_sign_out_revokes_forgets_the_tokens_and_wipes_the_health_cache(
    device: tuple[Session, MemoryPreferences, Clock],
    transport: httpx.ASGITransport,
    resident: str,
) -> None:
    session = await signed_in(device, transport, resident)
    _, prefs, _ = device
    engine = session.sync
    assert engine is not None
    assert session.auth.tokens is not None
    refresh_token = session.auth.tokens.refresh_token
    engine.outbox.write("diary", "create", data={"note": "朝の血圧"}, patient_id="p")
    cache_file = session.user_dir() / "cache.db"

    with pytest.raises(UnsentWrites) as unsent:
        await session.sign_out()
    assert unsent.value.count == 1
    assert session.signed_in

    await session.sign_out(discard_unsent=True)

    assert not session.signed_in
    assert session.sync is None
    assert await prefs.get(PREF_TOKENS) == ""
    with pytest.raises(ApiError) as refused:
        await session.api.request("GET", "/api/v1/me")
    assert refused.value.status == 401
    async with httpx.AsyncClient(transport=transport, base_url=session.auth.base_url) as other:
        reuse = await other.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token or "",
                "client_id": "machi-app",
            },
        )
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    with sqlite3.connect(cache_file) as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM record").fetchone() == (0,)
