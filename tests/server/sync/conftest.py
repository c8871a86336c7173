"""Fixtures for sync tests: people with consents, and API calls made as one of them."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.access import Principal, Role, current_principal
from server.auth.models import Consent, User, new_id

APP_SCOPES = frozenset({"openid", "offline_access", "patient/*.cruds", "user/*.cruds"})
ALL_CATEGORIES = "vitals visits appointments medications care_timeline"


def principal_of(user: User) -> Principal:
    return Principal(
        subject=user.id,
        role=Role(user.role),
        patient_id=user.patient_id,
        scopes=APP_SCOPES,
        client_id="machi-app",
    )


def create_user(session: Session, role: Role = Role.RESIDENT, **overrides: Any) -> User:
    uid = new_id()
    values: dict[str, Any] = {
        "id": uid,
        "username": f"{role.value}-{uid[:8]}",
        "role": role.value,
        "patient_id": f"p-{uid[:12]}" if role is Role.RESIDENT else None,
        **overrides,
    }
    user = User.model_validate(values)
    session.add(user)
    session.flush()
    return user


def grant(
    session: Session, patient: User, grantee: User, categories: str = ALL_CATEGORIES
) -> Consent:
    consent = Consent(
        patient_id=patient.patient_id or "",
        grantor_user_id=patient.id,
        grantee_user_id=grantee.id,
        categories=categories,
        period_start=datetime.now(UTC) - timedelta(days=1),
    )
    session.add(consent)
    session.flush()
    return consent


def revoke(session: Session, consent: Consent) -> None:
    consent.status = "inactive"
    consent.revoked_at = datetime.now(UTC)
    session.add(consent)
    session.flush()


def diary(patient_id: str, *, value: float = 128, record_id: str | None = None) -> dict[str, Any]:
    return {
        "idempotency_key": uuid.uuid4().hex,
        "collection": "diary_entries",
        "record_id": record_id or str(uuid.uuid4()),
        "op": "create",
        "patient_id": patient_id,
        "data": {
            "kind": "systolic",
            "value": value,
            "unit": "mm[Hg]",
            "recorded_at": "2026-11-22T07:30:00+09:00",
        },
    }


def note(patient_id: str, title: str = "ケアプラン", **extra: Any) -> dict[str, Any]:
    return {
        "idempotency_key": uuid.uuid4().hex,
        "collection": "care_notes",
        "record_id": str(uuid.uuid4()),
        "op": "create",
        "patient_id": patient_id,
        "data": {"title": title, "body": "朝夕の血圧測定"},
        **extra,
    }


@dataclass
class Api:
    """Calls /api/v1/sync as a given user."""

    client: TestClient
    users: dict[str, Principal] = field(default_factory=dict)

    def as_(self, user: User) -> "Caller":
        self.users[user.id] = principal_of(user)
        return Caller(self.client, user.id)


@dataclass
class Caller:
    client: TestClient
    user_id: str
    cursor: str | None = None

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.client.post(
            "/api/v1/sync/push",
            json={"mutations": list(mutations)},
            headers={"x-user": self.user_id},
        )
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def pull(self, cursor: str | None = "keep", **params: Any) -> dict[str, Any]:
        query = dict(params)
        use = self.cursor if cursor == "keep" else cursor
        if use:
            query["cursor"] = use
        response = self.client.get(
            "/api/v1/sync/pull", params=query, headers={"x-user": self.user_id}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.cursor = body["cursor"]
        return body


@pytest.fixture
def api(app: FastAPI, client: TestClient) -> Api:
    registry = Api(client)

    def principal(request: Request) -> Principal:
        return registry.users[request.headers["x-user"]]

    app.dependency_overrides[current_principal] = principal
    return registry
