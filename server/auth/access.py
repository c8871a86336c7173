"""Authorization in one place: who may do what with whose health data, and the audit of it.

Rules of `authorize()` (every call writes exactly one audit record, allowed or denied):

1. Scopes (SMART v2) must allow the interaction on the resource type: `patient/…` scopes only
   ever match the token's own patient (`principal.patient_id`), whatever the request says;
   `user/…` scopes match any patient, and then rule 2 decides. v1 `.read`/`.write` are accepted.
2. The person themself may do anything with their own data. Anyone else needs an active
   Consent of that person (status active, period covering now) for the category, naming them
   or a care team they are a current member of:
   - read and search: allowed by the consent;
   - create and update: allowed for care-team members and care roles (nurse, doctor,
     care_manager, helper), for anyone in `care_timeline` (messages, acknowledgements), and
     as a proxy; otherwise a family member's view is read-only;
   - delete: only the person themself;
   - `proxy=True` (acting on the person's behalf: bookings) needs a consent with proxy allowed.

Revocation takes effect at once: nothing here is cached.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal, get_args

from fastapi import Depends, Request
from sqlmodel import Session, col, or_, select

from server.auth import audit
from server.auth.models import CareTeamMember, Consent
from server.core.db import SessionDep
from server.core.errors import Forbidden
from server.core.logging import current_request_id


class Role(StrEnum):
    RESIDENT = "resident"
    FAMILY = "family"
    NURSE = "nurse"
    DOCTOR = "doctor"
    CARE_MANAGER = "care_manager"
    HELPER = "helper"
    OPERATOR = "operator"
    ADMIN = "admin"


STAFF_ROLES = frozenset(
    {Role.NURSE, Role.DOCTOR, Role.CARE_MANAGER, Role.HELPER, Role.OPERATOR, Role.ADMIN}
)
CARE_ROLES = frozenset({Role.NURSE, Role.DOCTOR, Role.CARE_MANAGER, Role.HELPER})


class DataCategory(StrEnum):
    VITALS = "vitals"  # vitals and diary
    VISITS = "visits"
    APPOINTMENTS = "appointments"
    MEDICATIONS = "medications"
    CARE_TIMELINE = "care_timeline"


Action = Literal["read", "search", "create", "update", "delete"]
ACTIONS: tuple[str, ...] = get_args(Action)
_SCOPE_LETTER = {"create": "c", "read": "r", "update": "u", "delete": "d", "search": "s"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (or a client acting as itself) with the scopes of their token."""

    subject: str  # user id; "client:<client_id>" for client credentials
    role: Role
    patient_id: str | None  # the FHIR Patient the user IS (residents)
    scopes: frozenset[str]
    client_id: str
    source: str | None = field(default=None, compare=False)  # network address, for the audit


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The caller from the `Authorization: Bearer` token; 401 when missing, invalid, expired,
    or the user is disabled."""
    from server.auth.tokens import principal_from_request

    return principal_from_request(request, session)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def scope_allows(
    scopes: frozenset[str], *, action: str, resource: str, patient_id: str, own: str | None
) -> bool:
    """Whether SMART scopes (v2 `ctx/Type.cruds`, v1 `.read`/`.write`/`.*`) allow this."""
    letter = _SCOPE_LETTER[action]
    for scope in scopes:
        context, _, rest = scope.partition("/")
        if context not in ("patient", "user") or not rest:
            continue
        type_, _, perms = rest.partition(".")
        perms = perms.split("?", 1)[
            0
        ]  # v2 fine-grained filters narrow further; the type rule suffices here
        if type_ not in ("*", resource):
            continue
        if perms == "read":
            letters = "rs"
        elif perms == "write":
            letters = "cud"
        elif perms == "*":
            letters = "cruds"
        else:
            letters = perms
        if letter not in letters:
            continue
        if context == "patient" and (own is None or own != patient_id):
            continue  # a patient-scoped token is narrowed to its own patient
        return True
    return False


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _care_team_ids(session: Session, user_id: str) -> set[str]:
    rows = session.exec(
        select(CareTeamMember.care_team_id).where(
            CareTeamMember.user_id == user_id, col(CareTeamMember.removed_at).is_(None)
        )
    ).all()
    return set(rows)


def active_consents(
    session: Session,
    principal: Principal,
    category: DataCategory,
    patient_id: str | None = None,
    at: datetime | None = None,
) -> list[Consent]:
    """Active consents for the category that name this principal or one of their care teams."""
    now = at or _now()
    teams = _care_team_ids(session, principal.subject)
    grantee = col(Consent.grantee_user_id) == principal.subject
    if teams:
        grantee = or_(grantee, col(Consent.grantee_care_team_id).in_(teams))
    query = select(Consent).where(Consent.status == "active", grantee)
    if patient_id is not None:
        query = query.where(Consent.patient_id == patient_id)
    result = []
    for consent in session.exec(query).all():
        if category.value not in consent.categories.split():
            continue
        if _as_utc(consent.period_start) > now:
            continue
        if consent.period_end is not None and _as_utc(consent.period_end) <= now:
            continue
        result.append(consent)
    return result


def _decide(
    session: Session,
    principal: Principal,
    *,
    action: str,
    patient_id: str,
    category: DataCategory,
    resource: str,
    proxy: bool,
) -> tuple[bool, str]:
    if action not in _SCOPE_LETTER:
        return False, f"unknown action {action!r}"
    if not scope_allows(
        principal.scopes,
        action=action,
        resource=resource,
        patient_id=patient_id,
        own=principal.patient_id,
    ):
        return False, f"token scopes do not allow {action} of {resource}"
    if principal.patient_id is not None and principal.patient_id == patient_id:
        return True, "own data"
    if principal.subject.startswith("client:"):
        return False, "clients have no access to a person's data without that person"
    consents = active_consents(session, principal, category, patient_id)
    if not consents:
        return False, f"no active consent for {category.value}"
    if action == "delete":
        return False, "only the person themself may delete their data"
    if proxy:
        consents = [c for c in consents if c.proxy]
        if not consents:
            return False, "the consent does not allow acting on the person's behalf"
        return True, f"consent {consents[0].id} (proxy)"
    consent = consents[0]
    if action in ("create", "update"):
        team_member = any(c.grantee_care_team_id is not None for c in consents)
        if not (
            team_member or principal.role in CARE_ROLES or category is DataCategory.CARE_TIMELINE
        ):
            return False, "the consent allows viewing only"
    return True, f"consent {consent.id}"


def authorize(
    session: Session,
    principal: Principal,
    *,
    action: Action,
    patient_id: str,
    category: DataCategory,
    resource: str,
    proxy: bool = False,
) -> None:
    """Allow or raise Forbidden; either way exactly one audit record is written.

    The record is appended when `session`'s transaction ends: inside it when it commits, in a
    transaction of its own when it rolls back, so it survives the rollback of a denied request.
    """
    allowed, reason = _decide(
        session,
        principal,
        action=action,
        patient_id=patient_id,
        category=category,
        resource=resource,
        proxy=proxy,
    )
    audit.queue(
        session,
        audit.AuditEntry(
            recorded=_now(),
            subject=principal.subject,
            role=principal.role.value,
            client_id=principal.client_id,
            action=action,
            patient_id=patient_id,
            category=category.value,
            resource=resource,
            outcome="allowed" if allowed else "denied",
            reason=reason,
            proxy=proxy,
            source=principal.source,
            request_id=current_request_id() or None,
        ),
    )
    if not allowed:
        raise Forbidden(f"not allowed: {reason}")


def visible_patients(session: Session, principal: Principal, category: DataCategory) -> set[str]:
    """Patient ids this principal may read in that category now (for searches without a
    patient). Scopes narrow it: a patient-scoped token sees only its own patient.

    This writes no audit record: call `authorize(action="search", ...)` for each patient whose
    data the search returns (or `record_search`), so each person's access log shows it.
    """
    candidates: set[str] = set()
    if principal.patient_id is not None:
        candidates.add(principal.patient_id)
    if not principal.subject.startswith("client:"):
        candidates |= {c.patient_id for c in active_consents(session, principal, category)}
    return {patient for patient in candidates if _scopes_reach(principal, patient)}


def _scopes_reach(principal: Principal, patient_id: str) -> bool:
    """True when some scope allows reading or searching some resource type of this patient."""
    types = {scope.partition("/")[2].partition(".")[0] for scope in principal.scopes} - {""}
    return any(
        scope_allows(
            principal.scopes,
            action=action,
            resource=type_,
            patient_id=patient_id,
            own=principal.patient_id,
        )
        for type_ in types
        for action in ("read", "search")
    )


def record_search(
    session: Session,
    principal: Principal,
    *,
    category: DataCategory,
    resource: str,
    patient_ids: set[str],
) -> None:
    """Audit a search across patients: one allowed record per patient whose data it returned.

    Callers build such searches from `visible_patients`, so every patient here is allowed.
    """
    for patient_id in sorted(patient_ids):
        authorize(
            session,
            principal,
            action="search",
            patient_id=patient_id,
            category=category,
            resource=resource,
        )
