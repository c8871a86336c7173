"""The built-in OAuth provider: PKCE sign-in, tokens, refresh rotation, JWKS, attacks."""

from server.auth.access import Role


def test_a_resident_signs_in_with_pkce_and_calls_the_api(client, session, h):
    alice = h.add_account(session, Role.RESIDENT)

    tokens = h.sign_in(client, alice.user.username)
    me = client.get("/api/v1/me", headers=h.bearer(tokens["access_token"]))

    assert me.status_code == 200, me.text
    assert me.json()["patient_id"] == alice.user.patient_id
    assert tokens["patient"] == alice.user.patient_id
    assert {"access_token", "refresh_token", "id_token"} <= tokens.keys()


import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

import pytest  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402

from server.auth import keys  # noqa: E402
from server.auth.tokens import AUDIENCE  # noqa: E402


def _claims(client, user_id: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    settings = client.app.state.settings
    return {
        "iss": settings.base_url,
        "aud": AUDIENCE,
        "sub": user_id,
        "scope": "user/*.cruds",
        "client_id": "machi-app",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        **overrides,
    }


def _real_key(client, session) -> RSAKey:
    return keys.current_key(session, client.app.state.settings)


def test_a_token_signed_by_our_key_is_accepted(client, session, h):
    user = h.add_account(session, Role.FAMILY).user
    key = _real_key(client, session)
    token = jwt.encode({"alg": "RS256", "kid": key.kid}, _claims(client, user.id), key)

    assert client.get("/api/v1/me", headers=h.bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "attack",
    [
        "alg_none",
        "wrong_key",
        "hs256_with_public_key",
        "wrong_audience",
        "wrong_issuer",
        "expired",
        "not_yet_valid",
        "no_expiry",
        "garbage",
        "no_token",
    ],
)
def test_forged_or_unusable_tokens_are_refused(client, session, h, attack):
    import base64
    import json

    user = h.add_account(session, Role.FAMILY).user
    key = _real_key(client, session)
    now = int(time.time())
    claims = _claims(client, user.id)
    header = {"alg": "RS256", "kid": key.kid}
    signing_key: object = key

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    if attack == "alg_none":
        token = f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(json.dumps(claims).encode())}."
    elif attack == "hs256_with_public_key":
        # The classic confusion attack: HMAC keyed with the published RSA public key.
        import hashlib
        import hmac

        signing_input = (
            f"{b64(json.dumps({'alg': 'HS256', 'kid': key.kid}).encode())}."
            f"{b64(json.dumps(claims).encode())}"
        )
        mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256)
        token = f"{signing_input}.{b64(mac.digest())}"
    else:
        if attack == "wrong_key":
            signing_key = RSAKey.generate_key(2048, parameters={"kid": key.kid}, private=True)
        elif attack == "wrong_audience":
            claims["aud"] = "someone-else"
        elif attack == "wrong_issuer":
            claims["iss"] = "https://evil.example"
        elif attack == "expired":
            claims["exp"] = now - 120
        elif attack == "not_yet_valid":
            claims["nbf"] = now + 600
        elif attack == "no_expiry":
            del claims["exp"]
        token = jwt.encode(header, claims, signing_key, algorithms=["RS256", "HS256"])
    if attack == "garbage":
        token = "not-a-jwt"
    headers = {} if attack == "no_token" else h.bearer(token)

    response = client.get("/api/v1/me", headers=headers)

    assert response.status_code == 401, (attack, response.text)
    assert response.json()["error"] == "unauthorized"


def test_a_disabled_users_token_stops_working_at_once(client, session, h):
    account = h.add_account(session, Role.RESIDENT)
    tokens = h.sign_in(client, account.user.username)
    account.user.disabled = True
    session.add(account.user)
    session.commit()  # a request that fails rolls back to here

    assert client.get("/api/v1/me", headers=h.bearer(tokens["access_token"])).status_code == 401
    refreshed = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "machi-app",
        },
    )
    assert refreshed.status_code == 400


def _refresh(client, token: str):
    return client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "machi-app"},
    )


