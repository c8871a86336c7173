"""The FastAPI application: API under /api/v1, /health, and the Flet web client at /."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text

from server.auth.oauth_router import oauth_router
from server.auth.router import auth_router
from server.care.router import care_router
from server.clinic.router import clinic_router
from server.core.db import create_db_engine
from server.core.errors import NotFound, install_error_handlers
from server.core.logging import configure_logging
from server.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from server.core.settings import Settings, load_settings
from server.health.diary_router import diary_router
from server.health.fhir_router import fhir_router
from server.mobility.gbfs import router as gbfs_router
from server.mobility.router import router as mobility_router
from server.sync.router import router as sync_router
from server.transit.api import router as transit_router

log = logging.getLogger(__name__)

try:
    VERSION = version("machi")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0.0.0"


def api_router() -> APIRouter:
    """All /api/v1 routes; each feature contributes its own router here."""
    router = APIRouter(prefix="/api/v1")
    # Feature routers are included here, one line each.
    router.include_router(transit_router)
    router.include_router(auth_router())
    router.include_router(mobility_router)
    router.include_router(sync_router)
    router.include_router(care_router())
    router.include_router(clinic_router())
    router.include_router(diary_router())
    return router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the whole system from one Settings object; nothing happens at import time."""
    settings = settings or load_settings()
    configure_logging(settings.log_format, settings.log_level)
    engine = create_db_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.web_client:
            from flet_web.fastapi import app_manager

            await app_manager.start()
        log.info("machi %s serving on %s", VERSION, settings.base_url)
        try:
            yield
        finally:
            if settings.web_client:
                await app_manager.shutdown()
            engine.dispose()

    app = FastAPI(
        title="machi",
        version=VERSION,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)

    @app.get("/health", tags=["system"])
    def health(request: Request) -> dict[str, Any]:
        """Liveness and database reachability, for load balancers and the app's status dot."""
        database = "ok"
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # a health check reports, it does not raise
            database = f"error: {type(exc).__name__}"
        return {
            "status": "ok" if database == "ok" else "degraded",
            "database": database,
            "version": VERSION,
        }

    app.include_router(api_router())
    app.include_router(gbfs_router)
    app.include_router(fhir_router(VERSION))  # /fhir: the FHIR R4 store
    app.include_router(oauth_router())  # /oauth/* and /.well-known/openid-configuration

    @app.api_route(
        "/api/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def api_not_found(path: str) -> None:
        # Without this, unknown API paths would fall through to the web client's index.html.
        raise NotFound(f"no API route /api/{path}")

    if settings.web_client:
        from server.web import mount_web_client

        mount_web_client(app, settings)

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app
