"""Consent: a person grants a user or a care team access to categories of their data; revokes
it at once; invitation codes let a relative or a care team member accept a grant."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from server.auth.access import DataCategory, Principal, Role
from server.auth.models import CareTeam, CareTeamMember, Consent, Invitation, User
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound

INVITATION_TTL = timedelta(days=7)
# Unambiguous when read aloud or typed by an older person: no 0/O, 1/I/L.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

# FHIR resource types per category, for the exported Consent's provision.class.
CATEGORY_CLASSES: dict[DataCategory, list[str]] = {
    DataCategory.VITALS: ["Observation"],
    DataCategory.VISITS: ["Encounter"],
    DataCategory.APPOINTMENTS: ["Appointment"],
    DataCategory.MEDICATIONS: ["MedicationStatement"],
    DataCategory.CARE_TIMELINE: ["Communication"],
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse_categories(values: Sequence[str]) -> str:
    if not values:
        raise InvalidInput("choose at least one kind of data to share")
    try:
        return " ".join(sorted({DataCategory(v).value for v in values}))
    except ValueError:
        known = ", ".join(c.value for c in DataCategory)
        raise InvalidInput(f"unknown data category; use {known}") from None


def _own_patient(principal: Principal) -> str:
    if principal.patient_id is None:
        raise Forbidden("only a person with health data can share it")
    return principal.patient_id


def is_active(consent: Consent, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        consent.status == "active"
        and _aware(consent.period_start) <= now
        and (consent.period_end is None or _aware(consent.period_end) > now)
    )


def list_consents(session: Session, principal: Principal) -> Sequence[Consent]:
    patient_id = _own_patient(principal)
    return session.exec(
        select(Consent)
        .where(Consent.patient_id == patient_id)
        .order_by(col(Consent.created_at).desc())
    ).all()


def grant(
    session: Session,
    principal: Principal,
    *,
    grantee_username: str | None,
    care_team_id: str | None,
    categories: Sequence[str],
    proxy: bool,
    days: int | None,
    relationship: str | None = None,
) -> Consent:
    patient_id = _own_patient(principal)
    if (grantee_username is None) == (care_team_id is None):
        raise InvalidInput("name either a person (grantee_username) or a care team")
    grantee_id = None
    if grantee_username is not None:
        user = session.exec(select(User).where(User.username == grantee_username)).first()
        if user is None or user.disabled:
            raise NotFound(f"no active user {grantee_username!r}")
        if user.id == principal.subject:
            raise InvalidInput("you always see your own data")
        grantee_id = user.id
    if care_team_id is not None:
        team = session.get(CareTeam, care_team_id)
        if team is None or team.patient_id != patient_id:
            raise NotFound("no such care team of yours")
    if days is not None and days < 1:
        raise InvalidInput("days must be at least 1")
    now = utcnow()
    consent = Consent(
        patient_id=patient_id,
        grantor_user_id=principal.subject,
        grantee_user_id=grantee_id,
        grantee_care_team_id=care_team_id,
        relationship=relationship,
        categories=parse_categories(categories),
        proxy=proxy,
        period_start=now,
        period_end=now + timedelta(days=days) if days else None,
    )
    session.add(consent)
    session.flush()
    return consent


def revoke(session: Session, principal: Principal, consent_id: str) -> Consent:
    """Takes effect on the grantee's very next request (nothing caches consent)."""
    patient_id = _own_patient(principal)
    consent = session.get(Consent, consent_id)
    if consent is None or consent.patient_id != patient_id:
        raise NotFound("no such consent of yours")
    if consent.status != "active":
        return consent
    consent.status = "inactive"
    consent.revoked_at = utcnow()
    session.add(consent)
    return consent


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().upper().encode()).hexdigest()