def test_refresh_tokens_rotate_and_reuse_revokes_the_chain(client, session, h):
    rita = h.add_account(session, Role.RESIDENT).user.username
    first = h.sign_in(client, rita)

    second = _refresh(client, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]

    reuse = _refresh(client, first["refresh_token"])  # a thief replays the spent token
    assert reuse.status_code == 400
    assert "reused" in reuse.json()["error_description"]
    # ... and the legitimate newest token of the chain is dead too.
    assert _refresh(client, second.json()["refresh_token"]).status_code == 400


def test_revocation_signs_out(client, session, h):
    sam = h.add_account(session, Role.RESIDENT).user.username
    tokens = h.sign_in(client, sam)

    revoked = client.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": "machi-app"}
    )

    assert revoked.status_code == 200
    assert _refresh(client, tokens["refresh_token"]).status_code == 400


def _code_for(client, h, username: str, **overrides: str):
    verifier, challenge = h.pkce_pair()
    params = h.authorize_params(challenge, **overrides)
    form, _ = h.login_form(client, params)
    response = client.post(
        "/oauth/authorize",
        follow_redirects=False,
        data={**form, "username": username, "password": h.PASSWORD},
    )
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    return code, verifier, params


@pytest.mark.parametrize("verifier_case", ["missing", "wrong"])
def test_the_code_needs_the_right_pkce_verifier(client, session, h, verifier_case):
    pat = h.add_account(session, Role.RESIDENT).user.username
    code, _verifier, params = _code_for(client, h, pat)
    sent = "" if verifier_case == "missing" else h.pkce_pair()[0]

    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "machi-app",
            "redirect_uri": params["redirect_uri"],
            "code_verifier": sent,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_is_single_use(client, session, h):
    una = h.add_account(session, Role.RESIDENT).user.username
    code, verifier, params = _code_for(client, h, una)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": "machi-app",
        "redirect_uri": params["redirect_uri"],
        "code_verifier": verifier,
    }

    assert client.post("/oauth/token", data=data).status_code == 200
    assert client.post("/oauth/token", data=data).status_code == 400


def test_an_authorization_without_pkce_is_refused(client, h):
    params = h.authorize_params("", code_challenge_method="")

    response = client.get("/oauth/authorize", params=params, follow_redirects=False)

    assert response.status_code == 303
    assert "error=invalid_request" in response.headers["location"]


def test_plain_pkce_is_refused(client, h):
    _, challenge = h.pkce_pair()
    params = h.authorize_params(challenge, code_challenge_method="plain")

    response = client.get("/oauth/authorize", params=params, follow_redirects=False)

    assert "error=invalid_request" in response.headers["location"]


@pytest.mark.parametrize(
    "uri",
    [
        "jp.hitachi.city.machi://oauth/callback/extra",
        "https://evil.example/cb",
        "jp.hitachi.city.machi://oauth/callback?x=1",
    ],
)
def test_a_redirect_uri_must_match_exactly_and_is_never_followed_otherwise(client, h, uri):
    _, challenge = h.pkce_pair()

    response = client.get(
        "/oauth/authorize",
        params=h.authorize_params(challenge, redirect_uri=uri),
        follow_redirects=False,
    )

    assert response.status_code == 400
    assert "location" not in response.headers


def test_the_token_redirect_uri_must_match_the_authorization(client, session, h):
    vic = h.add_account(session, Role.RESIDENT).user.username
    code, verifier, _ = _code_for(client, h, vic)

    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "machi-app",
            "redirect_uri": "http://testserver/callback",
            "code_verifier": verifier,
        },
    )

    assert response.status_code == 400


def test_the_login_form_needs_its_csrf_token(client, session, h):
    wes = h.add_account(session, Role.RESIDENT).user.username
    _, challenge = h.pkce_pair()
    form, _ = h.login_form(client, h.authorize_params(challenge))
    form["csrf"] = "forged"

    response = client.post(
        "/oauth/authorize",
        follow_redirects=False,
        data={**form, "username": wes, "password": h.PASSWORD},
    )

    assert response.status_code == 403
    assert "location" not in response.headers


