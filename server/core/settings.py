"""The one Settings object: every knob comes from `MACHI_*` environment variables."""

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MACHI_"


class SettingsError(Exception):
    """A setting is unknown or has a value we cannot use; the message says what to fix."""


class Settings(BaseSettings):
    """Runtime configuration. Built once in `create_app()` or the CLI, never at import time."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file in the data folder"
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL clients use to reach this server; default from host/port",
    )
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_request_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    web_client: bool = Field(default=True, description="Serve the Flet web client at /")
    tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="Map tile server URL template used by the app",
    )
    # Identity (server/auth): built-in OAuth 2.0 / OIDC provider, or an external one.
    access_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    signing_key_rotation_days: int = Field(default=30, ge=1)
    app_redirect_uris: str = Field(
        default="jp.hitachi.city.machi://oauth/callback",
        description="Space-separated redirect URIs of the app client, besides {base_url}/callback",
    )
    login_max_failures: int = Field(default=5, ge=1, description="failures before lock-out")
    login_lockout_minutes: int = Field(default=15, ge=1)
    oidc_issuer: str | None = Field(
        default=None, description="External OIDC issuer whose tokens the API also accepts"
    )
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = Field(default=None, description="default: from discovery")
    oidc_role_claim: str = "machi_role"
    oidc_patient_claim: str = "patient"
    oidc_algorithms: str = Field(default="RS256 ES256", description="space-separated allow-list")
    otp_url: str | None = Field(
        default=None,
        description="OpenTripPlanner 2 base URL; when set, journeys come from its GTFS GraphQL API",
    )
    otp_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one OTP request")
    fhir_url: str | None = Field(
        default=None,
        description="External FHIR R4 server for the PHR diary; default: the embedded /fhir store",
    )
    fhir_token: str | None = Field(default=None, description="Bearer token for MACHI_FHIR_URL")
    fhir_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one FHIR request")

    # Shared mobility (server/mobility).
    mobility_hold_seconds: int = Field(
        default=300, ge=30, le=3600, description="How long a PENDING hold keeps a vehicle"
    )
    mobility_reservation_minutes: int = Field(
        default=15, ge=1, le=120, description="How long a CONFIRMED booking waits for unlock"
    )
    gbfs_system_id: str = Field(default="hitachi-machi", description="GBFS system_id we publish")
    gbfs_ttl_seconds: int = Field(default=30, ge=0, description="GBFS ttl of the status feeds")

    # Online clinic video rooms (server/clinic): Jitsi Meet with token authentication.
    video_domain: str = Field(
        default="meet.jit.si", description="Jitsi Meet host the join links open (JWT `sub`)"
    )
    video_app_id: str = Field(default="machi", description="JWT `iss`: Jitsi's app_id")
    video_audience: str = Field(default="jitsi", description="JWT `aud` Jitsi accepts")
    video_secret: str | None = Field(
        default=None,
        description="HS256 secret shared with Jitsi (app_secret); unset: one is made and kept "
        "in the database, which only suits the demo",
    )
    video_join_early_minutes: int = Field(
        default=15, ge=0, le=120, description="How long before the start a room may be joined"
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, with the SQLite default and the psycopg 3 driver filled in."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'machi.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def base_url(self) -> str:
        """Where the app and the links we hand out reach this server."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def _unknown_names(environ: Mapping[str, str]) -> list[str]:
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    problems = []
    for key in sorted(environ):
        if key.startswith(ENV_PREFIX) and key not in known and not key.startswith("MACHI_TEST_"):
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"unknown setting {key}{hint}")
    return problems


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from the environment, turning every problem into one readable line."""
    env = os.environ if environ is None else environ
    problems = _unknown_names(env)
    if problems:
        raise SettingsError("; ".join(problems))
    values = {
        name: env[ENV_PREFIX + name.upper()]
        for name in Settings.model_fields
        if ENV_PREFIX + name.upper() in env
    }
    try:
        # model_validate skips pydantic-settings' own env reading: `env` is the only source.
        return Settings.model_validate({**values, **overrides})
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = ENV_PREFIX + str(err["loc"][0]).upper() if err["loc"] else "settings"
            parts.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("; ".join(parts)) from None
