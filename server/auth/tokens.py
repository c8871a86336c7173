"""Access tokens: issuing and verifying JWTs, and turning a bearer token into a Principal."""

import base64
import json
import secrets
import time
from typing import Any

from fastapi import Request
from joserfc import jwt
from joserfc.errors import JoseError
from sqlmodel import Session

from server.auth import keys
from server.auth.access import Principal, Role
from server.auth.models import OAuthClient, User
from server.core.errors import Unauthorized
from server.core.settings import Settings

AUDIENCE = "machi-api"
ALGORITHMS = ["RS256"]
CLOCK_SKEW_SECONDS = 30


def issuer(settings: Settings) -> str:
    return settings.base_url


def issue_access_token(
    session: Session,
    settings: Settings,
    *,
    subject: str,
    client_id: str,
    scope: str,
    role: str,
    patient_id: str | None = None,
) -> str:
    key = keys.current_key(session, settings)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer(settings),
        "aud": AUDIENCE,
        "sub": subject,
        "client_id": client_id,
        "scope": scope,
        "machi_role": role,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    if patient_id:
        claims["patient"] = patient_id  # SMART launch context: the patient/ scopes' patient
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}, claims, key)


def issue_id_token(
    session: Session,
    settings: Settings,
    *,
    user: User,
    client_id: str,
    nonce: str | None,
) -> str:
    key = keys.current_key(session, settings)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer(settings),
        "aud": client_id,
        "sub": user.id,
        "iat": now,
        "exp": now + settings.access_token_ttl_seconds,
        "name": user.display_name,
        "preferred_username": user.username,
        "machi_role": user.role,
    }
    if nonce:
        claims["nonce"] = nonce
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload without checking anything: only to pick which issuer verifies it."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise Unauthorized("malformed token") from exc
    if not isinstance(data, dict):
        raise Unauthorized("malformed token")
    return data


def check_claims(
    claims: dict[str, Any], *, iss: str, aud: str | None, leeway: int = CLOCK_SKEW_SECONDS
) -> None:
    """iss exact, aud contains ours, exp required and in the future, nbf/iat not ahead."""
    if claims.get("iss") != iss:
        raise Unauthorized("token from another issuer")
    if aud is not None:
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if aud not in audiences:
            raise Unauthorized("token for another audience")
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise Unauthorized("token without expiry")
    if exp < now - leeway:
        raise Unauthorized("token expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > now + leeway:
        raise Unauthorized("token not valid yet")


def verify_access_token(session: Session, settings: Settings, token: str) -> dict[str, Any]:
    """Verify one of our own access tokens: RS256 with a published key, iss, aud, exp, nbf."""
    try:
        decoded = jwt.decode(token, keys.published(session, settings), algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise Unauthorized("invalid token signature") from exc
    claims = dict(decoded.claims)
    check_claims(claims, iss=issuer(settings), aud=AUDIENCE)
    return claims


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("sign in first: send Authorization: Bearer <access token>")
    return token.strip()


def _source(request: Request) -> str | None:
    return request.client.host if request.client else None


def principal_from_request(request: Request, session: Session) -> Principal:
    from server.auth.runtime import runtime

    token = bearer_token(request)
    settings: Settings = request.app.state.settings
    rt = runtime(request.app)
    unverified = unverified_claims(token)
    if settings.oidc_issuer and unverified.get("iss") == settings.oidc_issuer:
        return rt.external_principal(session, token, _source(request))
    claims = verify_access_token(session, settings, token)
    return principal_from_claims(session, claims, _source(request))


def principal_from_claims(
    session: Session, claims: dict[str, Any], source: str | None
) -> Principal:
    """The database decides role, patient and whether the account still works; the token
    decides scopes. So disabling a user or changing a role takes effect at once."""
    subject = str(claims.get("sub", ""))
    scopes = frozenset(str(claims.get("scope", "")).split())
    client_id = str(claims.get("client_id", ""))
    if subject.startswith("client:"):
        client = session.get(OAuthClient, subject.removeprefix("client:"))
        if client is None or not client.role:
            raise Unauthorized("unknown client")
        return Principal(subject, Role(client.role), None, scopes, client.client_id, source)
    user = session.get(User, subject)
    if user is None:
        raise Unauthorized("unknown user")
    if user.disabled:
        raise Unauthorized("this account is disabled")
    return Principal(user.id, Role(user.role), user.patient_id, scopes, client_id, source)
