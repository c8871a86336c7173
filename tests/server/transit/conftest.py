"""Transit fixtures: a data folder with the Hitachi demo feed imported, and an API client on it.

Imports commit (they are atomic on purpose), so these fixtures use their own database per
module (SQLite in a temp folder; on PostgreSQL the test database, emptied of feeds afterwards)
instead of the rolled-back `session` fixture.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from server.core import migrate
from server.core.db import create_db_engine
from server.core.settings import Settings
from server.main import create_app
from server.transit.importer import import_feed, list_feeds, remove_feed

REPO = Path(__file__).resolve().parents[3]
DEMO_FEED = REPO / "gtfs" / "hitachi"
SHARED_GTFS = REPO.parent / "shared" / "data" / "gtfs"


class TransitEnv:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def import_feed(self, path: Path, feed_id: str | None = None) -> None:
        import_feed(self.settings, self.engine, path, feed_id)

    def clear(self) -> None:
        for feed in list_feeds(self.engine):
            remove_feed(self.settings, self.engine, feed.feed_id)


def shared_gtfs(name: str) -> Path:
    """A feed from ../shared/data/gtfs (tests cannot import the root conftest in importlib mode)."""
    path = SHARED_GTFS / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} not found (../shared/data is not beside this clone)")
    return path


def _settings(tmp: Path, backend: str) -> Settings:
    if backend == "postgresql":
        url = os.environ.get("MACHI_TEST_DATABASE_URL", "")
        if not url:
            pytest.skip("PostgreSQL tests need MACHI_TEST_DATABASE_URL")
    else:
        url = f"sqlite:///{tmp / 'machi.db'}"
    return Settings.model_validate({"data_dir": tmp, "database_url": url, "web_client": False})


def _env(tmp: Path, backend: str) -> Iterator[TransitEnv]:
    settings = _settings(tmp, backend)
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    env = TransitEnv(settings, engine)
    env.clear()
    try:
        yield env
    finally:
        env.clear()
        engine.dispose()


@pytest.fixture
def transit_env(tmp_path: Path, backend: str) -> Iterator[TransitEnv]:
    """An empty transit installation (no feeds) in its own data folder."""
    yield from _env(tmp_path, backend)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[TransitEnv]:
    """The demo feed imported once per module."""
    for env in _env(tmp_path_factory.mktemp("transit"), backend):
        env.import_feed(DEMO_FEED, "hitachi")
        yield env


@pytest.fixture(scope="module")
def demo_client(demo_env: TransitEnv) -> Iterator[TestClient]:
    app = create_app(demo_env.settings)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def shared_feed() -> "type[SharedFeeds]":
    return SharedFeeds


class SharedFeeds:
    """Access to ../shared/data/gtfs from tests (a fixture, since conftest is not importable)."""

    path = staticmethod(shared_gtfs)
