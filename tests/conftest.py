"""Shared fixtures: settings in a temp folder, a migrated database per backend, an API client.

Every test that takes `session` or `client` runs once on SQLite and once on PostgreSQL when
MACHI_TEST_DATABASE_URL is set (CI sets it). Each test runs inside a transaction that is rolled
back, so no test sees another's rows.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from server.core import migrate
from server.core.db import create_db_engine, get_session
from server.core.settings import Settings
from server.main import create_app

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI") == "true"


def shared_data(relative: str) -> Path:
    """A file from ../shared/data, or skip the test when that folder is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} not found (../shared/data is not beside this clone)")
    return path


def postgres_url() -> str:
    url = os.environ.get("MACHI_TEST_DATABASE_URL", "")
    if not url:
        if IN_CI:
            pytest.fail("MACHI_TEST_DATABASE_URL must be set in CI")
        pytest.skip("PostgreSQL tests need MACHI_TEST_DATABASE_URL")
    return url


def make_settings(tmp: Path, backend: str, **overrides: object) -> Settings:
    database_url = postgres_url() if backend == "postgresql" else f"sqlite:///{tmp / 'machi.db'}"
    values: dict[str, object] = {
        "data_dir": tmp,
        "database_url": database_url,
        "web_client": False,
        **overrides,
    }
    return Settings.model_validate(values)


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def db_settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp(f"data-{backend}"), backend)


@pytest.fixture(scope="session")
def engine(db_settings: Settings) -> Iterator[Engine]:
    """One migrated database per backend for the whole run (schema from the real migrations)."""
    engine = create_db_engine(db_settings)
    if not db_settings.is_sqlite:
        _reset_postgres(engine)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test; commits become savepoints."""
    connection = engine.connect()
    outer = connection.begin()
    if connection.dialect.name == "sqlite":
        # pysqlite opens its transaction lazily, at the first write: without this BEGIN the
        # first savepoint would start a real transaction and releasing it would commit.
        connection.exec_driver_sql("BEGIN")
    db = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(db_settings: Settings, engine: Engine, session: Session) -> FastAPI:
    application = create_app(db_settings)
    application.state.engine = engine

    def test_session() -> Iterator[Session]:
        # Like get_session, but on the test's session: commit = release a savepoint.
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise

    application.dependency_overrides[get_session] = test_session
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
