"""Database engine (SQLite with WAL, or PostgreSQL through psycopg 3) and the request session."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from server.core.settings import Settings, SettingsError


def create_db_engine(settings: Settings) -> Engine:
    """Make the engine for the configured database; nothing connects until first use."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def check_database(engine: Engine) -> None:
    """Connect once; raise SettingsError with what to fix when the database is unreachable."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        where = engine.url.render_as_string(hide_password=True)
        raise SettingsError(
            f"cannot connect to the database {where}: {reason}. "
            "Is the server running? Check MACHI_DATABASE_URL."
        ) from None


def ensure_data_dir(path: Path) -> None:
    """Create the data folder and prove it is writable, or say what to fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise SettingsError(
            f"data folder {path.resolve()} is not writable ({exc.strerror}); "
            "fix its permissions or set MACHI_DATA_DIR"
        ) from None


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commits once at the end, or rolls back on error."""
    engine: Engine = request.app.state.engine
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a failed commit is never a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
