"""Factories for auth tests: users, care teams, consents and principals, as plain functions."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from server.auth.access import Principal, Role
from server.auth.models import CareTeam, CareTeamMember, Consent, User, new_id

APP_SCOPES = frozenset({"openid", "offline_access", "patient/*.cruds", "user/*.cruds"})


@dataclass
class Factory:
    session: Session

    def user(self, role: Role = Role.RESIDENT, **overrides: object) -> User:
        uid = new_id()
        values: dict[str, object] = {
            "id": uid,
            "username": f"{role.value}-{uid[:8]}",
            "role": role.value,
            "patient_id": f"p-{uid[:12]}" if role is Role.RESIDENT else None,
            **overrides,
        }
        user = User.model_validate(values)
        self.session.add(user)
        self.session.flush()
        return user

    def principal(self, user: User, scopes: frozenset[str] = APP_SCOPES) -> Principal:
        return Principal(
            subject=user.id,
            role=Role(user.role),
            patient_id=user.patient_id,
            scopes=scopes,
            client_id="machi-app",
        )

    def care_team(self, patient_id: str, *members: User) -> CareTeam:
        team = CareTeam(patient_id=patient_id, name="team")
        self.session.add(team)
        self.session.flush()
        for member in members:
            self.session.add(
                CareTeamMember(care_team_id=team.id, user_id=member.id, role=member.role)
            )
        self.session.flush()
        return team

    def consent(
        self,
        patient: User,
        *,
        grantee: User | None = None,
        team: CareTeam | None = None,
        categories: str = "vitals visits appointments medications care_timeline",
        proxy: bool = False,
        state: str = "active",
    ) -> Consent:
        """state: active, revoked, expired or future."""
        now = datetime.now(UTC)
        consent = Consent(
            patient_id=patient.patient_id or "",
            grantor_user_id=patient.id,
            grantee_user_id=grantee.id if grantee else None,
            grantee_care_team_id=team.id if team else None,
            categories=categories,
            proxy=proxy,
            period_start=now - timedelta(days=30),
        )
        if state == "revoked":
            consent.status = "inactive"
            consent.revoked_at = now
        elif state == "expired":
            consent.period_end = now - timedelta(days=1)
        elif state == "future":
            consent.period_start = now + timedelta(days=1)
        self.session.add(consent)
        self.session.flush()
        return consent


@pytest.fixture
def make(session: Session) -> Factory:
    return Factory(session)


# --- signing in through the real authorization-code + PKCE flow -----------------------------

import base64  # noqa: E402
import hashlib  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

import pyotp  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from server.auth import users  # noqa: E402

PASSWORD = "correct horse battery"
REDIRECT = "jp.hitachi.city.machi://oauth/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "machi-app",
        "redirect_uri": REDIRECT,
        "scope": "openid profile offline_access patient/*.cruds user/*.cruds",
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }


def login_form(client: TestClient, params: dict[str, str]) -> tuple[dict[str, str], Any]:
    page = client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    return {"csrf": csrf.group(1), **params}, page


def sign_in(
    client: TestClient,
    username: str,
    password: str = PASSWORD,
    totp: str = "",
    **overrides: str,
) -> dict[str, Any]:
    """The whole app flow: page, form, code, token exchange. Returns the token response."""
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, **overrides)
    form, _ = login_form(client, params)
    response = client.post(
        "/oauth/authorize",
        data={**form, "username": username, "password": password, "totp": totp},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["st-1"]
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": params["redirect_uri"],
            "client_id": "machi-app",
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


@dataclass
class Account:
    user: User
    totp_secret: str | None
    recovery_codes: list[str]

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now() if self.totp_secret else ""


def add_account(session: Session, role: Role, username: str | None = None) -> Account:
    made = users.create_user(
        session,
        username=username or f"{role.value}-{secrets.token_hex(4)}",
        role=role,
        password=PASSWORD,
    )
    return Account(made.user, made.user.totp_secret, made.recovery_codes)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def h() -> Any:
    """The helpers above (tests cannot import conftest in importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        PASSWORD=PASSWORD,
        REDIRECT=REDIRECT,
        pkce_pair=pkce_pair,
        authorize_params=authorize_params,
        login_form=login_form,
        sign_in=sign_in,
        add_account=add_account,
        bearer=bearer,
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at production cost takes ~0.4 s per hash here; tests check behaviour, not cost."""
    from argon2 import PasswordHasher

    from server.auth import oauth

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    monkeypatch.setattr(users, "_DUMMY_HASH", cheap.hash("dummy password"))
    monkeypatch.setattr(oauth, "_secret_hasher", cheap)
