"""The care team of one care receiver: who is in it, joining by invitation code, leaving.

The team is Identity's CareTeam/CareTeamMember (what `authorize` consults); it is also kept in
the FHIR store as a CareTeam resource with the same id, for other systems to read.
"""

from sqlmodel import Session, col, select

from server.auth import consent
from server.auth.access import CARE_ROLES, DataCategory, Principal, Role, visible_patients
from server.auth.models import CareTeam, CareTeamMember, Consent
from server.care.common import (
    can_see,
    fhir_create,
    fhir_instant,
    patient_name,
    require,
    team_of,
    team_role,
    user_names,
    utcnow,
)
from server.care.schemas import InvitationOut, MemberOut, ReceiverOut, TeamOut
from server.core.errors import Forbidden, NotFound

TEAM_NAME = "ケアチーム"
DEFAULT_CATEGORIES = [c.value for c in DataCategory]
# FHIR participant roles (SNOMED CT where one fits; the rest are our own codes).
_ROLE_TEXT = {
    "family": "家族",
    "nurse": "訪問看護師",
    "doctor": "医師",
    "care_manager": "ケアマネジャー",
    "helper": "ホームヘルパー",
}


def members(session: Session, team: CareTeam) -> list[CareTeamMember]:
    return list(
        session.exec(
            select(CareTeamMember)
            .where(CareTeamMember.care_team_id == team.id, col(CareTeamMember.removed_at).is_(None))
            .order_by(col(CareTeamMember.added_at))
        ).all()
    )


def get_team(session: Session, principal: Principal, patient_id: str) -> TeamOut:
    require(session, principal, "read", patient_id, DataCategory.CARE_TIMELINE, "CareTeam")
    team = team_of(session, patient_id)
    rows = members(session, team) if team else []
    people = user_names(session, {m.user_id for m in rows})
    return TeamOut(
        care_team_id=team.id if team else None,
        patient_id=patient_id,
        patient_name=patient_name(session, principal, patient_id),
        members=[
            MemberOut(
                user_id=m.user_id,
                name=people[m.user_id].display_name if m.user_id in people else m.user_id,
                role=m.role,
                since=m.added_at,
            )
            for m in rows
        ],
    )


def receivers(session: Session, principal: Principal) -> list[ReceiverOut]:
    """The people whose care the caller shares in: themself, and whoever consented to them."""
    found: dict[str, str] = {}
    if principal.patient_id is not None:
        found[principal.patient_id] = "self"
    for patient_id in sorted(visible_patients(session, principal, DataCategory.CARE_TIMELINE)):
        found.setdefault(
            patient_id, team_role(session, principal.subject, patient_id) or "consented"
        )
    return [
        ReceiverOut(patient_id=p, name=patient_name(session, principal, p), my_role=role)
        for p, role in found.items()
    ]


def _may_manage(session: Session, principal: Principal, patient_id: str) -> bool:
    if principal.patient_id == patient_id:
        return True
    return (
        principal.role is Role.CARE_MANAGER
        and team_role(session, principal.subject, patient_id) == Role.CARE_MANAGER.value
        and can_see(session, principal, patient_id, DataCategory.CARE_TIMELINE)
    )


def invite(
    session: Session, principal: Principal, patient_id: str, *, relationship: str | None = None
) -> InvitationOut:
    """A code the person (or their care manager) hands to a new team member; whoever enters
    it at POST /api/v1/invitations/accept joins the team and sees what its consent shares."""
    if not _may_manage(session, principal, patient_id):
        raise Forbidden("only the person or their care manager invites team members")
    if principal.patient_id != patient_id:
        require(session, principal, "update", patient_id, DataCategory.CARE_TIMELINE, "CareTeam")
    team = team_of(session, patient_id)
    team_consent = (
        session.exec(
            select(Consent).where(
                Consent.grantee_care_team_id == team.id, Consent.status == "active"
            )
        ).first()
        if team
        else None
    )
    categories = team_consent.categories.split() if team_consent else DEFAULT_CATEGORIES
    # Identity's invitations are made by the person; the care manager acts for them here.
    issuer = Principal(
        subject=principal.subject,
        role=principal.role,
        patient_id=patient_id,
        scopes=principal.scopes,
        client_id=principal.client_id,
        source=principal.source,
    )
    code, invitation = consent.create_invitation(
        session,
        issuer,
        categories=categories,
        proxy=False,
        care_team_name=team.name if team else TEAM_NAME,
        relationship=relationship,
        days=None,
    )
    if team is None and invitation.care_team_id:
        created = session.get(CareTeam, invitation.care_team_id)
        if created is not None:
            publish(session, principal, created)
    return InvitationOut(
        code=code, expires_at=invitation.expires_at, care_team_id=invitation.care_team_id
    )


def remove(session: Session, principal: Principal, patient_id: str, user_id: str) -> TeamOut:
    """A member leaves, or the person / their care manager removes them. Their access through
    the team ends with this request; the membership row is kept as history."""
    team = team_of(session, patient_id)
    if team is None:
        raise NotFound("this person has no care team")
    row = session.exec(
        select(CareTeamMember).where(
            CareTeamMember.care_team_id == team.id,
            CareTeamMember.user_id == user_id,
            col(CareTeamMember.removed_at).is_(None),
        )
    ).first()
    if row is None:
        raise NotFound("not a member of this care team")
    leaving = user_id == principal.subject
    if not leaving and not _may_manage(session, principal, patient_id):
        raise Forbidden("only the person or their care manager removes team members")
    require(session, principal, "update", patient_id, DataCategory.CARE_TIMELINE, "CareTeam")
    row.removed_at = utcnow()
    session.add(row)
    session.flush()
    publish(session, principal, team)
    if leaving:
        return TeamOut(care_team_id=team.id, patient_id=patient_id, patient_name="", members=[])
    return get_team(session, principal, patient_id)


def to_fhir(session: Session, team: CareTeam) -> dict[str, object]:
    rows = members(session, team)
    people = user_names(session, {m.user_id for m in rows})
    return {
        "resourceType": "CareTeam",
        "id": team.id,
        "status": "active",
        "name": team.name,
        "subject": {"reference": f"Patient/{team.patient_id}"},
        "participant": [
            {
                "role": [
                    {
                        "coding": [{"system": "urn:machi:care-role", "code": m.role}],
                        "text": _ROLE_TEXT.get(m.role, m.role),
                    }
                ],
                "member": {
                    "identifier": {"system": "urn:machi:user", "value": m.user_id},
                    "display": people[m.user_id].display_name if m.user_id in people else "",
                },
                "period": {"start": fhir_instant(m.added_at)},
            }
            for m in rows
        ],
    }


def publish(session: Session, principal: Principal, team: CareTeam) -> None:
    """Keep the FHIR CareTeam in step with the membership rows."""
    fhir_create(session, principal, "CareTeam", to_fhir(session, team), team.id)


def is_professional(principal: Principal) -> bool:
    return principal.role in CARE_ROLES
