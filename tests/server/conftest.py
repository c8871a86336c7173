"""Factories for the care and clinic tests: people, a care team with its consent, and calling
the API as someone (the principal is injected; signing in is Identity's tested business)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.access import Principal, Role, current_principal
from server.auth.models import CareTeam, CareTeamMember, Consent, User, new_id
from server.care.models import CareVisit

SCOPES = frozenset({"openid", "patient/*.cruds", "user/*.cruds"})
ALL = "vitals visits appointments medications care_timeline"


@dataclass
class World:
    session: Session
    app: FastAPI
    client: TestClient
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str, role: Role) -> User:
        uid = new_id()
        user = User(
            id=uid,
            username=f"{name}-{uid[:8]}",
            display_name=name,
            role=role.value,
            patient_id=f"p-{uid[:12]}" if role is Role.RESIDENT else None,
        )
        self.session.add(user)
        self.session.commit()
        self.users[name] = user
        return user

    def principal(self, user: User) -> Principal:
        return Principal(
            subject=user.id,
            role=Role(user.role),
            patient_id=user.patient_id,
            scopes=SCOPES,
            client_id="machi-app",
        )

    def team(self, patient: User, *members: User, categories: str = ALL) -> CareTeam:
        team = CareTeam(patient_id=patient.patient_id or "", name="ケアチーム")
        self.session.add(team)
        self.session.commit()
        for member in members:
            self.session.add(
                CareTeamMember(care_team_id=team.id, user_id=member.id, role=member.role)
            )
        self.session.add(
            Consent(
                patient_id=team.patient_id,
                grantor_user_id=patient.id,
                grantee_care_team_id=team.id,
                categories=categories,
                period_start=datetime.now(UTC) - timedelta(days=1),
            )
        )
        self.session.commit()
        return team

    def consent(
        self, patient: User, grantee: User, categories: str = ALL, *, proxy: bool = False
    ) -> Consent:
        consent = Consent(
            patient_id=patient.patient_id or "",
            grantor_user_id=patient.id,
            grantee_user_id=grantee.id,
            categories=categories,
            proxy=proxy,
            period_start=datetime.now(UTC) - timedelta(days=1),
        )
        self.session.add(consent)
        self.session.commit()
        return consent

    def visit(self, patient: User, nurse: User, **overrides: Any) -> CareVisit:
        start = datetime.now(UTC).replace(microsecond=0)
        visit = CareVisit(
            patient_id=patient.patient_id or "",
            nurse_user_id=nurse.id,
            scheduled_start=overrides.pop("start", start),
            scheduled_end=overrides.pop("end", start + timedelta(hours=1)),
            purpose="バイタル測定・服薬確認",
            **overrides,
        )
        self.session.add(visit)
        self.session.commit()
        return visit

    def as_(self, user: User) -> TestClient:
        """The API client, now calling as `user`."""
        principal = self.principal(user)
        self.app.dependency_overrides[current_principal] = lambda: principal
        return self.client


@pytest.fixture
def world(session: Session, app: FastAPI, client: TestClient) -> Iterator[World]:
    yield World(session, app, client)
    app.dependency_overrides.pop(current_principal, None)
