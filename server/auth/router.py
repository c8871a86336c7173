"""/api/v1 routes of identity: me, consents, invitations, access log, audit review."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from server.auth import audit, consent, service
from server.auth.access import CurrentPrincipal
from server.auth.schemas import (
    AcceptIn,
    AccessLogEntry,
    AuditOut,
    ConsentIn,
    ConsentOut,
    InvitationIn,
    InvitationOut,
    MeOut,
    VerifyOut,
)
from server.core.db import SessionDep

Limit = Annotated[int, Query(ge=1, le=500)]


def auth_router() -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.get("/me")
    def get_me(session: SessionDep, principal: CurrentPrincipal) -> MeOut:
        return service.me(session, principal)

    @router.get("/me/consents")
    def list_consents(session: SessionDep, principal: CurrentPrincipal) -> list[ConsentOut]:
        """Who can see which of my data (「私の情報を見られる人」), revoked ones included."""
        return [service.consent_out(session, c) for c in consent.list_consents(session, principal)]

    @router.post("/me/consents", status_code=201)
    def grant_consent(
        body: ConsentIn, session: SessionDep, principal: CurrentPrincipal
    ) -> ConsentOut:
        row = consent.grant(
            session,
            principal,
            grantee_username=body.grantee_username,
            care_team_id=body.care_team_id,
            categories=[c.value for c in body.categories],
            proxy=body.proxy,
            days=body.days,
            relationship=body.relationship,
        )
        return service.consent_out(session, row)

    @router.delete("/me/consents/{consent_id}")
    def revoke_consent(
        consent_id: str, session: SessionDep, principal: CurrentPrincipal
    ) -> ConsentOut:
        """Revoke at once: the grantee's next request is refused. The record is kept."""
        return service.consent_out(session, consent.revoke(session, principal, consent_id))

    @router.get("/me/consents/{consent_id}/fhir")
    def consent_as_fhir(
        consent_id: str, session: SessionDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        rows = [c for c in consent.list_consents(session, principal) if c.id == consent_id]
        if not rows:
            from server.core.errors import NotFound

            raise NotFound("no such consent of yours")
        return consent.to_fhir(rows[0])

    @router.post("/me/invitations", status_code=201)
    def create_invitation(
        body: InvitationIn, session: SessionDep, principal: CurrentPrincipal
    ) -> InvitationOut:
        code, invitation = consent.create_invitation(
            session,
            principal,
            categories=[c.value for c in body.categories],
            proxy=body.proxy,
            care_team_name=body.care_team_name,
            relationship=body.relationship,
            days=body.days,
        )
        return InvitationOut(
            code=code, expires_at=invitation.expires_at, care_team_id=invitation.care_team_id
        )

    @router.post("/invitations/accept")
    def accept_invitation(
        body: AcceptIn, session: SessionDep, principal: CurrentPrincipal
    ) -> ConsentOut:
        return service.consent_out(
            session, consent.accept_invitation(session, principal, body.code)
        )

    @router.get("/me/access-log")
    def access_log(
        session: SessionDep,
        principal: CurrentPrincipal,
        include_own: bool = False,
        limit: Limit = 100,
    ) -> list[AccessLogEntry]:
        """Who looked at my data, and who was refused."""
        return service.access_log(session, principal, include_own=include_own, limit=limit)

    @router.get("/admin/audit")
    def audit_search(
        session: SessionDep,
        principal: CurrentPrincipal,
        patient_id: str | None = None,
        subject: str | None = None,
        outcome: Literal["allowed", "denied"] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Limit = 100,
        before_seq: int | None = None,
    ) -> list[AuditOut]:
        rows = service.audit_search(
            session,
            principal,
            patient_id=patient_id,
            subject=subject,
            outcome=outcome,
            since=since,
            until=until,
            limit=limit,
            before_seq=before_seq,
        )
        return [service.audit_out(r) for r in rows]

    @router.get("/admin/audit/fhir")
    def audit_as_fhir(
        session: SessionDep,
        principal: CurrentPrincipal,
        patient_id: str | None = None,
        limit: Limit = 100,
    ) -> dict[str, Any]:
        """The newest records as a Bundle of FHIR R4 AuditEvents."""
        rows = service.audit_search(
            session,
            principal,
            patient_id=patient_id,
            subject=None,
            outcome=None,
            since=None,
            until=None,
            limit=limit,
            before_seq=None,
        )
        return audit.fhir_bundle(rows)

    @router.get("/admin/audit/verify")
    def audit_verify(session: SessionDep, principal: CurrentPrincipal) -> VerifyOut:
        service.require_audit_reader(principal)
        result = audit.verify(session.connection())
        return VerifyOut(ok=result.ok, checked=result.checked, problems=result.problems)

    return router
