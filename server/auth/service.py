"""Reads for the identity API: the caller's account, their access log, the admin audit view."""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from server.auth import audit, consent
from server.auth.access import STAFF_ROLES, Principal, Role
from server.auth.models import AuditRecord, Consent, User
from server.auth.schemas import AccessLogEntry, AuditOut, ConsentOut, MeOut
from server.core.errors import Forbidden, NotFound


def me(session: Session, principal: Principal) -> MeOut:
    user = session.get(User, principal.subject)
    if user is None:
        raise NotFound("this token is not a person's")
    return MeOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        patient_id=user.patient_id,
        scopes=sorted(principal.scopes),
        two_factor=Role(user.role) in STAFF_ROLES,
    )


def consent_out(session: Session, row: Consent) -> ConsentOut:
    return ConsentOut(
        id=row.id,
        patient_id=row.patient_id,
        grantee=consent.grantee_label(session, row),
        grantee_user_id=row.grantee_user_id,
        grantee_care_team_id=row.grantee_care_team_id,
        categories=row.categories.split(),
        proxy=row.proxy,
        status=row.status,
        active=consent.is_active(row),
        period_start=row.period_start,
        period_end=row.period_end,
        revoked_at=row.revoked_at,
    )


def access_log(
    session: Session, principal: Principal, *, include_own: bool, limit: int
) -> list[AccessLogEntry]:
    """Who looked at (or tried to look at) my data, newest first."""
    if principal.patient_id is None:
        raise Forbidden("only a person with health data has an access log")
    rows = audit.search(session, patient_id=principal.patient_id, limit=limit * 2)
    names: dict[str, str] = {}
    entries = []
    for row in rows:
        if not include_own and row.subject == principal.subject:
            continue
        if row.subject not in names:
            user = session.get(User, row.subject)
            names[row.subject] = user.display_name if user else row.subject
        entries.append(
            AccessLogEntry(
                seq=row.seq,
                recorded=row.recorded,
                who=names[row.subject],
                role=row.role,
                action=row.action,
                category=row.category,
                resource=row.resource,
                outcome=row.outcome,
                proxy=row.proxy,
            )
        )
    return entries[:limit]


AUDIT_ROLES = frozenset({Role.ADMIN, Role.OPERATOR})


def require_audit_reader(principal: Principal) -> None:
    if principal.role not in AUDIT_ROLES:
        raise Forbidden("only administrators and operators review the audit trail")


def audit_search(
    session: Session,
    principal: Principal,
    *,
    patient_id: str | None,
    subject: str | None,
    outcome: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    before_seq: int | None,
) -> Sequence[AuditRecord]:
    require_audit_reader(principal)
    return audit.search(
        session,
        patient_id=patient_id,
        subject=subject,
        outcome=outcome,
        since=since,
        until=until,
        limit=limit,
        before_seq=before_seq,
    )


def audit_out(row: AuditRecord) -> AuditOut:
    return AuditOut.model_validate(row, from_attributes=True)
