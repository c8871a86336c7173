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
