"""Shared helpers of care and clinic: consent checks without audit noise, writing to the FHIR
store after our own `authorize`, people's display names, and times."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, col, select

from server.auth import audit
from server.auth.access import (
    Action,
    DataCategory,
    Principal,
    Role,
    authorize,
    visible_patients,
)
from server.auth.models import CareTeam, CareTeamMember, User
from server.core.errors import MachiError
from server.core.logging import current_request_id
from server.health import store
from server.health.fhir_access import PreauthorizedAccess
from server.health.search import run_search

JST = timezone(timedelta(hours=9), "JST")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """Database datetimes come back naive on SQLite: they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fhir_instant(moment: datetime) -> str:
    return aware(moment).astimezone(JST).isoformat(timespec="seconds")


# Our services authorize once per request and person; the store must not audit again.
ServiceAccess = PreauthorizedAccess


def fhir_create(
    session: Session, principal: Principal, res_type: str, body: dict[str, Any], res_id: str
) -> str:
    """Write a resource at our own id (creating or replacing it); returns the id."""
    store.update_resource(
        session, ServiceAccess(session, principal), res_type, res_id, {**body, "id": res_id}
    )
    return res_id


def fhir_search(
    session: Session, principal: Principal, res_type: str, params: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Search the store for data the caller was already authorized to read."""
    page = run_search(session, ServiceAccess(session, principal), res_type, params)
    return [json.loads(match.content) for match in page.matches]


def fhir_read(session: Session, principal: Principal, res_type: str, res_id: str) -> Any:
    try:
        return json.loads(
            store.read(session, ServiceAccess(session, principal), res_type, res_id).content or ""
        )
    except MachiError:  # absent or deleted: the caller shows what it has
        return None


def can_see(
    session: Session, principal: Principal, patient_id: str, category: DataCategory
) -> bool:
    """Whether a read would be allowed, without writing an audit record (to hide sections)."""
    if principal.patient_id == patient_id:
        return True
    return patient_id in visible_patients(session, principal, category)


def require(
    session: Session,
    principal: Principal,
    action: Action,
    patient_id: str,
    category: DataCategory,
    resource: str,
    *,
    proxy: bool = False,
) -> None:
    authorize(
        session,
        principal,
        action=action,
        patient_id=patient_id,
        category=category,
        resource=resource,
        proxy=proxy,
    )


def audit_practitioner(
    session: Session,
    principal: Principal,
    *,
    action: Action,
    patient_id: str,
    resource: str,
    reason: str,
) -> None:
    """Audit access that comes from taking part in the person's care episode (the doctor of
    an appointment the person booked), which no standing Consent row names."""
    audit.queue(
        session,
        audit.AuditEntry(
            recorded=utcnow(),
            subject=principal.subject,
            role=principal.role.value,
            client_id=principal.client_id,
            action=action,
            patient_id=patient_id,
            category=DataCategory.APPOINTMENTS.value,
            resource=resource,
            outcome="allowed",
            reason=reason,
            source=principal.source,
            request_id=current_request_id() or None,
        ),
    )


def user_names(session: Session, user_ids: set[str]) -> dict[str, User]:
    if not user_ids:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(sorted(user_ids)))).all()
    return {user.id: user for user in rows}


def team_of(session: Session, patient_id: str) -> CareTeam | None:
    """The person's care team (the oldest, when the person made more than one)."""
    return session.exec(
        select(CareTeam).where(CareTeam.patient_id == patient_id).order_by(col(CareTeam.created_at))
    ).first()


def team_role(session: Session, user_id: str, patient_id: str) -> str | None:
    """The role a user has in one of the person's care teams now, or None."""
    row = session.exec(
        select(CareTeamMember.role)
        .join(CareTeam, col(CareTeam.id) == col(CareTeamMember.care_team_id))
        .where(
            CareTeam.patient_id == patient_id,
            CareTeamMember.user_id == user_id,
            col(CareTeamMember.removed_at).is_(None),
        )
    ).first()
    return row


def patient_name(session: Session, principal: Principal, patient_id: str) -> str:
    """The person's name from their FHIR Patient, else their account's display name."""
    resource = fhir_read(session, principal, "Patient", patient_id)
    if isinstance(resource, dict):
        for name in resource.get("name") or []:
            if name.get("text"):
                return str(name["text"])
            parts = [name.get("family", ""), *name.get("given", [])]
            if any(parts):
                return " ".join(p for p in parts if p)
    user = session.exec(select(User).where(User.patient_id == patient_id)).first()
    return user.display_name if user and user.display_name else patient_id


def is_family(principal: Principal) -> bool:
    return principal.role is Role.FAMILY
