"""Fixtures for mobility tests: the demo fleet, users, and calling the API as someone."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.access import Principal, Role, current_principal
from server.auth.models import Consent, User
from server.mobility.demo import load_demo_fleet

SCOPES = frozenset({"openid", "patient/*.cruds", "user/*.cruds"})

# Demo vehicles and places used across tests.
SCOOTER = "ks-007"  # free-floating near 日立駅
HITACHI_PORT = (36.59045, 140.65240)  # inside the station plaza's no-parking zone
HITACHI_PLAZA = (36.5906, 140.6538)  # no parking, away from the port
FREE_SPOT = (36.5870, 140.6480)  # a street north-west of the station: parking allowed


@pytest.fixture
def fleet(session: Session) -> int:
    # Committed (a savepoint released), so a request that fails and rolls back keeps it.
    count = load_demo_fleet(session)
    session.commit()
    return count


def make_user(session: Session, role: Role = Role.RESIDENT) -> User:
    uid = uuid.uuid4().hex
    user = User(
        id=uid,
        username=f"{role.value}-{uid[:8]}",
        role=role.value,
        patient_id=f"p-{uid[:12]}" if role is Role.RESIDENT else None,
    )
    session.add(user)
    session.commit()
    return user


def principal_of(user: User) -> Principal:
    return Principal(
        subject=user.id,
        role=Role(user.role),
        patient_id=user.patient_id,
        scopes=SCOPES,
        client_id="machi-app",
    )


def grant(session: Session, patient: User, grantee: User, *, proxy: bool) -> Consent:
    consent = Consent(
        patient_id=patient.patient_id or "",
        grantor_user_id=patient.id,
        grantee_user_id=grantee.id,
        categories="appointments",
        proxy=proxy,
        period_start=datetime.now(UTC) - timedelta(days=1),
    )
    session.add(consent)
    session.commit()
    return consent


ActAs = Callable[[User], TestClient]


@pytest.fixture
def act_as(app: FastAPI, client: TestClient) -> Iterator[ActAs]:
    """Make the API see `user` as the signed-in caller (replaces the bearer-token check)."""

    def switch(user: User) -> TestClient:
        principal = principal_of(user)
        app.dependency_overrides[current_principal] = lambda: principal
        return client

    yield switch
    app.dependency_overrides.pop(current_principal, None)


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@pytest.fixture
def m() -> Any:
    """The helpers and places above (tests cannot import conftest in importlib mode)."""
    return SimpleNamespace(
        SCOOTER=SCOOTER,
        HITACHI_PORT=HITACHI_PORT,
        HITACHI_PLAZA=HITACHI_PLAZA,
        FREE_SPOT=FREE_SPOT,
        make_user=make_user,
        principal_of=principal_of,
        grant=grant,
        key=key,
    )
