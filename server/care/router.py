"""/api/v1/care routes: care team, timeline, photos, the nurse's tablet, the family view.

Importing this module also registers the `visit_records` sync collection, so a visit recorded
with no signal reaches the server exactly once through the sync outbox.
"""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from server.auth.access import CurrentPrincipal, DataCategory
from server.care import family, team, timeline, visits
from server.care.common import JST, fhir_read, require, team_of, utcnow
from server.care.schemas import (
    CloseIn,
    FamilyViewOut,
    InvitationOut,
    PhotoOut,
    PostIn,
    PostKind,
    PostOut,
    ReceiverOut,
    SummaryOut,
    TeamOut,
    VisitOut,
    VisitRecordIn,
    VisitRecordOut,
)
from server.core.db import SessionDep
from server.core.errors import InvalidInput, NotFound
from server.sync.registry import Collection, StoredRecord, register


class InviteIn(BaseModel):
    relationship: str | None = Field(default=None, max_length=20)


class OrderIn(BaseModel):
    visit_ids: list[str] = Field(max_length=100)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def care_router() -> APIRouter:
    router = APIRouter(prefix="/care", tags=["care"])

    @router.get("/receivers")
    def receivers(session: SessionDep, principal: CurrentPrincipal) -> list[ReceiverOut]:
        """The people whose care the caller shares in (the ケア tab's list)."""
        return team.receivers(session, principal)

    # ---- the nurse's tablet -----------------------------------------------------------------

    @router.get("/visits")
    def visits_of_day(
        session: SessionDep, principal: CurrentPrincipal, day: date | None = None
    ) -> list[VisitOut]:
        """The caller's visits of a day (default today, Japan time), in their order."""
        return visits.visits_of_day(session, principal, day or utcnow().astimezone(JST).date())

    @router.put("/visits/order", status_code=204)
    def reorder(body: OrderIn, session: SessionDep, principal: CurrentPrincipal) -> None:
        visits.reorder(session, principal, body.visit_ids)

    @router.post("/visits/{visit_id}/close")
    def close(
        visit_id: str, body: CloseIn, session: SessionDep, principal: CurrentPrincipal
    ) -> VisitOut:
        """Done. Refused (409) while the visit record has not reached the server, unless
        `without_record` is set with a reason."""
        return visits.close_visit(
            session,
            principal,
            visit_id,
            without_record=body.without_record,
            reason=body.reason,
        )

    @router.put("/visit-records/{record_id}")
    def record_visit(
        record_id: str,
        body: VisitRecordIn,
        response: Response,
        session: SessionDep,
        principal: CurrentPrincipal,
    ) -> VisitRecordOut:
        """Idempotent by the tablet's id: a retry returns the first answer (200, not 201)."""
        if body.id != record_id:
            raise InvalidInput("the record id must equal the id in the URL")
        out, created = visits.record_visit(session, principal, body)
        response.status_code = 201 if created else 200
        return out

    # ---- photos -----------------------------------------------------------------------------

    @router.get("/photos/{photo_id}")
    def photo(photo_id: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
        found = timeline.read_photo(session, principal, photo_id)
        return Response(
            content=found.content,
            media_type=found.content_type,
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    @router.post("/posts/{post_id}/ack")
    def acknowledge(post_id: str, session: SessionDep, principal: CurrentPrincipal) -> PostOut:
        """「確認しました」."""
        return timeline.acknowledge(session, principal, post_id)

    # ---- per care receiver --------------------------------------------------------------------

    @router.get("/{patient_id}/team")
    def get_team(patient_id: str, session: SessionDep, principal: CurrentPrincipal) -> TeamOut:
        return team.get_team(session, principal, patient_id)

    @router.get("/{patient_id}/team/fhir")
    def team_fhir(
        patient_id: str, session: SessionDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """The team as a FHIR R4 CareTeam."""
        require(session, principal, "read", patient_id, DataCategory.CARE_TIMELINE, "CareTeam")
        found = team_of(session, patient_id)
        if found is None:
            raise NotFound("this person has no care team")
        stored = fhir_read(session, principal, "CareTeam", found.id)
        return stored if isinstance(stored, dict) else team.to_fhir(session, found)

    @router.post("/{patient_id}/team/invitations", status_code=201)
    def invite(
        patient_id: str, body: InviteIn, session: SessionDep, principal: CurrentPrincipal
    ) -> InvitationOut:
        """A code for a new member (the person or their care manager issues it); the member
        enters it at POST /api/v1/invitations/accept."""
        return team.invite(session, principal, patient_id, relationship=body.relationship)

    @router.delete("/{patient_id}/team/members/{user_id}")
    def remove_member(
        patient_id: str, user_id: str, session: SessionDep, principal: CurrentPrincipal
    ) -> TeamOut:
        """Leave (your own id) or remove a member (the person or their care manager)."""
        return team.remove(session, principal, patient_id, user_id)

    @router.get("/{patient_id}/timeline")
    def get_timeline(
        patient_id: str,
        session: SessionDep,
        principal: CurrentPrincipal,
        kind: Annotated[list[PostKind] | None, Query()] = None,
        before: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[PostOut]:
        return timeline.timeline(
            session, principal, patient_id, kinds=kind or (), before=before, limit=limit
        )

    @router.post("/{patient_id}/posts", status_code=201)
    def add_post(
        patient_id: str, body: PostIn, session: SessionDep, principal: CurrentPrincipal
    ) -> PostOut:
        post = timeline.add_post(session, principal, patient_id, body)
        return timeline.post_out(session, principal, [post])[0]

    @router.post("/{patient_id}/photos", status_code=201)
    def upload_photo(
        patient_id: str,
        session: SessionDep,
        principal: CurrentPrincipal,
        content: Annotated[bytes, Depends(_raw_body)],
        photo_id: Annotated[str | None, Query(max_length=64)] = None,
    ) -> PhotoOut:
        """The image bytes as the request body (any image Content-Type; the bytes decide)."""
        return timeline.upload_photo(session, principal, patient_id, content, photo_id=photo_id)

    @router.get("/{patient_id}/summary")
    def summary(patient_id: str, session: SessionDep, principal: CurrentPrincipal) -> SummaryOut:
        return visits.summary(session, principal, patient_id)

    @router.get("/{patient_id}/family")
    def family_view(
        patient_id: str, session: SessionDep, principal: CurrentPrincipal
    ) -> FamilyViewOut:
        return family.family_view(session, principal, patient_id)

    return router


# ---- the sync collection ------------------------------------------------------------------


def _validate_visit_record(data: dict[str, Any]) -> dict[str, Any]:
    checked = VisitRecordIn.model_validate({"id": "validate-only", **data})
    return checked.model_dump(mode="json", exclude={"id"})


def _store_visit_record(session: Session, record: StoredRecord) -> None:
    if record.deleted or record.data is None:
        raise InvalidInput("a visit record cannot be withdrawn; add a correction instead")
    body = VisitRecordIn.model_validate({**record.data, "id": record.record_id})
    visit = visits.visit_for_record(session, body.visit_id)
    if visit.patient_id != record.patient_id:
        raise InvalidInput("this visit is for another person")
    visits.record_visit(
        session, visits.principal_for(session, record.author), body, authorized=True
    )


VISIT_RECORDS = register(
    Collection(
        name="visit_records",
        category=DataCategory.VISITS,
        resource="Encounter",
        versioned=False,
        validate=_validate_visit_record,
        store=_store_visit_record,
    )
)