def create_invitation(
    session: Session,
    principal: Principal,
    *,
    categories: Sequence[str],
    proxy: bool,
    care_team_name: str | None,
    relationship: str | None,
    days: int | None,
) -> tuple[str, Invitation]:
    """A code (shown once) that whoever enters it can accept: a relative becomes a grantee,
    a staff member joins the person's care team (`care_team_name` given)."""
    patient_id = _own_patient(principal)
    team_id = None
    if care_team_name is not None:
        team = session.exec(
            select(CareTeam).where(
                CareTeam.patient_id == patient_id, CareTeam.name == care_team_name
            )
        ).first()
        if team is None:
            team = CareTeam(patient_id=patient_id, name=care_team_name)
            session.add(team)
            session.flush()
        team_id = team.id
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    code = f"{raw[:5]}-{raw[5:]}"
    invitation = Invitation(
        code_hash=_code_hash(code),
        patient_id=patient_id,
        created_by=principal.subject,
        categories=parse_categories(categories),
        proxy=proxy,
        relationship=relationship,
        care_team_id=team_id,
        consent_days=days,
        expires_at=utcnow() + INVITATION_TTL,
    )
    session.add(invitation)
    session.flush()
    return code, invitation


def accept_invitation(session: Session, principal: Principal, code: str) -> Consent:
    invitation = session.get(Invitation, _code_hash(code))
    if invitation is None or _aware(invitation.expires_at) < utcnow():
        raise NotFound("this invitation code is unknown or expired")
    if invitation.accepted_at is not None:
        raise Conflict("this invitation code was already used")
    if invitation.created_by == principal.subject:
        raise InvalidInput("you cannot accept your own invitation")
    if principal.subject.startswith("client:"):
        raise Forbidden("only people accept invitations")
    now = utcnow()
    invitation.accepted_by = principal.subject
    invitation.accepted_at = now
    session.add(invitation)
    if invitation.care_team_id is not None:
        if principal.role in (Role.RESIDENT, Role.OPERATOR, Role.ADMIN):
            raise Forbidden("care team invitations are for family and care staff")
        session.add(
            CareTeamMember(
                care_team_id=invitation.care_team_id,
                user_id=principal.subject,
                role=principal.role.value,
            )
        )
        consent = session.exec(
            select(Consent).where(
                Consent.grantee_care_team_id == invitation.care_team_id,
                Consent.status == "active",
            )
        ).first()
        if consent is not None:
            return consent
    consent = Consent(
        patient_id=invitation.patient_id,
        grantor_user_id=invitation.created_by,
        grantee_user_id=None if invitation.care_team_id else principal.subject,
        grantee_care_team_id=invitation.care_team_id,
        relationship=invitation.relationship,
        categories=invitation.categories,
        proxy=invitation.proxy,
        period_start=now,
        period_end=now + timedelta(days=invitation.consent_days)
        if invitation.consent_days
        else None,
    )
    session.add(consent)
    session.flush()
    return consent


def grantee_label(session: Session, consent: Consent) -> str:
    if consent.grantee_user_id:
        user = session.get(User, consent.grantee_user_id)
        return user.display_name if user else consent.grantee_user_id
    team = session.get(CareTeam, consent.grantee_care_team_id or "")
    return team.name if team else "care team"


def to_fhir(consent: Consent) -> dict[str, Any]:
    """The consent as a FHIR R4 Consent (patient-privacy, OPTIN, provision permit)."""
    actor_ref = (
        {"reference": f"CareTeam/{consent.grantee_care_team_id}"}
        if consent.grantee_care_team_id
        else {"identifier": {"system": "urn:machi:user", "value": consent.grantee_user_id}}
    )
    role_code = consent.relationship or (
        "GRANTEE" if not consent.grantee_care_team_id else "CAREGIVER"
    )
    period: dict[str, str] = {"start": _aware(consent.period_start).isoformat()}
    if consent.period_end:
        period["end"] = _aware(consent.period_end).isoformat()
    actions = [
        {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"}
            ]
        }
    ]
    if consent.proxy:
        actions.append({"coding": [{"system": "urn:machi:consent-action", "code": "proxy"}]})
    classes = [
        {"system": "http://hl7.org/fhir/resource-types", "code": type_}
        for value in consent.categories.split()
        for type_ in CATEGORY_CLASSES.get(DataCategory(value), [])
    ]
    return {
        "resourceType": "Consent",
        "id": consent.id,
        "status": "active" if consent.status == "active" else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{consent.patient_id}"},
        "dateTime": _aware(consent.created_at).isoformat(),
        "policyRule": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
            ]
        },
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                "code": role_code,
                            }
                        ]
                    },
                    "reference": actor_ref,
                }
            ],
            "action": actions,
            "class": classes,
            "extension": [
                {"url": "urn:machi:data-category", "valueCode": value}
                for value in consent.categories.split()
            ],
        },
    }
