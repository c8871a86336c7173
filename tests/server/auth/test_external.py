"""External identity provider mode: tokens of another issuer, verified through its JWKS."""

import time

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from server.auth.runtime import AuthRuntime
from server.core.settings import Settings

ISSUER = "https://id.example-city.jp/realms/machi"
AUDIENCE = "machi-api"


@pytest.fixture
def issuer_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "ext-1"}, private=True)


@pytest.fixture
def fetches() -> list[str]:
    return []


@pytest.fixture
def external_client(app, db_settings, issuer_key, fetches):
    def handler(request: httpx.Request) -> httpx.Response:
        fetches.append(request.url.path)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/protocol/certs"}
            )
        if request.url.path.endswith("/protocol/certs"):
            return httpx.Response(200, json=KeySet([issuer_key]).as_dict(private=False))
        return httpx.Response(404)

    settings = Settings.model_validate(
        {**db_settings.model_dump(), "oidc_issuer": ISSUER, "oidc_audience": AUDIENCE}
    )
    app.state.settings = settings
    app.state.machi_auth = AuthRuntime(
        settings, http=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    with TestClient(app) as client:
        yield client


def _token(key: RSAKey, alg: str = "RS256", **overrides: object) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "kc-123",
        "exp": now + 300,
        "nbf": now,
        "machi_role": "family",
        "name": "Keiko",
        **overrides,
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def test_a_token_of_the_external_issuer_is_accepted_and_mapped(external_client, issuer_key):
    response = external_client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {_token(issuer_key)}"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "family"
    assert response.json()["display_name"] == "Keiko"


@pytest.mark.parametrize(
    "case", ["wrong_audience", "expired", "not_yet_valid", "wrong_key", "no_role", "bad_role"]
)
def test_bad_external_tokens_are_refused(external_client, issuer_key, case):
    now = int(time.time())
    key = issuer_key
    overrides: dict[str, object] = {
        "wrong_audience": {"aud": "other-api"},
        "expired": {"exp": now - 100},
        "not_yet_valid": {"nbf": now + 600},
        "no_role": {"machi_role": None},
        "bad_role": {"machi_role": "superuser"},
    }.get(case, {})
    if case == "wrong_key":
        key = RSAKey.generate_key(2048, parameters={"kid": "ext-1"}, private=True)

    response = external_client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {_token(key, **overrides)}"}
    )

    assert response.status_code == 401, (case, response.text)


def test_an_algorithm_outside_the_allow_list_is_refused(external_client):
    from joserfc.jwk import OctKey

    secret = OctKey.generate_key(256, parameters={"kid": "ext-1"})
    token = jwt.encode(
        {"alg": "HS256", "kid": "ext-1"},
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "x",
            "exp": int(time.time()) + 60,
            "machi_role": "admin",
        },
        secret,
    )

    response = external_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert "not allowed" in response.json()["detail"]


def test_the_jwks_is_fetched_once_and_cached(external_client, issuer_key, fetches):
    for _ in range(3):
        external_client.get("/api/v1/me", headers={"Authorization": f"Bearer {_token(issuer_key)}"})

    assert fetches.count("/realms/machi/protocol/certs") == 1
