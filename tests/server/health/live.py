"""A live uvicorn server on a free port, for tests that drive the store with real clients."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from server.auth.access import Principal, current_principal
from server.core import migrate
from server.core.db import create_db_engine
from server.main import create_app
from tests.conftest import make_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(
    tmp: Path, principal: Callable[[], Principal], configure: Callable[[FastAPI], None] = print
) -> Iterator[str]:
    """Serve a fresh migrated SQLite database; yield the base URL ("http://127.0.0.1:N")."""
    port = free_port()
    settings = make_settings(tmp, "sqlite", port=port)
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    app.dependency_overrides[current_principal] = principal
    configure(app)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{base}/health", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
