"""A small world for sync tests: a real server app on its own database, people with consents,
and devices (the app's real cache, outbox and sync engine) behind a network that can fail.

The network (`FaultyNetwork`) sits between a device's httpx client and the server's ASGI app,
and per request can: deliver it, drop it before the server sees it, lose the response after
the server committed, deliver it twice, or hold it back and deliver it later (reordering).
"""

import asyncio
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.client.cache import Cache
from app.client.sync import SyncEngine
from server.auth.access import Principal, Role, current_principal
from server.auth.models import Consent, User, new_id
from server.core import migrate
from server.core.db import create_db_engine
from server.core.settings import Settings
from server.main import create_app

SCOPES = frozenset({"openid", "offline_access", "patient/*.cruds", "user/*.cruds"})
SCHEMA = "machi_sync_prop"
FAULTS = ("ok", "drop", "lose", "duplicate", "delay")


def world_settings(tmp: Path, backend: str) -> Settings:
    """A database of its own (a file, or a PostgreSQL schema), so committed rows stay apart."""
    if backend == "postgresql":
        base = os.environ.get("MACHI_TEST_DATABASE_URL", "")
        if not base:
            pytest.skip("PostgreSQL tests need MACHI_TEST_DATABASE_URL")
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{SCHEMA}"
    else:
        url = f"sqlite:///{tmp / 'sync-world.db'}"
    return Settings.model_validate({"data_dir": tmp, "database_url": url, "web_client": False})


def prepare_database(settings: Settings) -> Engine:
    engine = create_db_engine(settings)
    if not settings.is_sqlite:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    migrate.upgrade(engine)
    return engine


def principal_of(user: User) -> Principal:
    return Principal(
        subject=user.id,
        role=Role(user.role),
        patient_id=user.patient_id,
        scopes=SCOPES,
        client_id="machi-app",
    )


