"""The built-in OAuth 2.0 / OIDC provider: authorization code + PKCE (S256), rotating refresh
tokens with reuse detection, client credentials, revocation.

Grant failures are returned as `OAuthError` values, not raised, so the request's transaction
still commits what the failure changed (a revoked refresh-token chain, a spent code).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlmodel import Session, col, select, update

from server.auth import tokens
from server.auth.access import Role
from server.auth.models import AuthorizationCode, OAuthClient, RefreshToken, User, new_id
from server.core.settings import Settings

APP_CLIENT_ID = "machi-app"
APP_SCOPE = "openid profile offline_access patient/*.cruds user/*.cruds"
CODE_TTL = timedelta(minutes=2)
_secret_hasher = PasswordHasher()


@dataclass(frozen=True)
class OAuthError:
    error: str
    description: str
    status: int = 400


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def app_redirect_uris(settings: Settings) -> list[str]:
    return [f"{settings.base_url}/callback", *settings.app_redirect_uris.split()]


def ensure_app_client(session: Session, settings: Settings) -> OAuthClient:
    """The public app client, created on first use; its redirect URIs follow the settings."""
    client = session.get(OAuthClient, APP_CLIENT_ID)
    uris = "\n".join(app_redirect_uris(settings))
    if client is None:
        client = OAuthClient(
            client_id=APP_CLIENT_ID, name="machi app", redirect_uris=uris, scope=APP_SCOPE
        )
        session.add(client)
        session.flush()
    elif client.redirect_uris != uris:
        client.redirect_uris = uris
        session.add(client)
    return client


def get_client(session: Session, settings: Settings, client_id: str) -> OAuthClient | None:
    if client_id == APP_CLIENT_ID:
        return ensure_app_client(session, settings)
    return session.get(OAuthClient, client_id)


def create_service_client(
    session: Session, *, client_id: str, role: Role, scope: str, name: str = ""
) -> tuple[OAuthClient, str]:
    """A confidential client for client credentials; the secret is returned once."""
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=client_id,
        name=name or client_id,
        secret_hash=_secret_hasher.hash(secret),
        grant_types="client_credentials",
        scope=scope,
        role=role.value,
    )
    session.add(client)
    session.flush()
    return client, secret


def narrow_scope(requested: str, allowed: str) -> str:
    """The requested scopes this client may have; no scope asked means all it may have."""
    allowed_set = allowed.split()
    if not requested.strip():
        return " ".join(allowed_set)
    return " ".join(s for s in requested.split() if s in allowed_set)


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str
    nonce: str | None


def check_authorize(
    session: Session,
    settings: Settings,
    *,
    response_type: str,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str,
    code_challenge: str,
    code_challenge_method: str,
    nonce: str | None,
) -> tuple[AuthorizeRequest | None, OAuthError | None, bool]:
    """Validate an authorization request. The bool says whether the error may be sent to the
    redirect URI: never when the client or the redirect URI itself is wrong (open redirect)."""
    client = get_client(session, settings, client_id)
    if client is None or "authorization_code" not in client.grant_types.split():
        return None, OAuthError("invalid_client", "unknown client"), False
    if redirect_uri not in client.redirect_uris.split("\n"):
        return None, OAuthError("invalid_request", "redirect_uri is not registered"), False
    if response_type != "code":
        return None, OAuthError("unsupported_response_type", "only code is supported"), True
    if not code_challenge or code_challenge_method != "S256":
        return None, OAuthError("invalid_request", "PKCE with S256 is required"), True
    if not 43 <= len(code_challenge) <= 128:
        return None, OAuthError("invalid_request", "code_challenge has the wrong length"), True
    request = AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=narrow_scope(scope, client.scope),
        state=state,
        code_challenge=code_challenge,
        nonce=nonce or None,
    )
    return request, None, True


def issue_code(session: Session, request: AuthorizeRequest, user: User) -> str:
    code = secrets.token_urlsafe(32)
    session.add(
        AuthorizationCode(
            code_hash=_hash(code),
            client_id=request.client_id,
            user_id=user.id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            expires_at=utcnow() + CODE_TTL,
        )
    )
    return code


def _user_scope(user: User, scope: str) -> str:
    # Only a person who IS a patient can hold patient/ scopes.
    if user.patient_id:
        return scope
    return " ".join(s for s in scope.split() if not s.startswith("patient/"))


def _token_response(
    session: Session,
    settings: Settings,
    *,
    user: User,
    client_id: str,
    scope: str,
    chain_id: str | None,
    nonce: str | None = None,
) -> dict[str, Any]:
    access = tokens.issue_access_token(
        session,
        settings,
        subject=user.id,
        client_id=client_id,
        scope=scope,
        role=user.role,
        patient_id=user.patient_id,
    )
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_seconds,
        "scope": scope,
    }
    if user.patient_id and any(s.startswith("patient/") for s in scope.split()):
        body["patient"] = user.patient_id  # SMART launch context
    if "offline_access" in scope.split():
        refresh = secrets.token_urlsafe(32)
        session.add(
            RefreshToken(
                token_hash=_hash(refresh),
                chain_id=chain_id or new_id(),
                user_id=user.id,
                client_id=client_id,
                scope=scope,
                expires_at=utcnow() + timedelta(days=settings.refresh_token_ttl_days),
            )
        )
        body["refresh_token"] = refresh
    if "openid" in scope.split():
        body["id_token"] = tokens.issue_id_token(
            session, settings, user=user, client_id=client_id, nonce=nonce
        )
    return body


def exchange_code(
    session: Session,
    settings: Settings,
    *,
    code: str,
    client_id: str,
    redirect_uri: str,
    code_verifier: str,
) -> dict[str, Any] | OAuthError:
    row = session.get(AuthorizationCode, _hash(code))
    if row is None or row.client_id != client_id:
        return OAuthError("invalid_grant", "unknown authorization code")
    if row.used_at is not None:
        # A replayed code: someone else may hold it. Kill what the first use produced.
        _revoke_user_client_chains(session, row.user_id, row.client_id, after=row.used_at)
        return OAuthError("invalid_grant", "authorization code already used")
    row.used_at = utcnow()
    session.add(row)
    if _aware(row.expires_at) < utcnow():
        return OAuthError("invalid_grant", "authorization code expired")
    if row.redirect_uri != redirect_uri:
        return OAuthError("invalid_grant", "redirect_uri does not match the authorization")
    if not code_verifier or not 43 <= len(code_verifier) <= 128:
        return OAuthError("invalid_grant", "code_verifier is missing or malformed")
    if not secrets.compare_digest(create_s256_code_challenge(code_verifier), row.code_challenge):
        return OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return OAuthError("invalid_grant", "the account is disabled")
    return _token_response(
        session,
        settings,
        user=user,
        client_id=client_id,
        scope=_user_scope(user, row.scope),
        chain_id=None,
        nonce=row.nonce,
    )


def _revoke_chain(session: Session, chain_id: str) -> None:
    session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.chain_id) == chain_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def _revoke_user_client_chains(
    session: Session, user_id: str, client_id: str, after: datetime
) -> None:
    chains = session.exec(
        select(RefreshToken.chain_id).where(
            RefreshToken.user_id == user_id,
            RefreshToken.client_id == client_id,
            col(RefreshToken.created_at) >= after - timedelta(seconds=5),
        )
    ).all()
    for chain in set(chains):
        _revoke_chain(session, chain)


def refresh(
    session: Session, settings: Settings, *, refresh_token: str, client_id: str
) -> dict[str, Any] | OAuthError:
    """Rotate: the presented token is spent and a new one of the same chain is issued.
    Presenting a spent token again means it leaked: the whole chain is revoked."""
    row = session.get(RefreshToken, _hash(refresh_token))
    if row is None or row.client_id != client_id:
        return OAuthError("invalid_grant", "unknown refresh token")
    if row.revoked_at is not None:
        return OAuthError("invalid_grant", "refresh token revoked")
    if row.used_at is not None:
        _revoke_chain(session, row.chain_id)
        return OAuthError("invalid_grant", "refresh token reused; signed out everywhere")
    if _aware(row.expires_at) < utcnow():
        return OAuthError("invalid_grant", "refresh token expired")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        _revoke_chain(session, row.chain_id)
        return OAuthError("invalid_grant", "the account is disabled")
    row.used_at = utcnow()
    session.add(row)
    return _token_response(
        session,
        settings,
        user=user,
        client_id=client_id,
        scope=_user_scope(user, row.scope),
        chain_id=row.chain_id,
    )


def client_credentials(
    session: Session, settings: Settings, *, client_id: str, client_secret: str, scope: str
) -> dict[str, Any] | OAuthError:
    client = session.get(OAuthClient, client_id)
    valid = False
    if client is not None and client.secret_hash:
        try:
            valid = _secret_hasher.verify(client.secret_hash, client_secret)
        except (VerificationError, InvalidHashError):
            valid = False
    if client is None or not valid or not client.role:
        return OAuthError("invalid_client", "unknown client or wrong secret", 401)
    if "client_credentials" not in client.grant_types.split():
        return OAuthError("unauthorized_client", "client credentials not allowed")
    granted = narrow_scope(scope, client.scope)
    access = tokens.issue_access_token(
        session,
        settings,
        subject=f"client:{client.client_id}",
        client_id=client.client_id,
        scope=granted,
        role=client.role,
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_seconds,
        "scope": granted,
    }


def revoke(session: Session, *, token: str, client_id: str) -> None:
    """RFC 7009: revoking a refresh token ends its chain; unknown tokens are not an error.
    Access tokens are short-lived JWTs and expire on their own."""
    row = session.get(RefreshToken, _hash(token))
    if row is not None and row.client_id == client_id:
        _revoke_chain(session, row.chain_id)


def discovery(settings: Settings) -> dict[str, Any]:
    base = settings.base_url
    return {
        "issuer": tokens.issuer(settings),
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/oauth/jwks",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": tokens.ALGORITHMS,
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_post",
            "client_secret_basic",
        ],
        "scopes_supported": [
            "openid",
            "profile",
            "offline_access",
            "patient/*.cruds",
            "user/*.cruds",
        ],
        "claims_supported": ["sub", "name", "preferred_username", "machi_role", "patient"],
    }


def userinfo(user: User) -> dict[str, Any]:
    info: dict[str, Any] = {
        "sub": user.id,
        "name": user.display_name,
        "preferred_username": user.username,
        "machi_role": user.role,
    }
    if user.patient_id:
        info["patient"] = user.patient_id
    return info
