"""The auth feature's long-lived parts (external issuer client), kept on `app.state`."""

import anyio
import anyio.from_thread
import httpx
from fastapi import FastAPI
from sqlmodel import Session, select

from server.auth.access import Principal, Role
from server.auth.external import ExternalIssuer
from server.auth.models import User
from server.core.errors import Unauthorized
from server.core.settings import Settings

DEFAULT_EXTERNAL_SCOPES = "user/*.cruds patient/*.cruds"


class AuthRuntime:
    """Built lazily on first use from the app's settings; tests put their own in `app.state`."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.external: ExternalIssuer | None = None
        if settings.oidc_issuer:
            self.external = ExternalIssuer(
                http or httpx.AsyncClient(),
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                algorithms=settings.oidc_algorithms.split(),
                jwks_url=settings.oidc_jwks_url,
            )

    def external_principal(self, session: Session, token: str, source: str | None) -> Principal:
        """Verify an outside issuer's token and map it to a local (auto-provisioned) account."""
        external = self.external
        if external is None:
            raise Unauthorized("external tokens are not accepted")
        try:
            # Called from FastAPI's worker thread: run the async verification on the loop.
            claims = anyio.from_thread.run(external.verify, token)
        except RuntimeError:  # not in a worker thread (a direct call, a script)
            claims = anyio.run(external.verify, token)
        role_claim = claims.get(self.settings.oidc_role_claim)
        values = role_claim if isinstance(role_claim, list) else [role_claim]
        role = next((Role(v) for v in values if isinstance(v, str) and v in set(Role)), None)
        if role is None:
            raise Unauthorized(f"token has no usable {self.settings.oidc_role_claim!r} claim")
        subject = str(claims.get("sub", ""))
        if not subject:
            raise Unauthorized("token has no subject")
        patient = claims.get(self.settings.oidc_patient_claim)
        user = session.exec(
            select(User).where(
                User.external_issuer == external.issuer, User.external_subject == subject
            )
        ).first()
        if user is None:
            user = User(
                username=f"{subject}@{external.issuer}"[:100],
                display_name=str(claims.get("name", subject))[:200],
                role=role.value,
                patient_id=str(patient) if patient and role is Role.RESIDENT else None,
                external_issuer=external.issuer,
                external_subject=subject,
            )
            session.add(user)
            session.flush()
        if user.disabled:
            raise Unauthorized("this account is disabled")
        scopes = set(str(claims.get("scope", "")).split()) | set(claims.get("scp", []) or [])
        if not any(s.startswith(("patient/", "user/")) for s in scopes):
            # The outside issuer proves who it is; what they may see is decided by consent.
            scopes |= set(DEFAULT_EXTERNAL_SCOPES.split())
        client_id = str(claims.get("azp") or claims.get("client_id") or "external")
        return Principal(
            user.id, Role(user.role), user.patient_id, frozenset(scopes), client_id, source
        )


def runtime(app: FastAPI) -> AuthRuntime:
    rt: AuthRuntime | None = getattr(app.state, "machi_auth", None)
    if rt is None:
        rt = AuthRuntime(app.state.settings)
        app.state.machi_auth = rt
    return rt