class FaultyNetwork(httpx.AsyncBaseTransport):
    """Between one device and whichever server app is running now."""

    def __init__(self, server: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self.server = server
        self.faults: list[str] = []
        self.held: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.pop(0) if self.faults else "ok"
        content = await request.aread()
        if fault == "drop":
            raise httpx.ConnectError("request dropped", request=request)
        if fault == "delay":
            self.held.append(_copy(request, content))
            raise httpx.ReadTimeout("request held back", request=request)
        response = await self._deliver(_copy(request, content))
        if fault == "duplicate":
            response = await self._deliver(_copy(request, content))
        if fault == "lose":
            raise httpx.ReadTimeout("response lost after the server answered", request=request)
        return response

    async def _deliver(self, request: httpx.Request) -> httpx.Response:
        response = await self.server().handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    async def release_held(self) -> None:
        """Deliver held-back requests now, oldest first; nobody listens to the answers."""
        held, self.held = self.held, []
        for request in held:
            await self._deliver(request)


def _copy(request: httpx.Request, content: bytes) -> httpx.Request:
    return httpx.Request(request.method, request.url, headers=request.headers, content=content)


@dataclass
class Device:
    name: str
    user: User
    network: FaultyNetwork
    cache: Cache
    engine: SyncEngine
    http: httpx.AsyncClient
    keys: list[str] = field(default_factory=list)  # every write this device queued


class World:
    """Server + people + devices. Build with `World.create(settings)`; `close()` after."""

    def __init__(
        self, settings: Settings, engine: Engine, apps: tuple[FastAPI, FastAPI] | None = None
    ) -> None:
        self.settings = settings
        self.db = engine  # for setup and checks; the server app opens its own engine
        self.principals: dict[str, Principal] = {}
        # Two server instances, built once (create_app takes ~0.5 s): a restart switches to
        # the other one with a new engine, so no connection or cached state carries over.
        self.apps = apps or (self.new_app(), self.new_app())
        for app in self.apps:
            self.serve_as(app)
        self.app = self.apps[0]
        self.app.state.engine = create_db_engine(settings)
        self.transport = httpx.ASGITransport(app=self.app)
        self.devices: dict[str, Device] = {}
        self.users: dict[str, User] = {}
        self.consents: dict[str, Consent] = {}

    def new_app(self) -> FastAPI:
        return create_app(self.settings)

    def serve_as(self, app: FastAPI) -> None:
        def principal(request: Request) -> Principal:
            return self.principals[request.headers["x-user"]]

        app.dependency_overrides[current_principal] = principal

    def restart_server(self) -> None:
        """Another server instance on the same database (cursors and keys must survive)."""
        old = self.app
        old.state.engine.dispose()
        self.app = self.apps[1] if old is self.apps[0] else self.apps[0]
        self.app.state.engine = create_db_engine(self.settings)
        self.transport = httpx.ASGITransport(app=self.app)

    def add_user(self, name: str, role: Role) -> User:
        uid = new_id()
        user = User(
            id=uid,
            username=f"{name}-{uid[:10]}",
            role=role.value,
            patient_id=f"p-{uid[:16]}" if role is Role.RESIDENT else None,
        )
        with Session(self.db) as session:
            session.add(user)
            session.commit()
            session.refresh(user)
        self.users[name] = user
        self.principals[user.id] = principal_of(user)
        return user

    def set_consent(self, patient: str, grantee: str, active: bool) -> None:
        """Grant (a new Consent row) or revoke (status inactive) the grantee's access."""
        key = f"{patient}->{grantee}"
        with Session(self.db) as session:
            if active:
                consent = Consent(
                    patient_id=self.users[patient].patient_id or "",
                    grantor_user_id=self.users[patient].id,
                    grantee_user_id=self.users[grantee].id,
                    categories="vitals care_timeline",
                    period_start=datetime.now(UTC) - timedelta(minutes=1),
                )
                session.add(consent)
                session.commit()
                session.refresh(consent)
                self.consents[key] = consent
            elif key in self.consents:
                row = session.get(Consent, self.consents.pop(key).id)
                assert row is not None
                row.status = "inactive"
                row.revoked_at = datetime.now(UTC)
                session.add(row)
                session.commit()

    def add_device(self, name: str, user: User, cache_path: Path | str = ":memory:") -> Device:
        network = FaultyNetwork(lambda: self.transport)
        http = httpx.AsyncClient(
            transport=network, base_url="http://machi.test", headers={"x-user": user.id}
        )
        cache = Cache(cache_path)
        device = Device(name, user, network, cache, SyncEngine(cache, http, batch=7, page=11), http)
        self.devices[name] = device
        return device

    async def close(self) -> None:
        for device in self.devices.values():
            await device.http.aclose()
            device.cache.close()
        self.app.state.engine.dispose()


def new_diary(value: float) -> dict[str, Any]:
    return {
        "kind": "systolic",
        "value": value,
        "unit": "mm[Hg]",
        "recorded_at": "2026-11-22T07:30:00+09:00",
    }


def run(loop: asyncio.AbstractEventLoop, coroutine: Any) -> Any:
    return loop.run_until_complete(coroutine)


def short_id() -> str:
    return uuid.uuid4().hex[:8]


# --- the network itself: each fault does what it says -------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Any:
    settings = world_settings(tmp_path, "sqlite")
    engine = prepare_database(settings)
    world = World(settings, engine)
    yield world
    asyncio.run(world.close())
    engine.dispose()


async def _push_one(world: World, fault: str) -> tuple[Device, str]:
    mother = world.add_user("mother", Role.RESIDENT)
    phone = world.add_device("phone", mother)
    phone.engine.outbox.write(
        "diary_entries", "create", patient_id=mother.patient_id, data=new_diary(120)
    )
    phone.network.faults = [fault]
    try:
        await phone.engine.sync()
    except Exception as exc:
        return phone, type(exc).__name__
    return phone, "ok"


async def test_a_dropped_request_never_reaches_the_server(world: World) -> None:
    phone, outcome = await _push_one(world, "drop")

    assert outcome == "SyncInterrupted"
    assert phone.engine.status().pending == 1
    assert _server_count(world) == 0


async def test_a_lost_response_leaves_the_write_pending_though_the_server_has_it(
    world: World,
) -> None:
    phone, outcome = await _push_one(world, "lose")

    assert outcome == "SyncInterrupted"
    assert phone.engine.status().pending == 1
    assert _server_count(world) == 1

    await phone.engine.sync()

    assert phone.engine.status().pending == 0
    assert _server_count(world) == 1


async def test_a_held_back_request_arrives_late_and_changes_nothing(world: World) -> None:
    phone, _ = await _push_one(world, "delay")
    await phone.engine.sync()

    await phone.network.release_held()

    assert _server_count(world) == 1
    assert phone.engine.status().pending == 0


def _server_count(world: World) -> int:
    with world.db.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM sync_diary_entry")).scalar_one())