def _try_password(client, h, username: str, password: str):
    _, challenge = h.pkce_pair()
    form, _ = h.login_form(client, h.authorize_params(challenge))
    return client.post(
        "/oauth/authorize",
        follow_redirects=False,
        data={**form, "username": username, "password": password},
    )


def test_brute_force_locks_the_account_with_a_clear_message(client, session, h):
    xan = h.add_account(session, Role.RESIDENT).user.username
    for _ in range(5):
        assert _try_password(client, h, xan, "wrong password!").status_code == 401

    locked = _try_password(client, h, xan, h.PASSWORD)  # even the right one, now

    assert locked.status_code == 401
    assert "locked after 5 failed sign-ins" in locked.text
    assert "try again in" in locked.text


def test_staff_need_a_totp_code_and_recovery_codes_work_once(client, session, h):
    nurse = h.add_account(session, Role.NURSE)
    nina = nurse.user.username

    no_code = _try_password(client, h, nina, h.PASSWORD)
    assert no_code.status_code == 401
    assert 'name="totp"' in no_code.text

    assert h.sign_in(client, nina, totp=nurse.code())["access_token"]
    recovery = nurse.recovery_codes[0]
    assert h.sign_in(client, nina, totp=recovery)["access_token"]
    _, challenge = h.pkce_pair()
    form, _ = h.login_form(client, h.authorize_params(challenge))
    again = client.post(
        "/oauth/authorize",
        follow_redirects=False,
        data={**form, "username": nina, "password": h.PASSWORD, "totp": recovery},
    )
    assert again.status_code == 401


def test_jwks_and_discovery_publish_what_clients_need(client):
    config = client.get("/.well-known/openid-configuration").json()
    jwks = client.get("/oauth/jwks").json()

    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["jwks_uri"].endswith("/oauth/jwks")
    assert jwks["keys"]
    assert all("d" not in k and k["kid"] for k in jwks["keys"])


def test_rotation_keeps_old_keys_until_their_tokens_expire(client, session, h):
    yui = h.add_account(session, Role.RESIDENT).user.username
    old_tokens = h.sign_in(client, yui)
    settings = client.app.state.settings
    old_kid = _real_key(client, session).kid

    keys.rotate(session)
    session.commit()

    published = {k["kid"] for k in client.get("/oauth/jwks").json()["keys"]}
    assert old_kid in published
    assert client.get("/api/v1/me", headers=h.bearer(old_tokens["access_token"])).status_code == 200
    from server.auth.models import SigningKey

    row = session.get(SigningKey, old_kid)
    row.retired_at = datetime.now(UTC) - timedelta(seconds=settings.access_token_ttl_seconds + 120)
    session.add(row)
    session.commit()
    assert old_kid not in {k["kid"] for k in client.get("/oauth/jwks").json()["keys"]}


def test_client_credentials_give_a_token_without_patient_access(client, session, h):
    from server.auth import oauth

    oauth.create_service_client(
        session, client_id="city-sync", role=Role.OPERATOR, scope="system/*.rs"
    )
    _, secret = oauth.create_service_client(
        session, client_id="city-sync-2", role=Role.OPERATOR, scope="system/*.rs"
    )

    bad = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "city-sync-2", "client_secret": "x"},
    )
    good = client.post(
        "/oauth/token", auth=("city-sync-2", secret), data={"grant_type": "client_credentials"}
    )

    assert bad.status_code == 401
    assert good.status_code == 200
    assert "refresh_token" not in good.json()


def test_userinfo_describes_the_signed_in_person(client, session, h):
    zoe = h.add_account(session, Role.FAMILY).user.username
    tokens = h.sign_in(client, zoe)

    info = client.get("/oauth/userinfo", headers=h.bearer(tokens["access_token"])).json()

    assert info["preferred_username"] == zoe
    assert info["machi_role"] == "family"
    assert "patient" not in info
    assert all(not s.startswith("patient/") for s in tokens["scope"].split())
