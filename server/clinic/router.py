"""/api/v1/clinic routes: directory, slots, appointments, questionnaire, video join."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from server.auth.access import CurrentPrincipal
from server.clinic import service
from server.clinic.schemas import (
    AppointmentOut,
    AssistIn,
    BookIn,
    CancelIn,
    ClinicOut,
    DoctorOut,
    JoinOut,
    QuestionnaireIn,
    ReminderOut,
    SlotOut,
)
from server.core.db import SessionDep
from server.core.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def clinic_router() -> APIRouter:
    router = APIRouter(prefix="/clinic", tags=["clinic"])

    @router.get("/clinics")
    def clinics(session: SessionDep, principal: CurrentPrincipal) -> list[ClinicOut]:
        return service.clinics(session)

    @router.get("/doctors")
    def doctors(
        session: SessionDep, principal: CurrentPrincipal, clinic_id: str | None = None
    ) -> list[DoctorOut]:
        return service.doctors(session, clinic_id)

    @router.get("/doctors/{doctor_id}/slots")
    def slots(
        doctor_id: str,
        session: SessionDep,
        principal: CurrentPrincipal,
        days: Annotated[int, Query(ge=1, le=60)] = 14,
    ) -> list[SlotOut]:
        """Free times from now on (the FHIR Slots of the doctor's Schedule)."""
        return service.free_slots(session, doctor_id, days=days)

    @router.post("/appointments", status_code=201)
    def book(
        body: BookIn, session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
    ) -> AppointmentOut:
        """Book for oneself, as a family proxy (needs a proxy consent), or as care staff."""
        return service.book(session, principal, settings, body)

    @router.get("/appointments")
    def appointments(
        session: SessionDep,
        principal: CurrentPrincipal,
        settings: SettingsDep,
        patient_id: str | None = None,
        include_past: bool = False,
    ) -> list[AppointmentOut]:
        return service.list_appointments(
            session, principal, settings, patient_id=patient_id, include_past=include_past
        )

    @router.get("/appointments/{appointment_id}")
    def appointment(
        appointment_id: str,
        session: SessionDep,
        principal: CurrentPrincipal,
        settings: SettingsDep,
    ) -> AppointmentOut:
        return service.get_appointment(session, principal, settings, appointment_id)

    @router.post("/appointments/{appointment_id}/cancel")
    def cancel(
        appointment_id: str,
        body: CancelIn,
        session: SessionDep,
        principal: CurrentPrincipal,
        settings: SettingsDep,
    ) -> AppointmentOut:
        return service.cancel(session, principal, settings, appointment_id, body.reason)

    @router.put("/appointments/{appointment_id}/questionnaire")
    def answer(
        appointment_id: str,
        body: QuestionnaireIn,
        session: SessionDep,
        principal: CurrentPrincipal,
        settings: SettingsDep,
    ) -> AppointmentOut:
        return service.answer_questionnaire(session, principal, settings, appointment_id, body)

    @router.get("/appointments/{appointment_id}/questionnaire")
    def questionnaire(
        appointment_id: str, session: SessionDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """The answers as a FHIR QuestionnaireResponse (for the doctor before the call)."""
        return service.read_questionnaire(session, principal, appointment_id)

    @router.get("/appointments/{appointment_id}/join")
    def join(
        appointment_id: str,
        session: SessionDep,
        principal: CurrentPrincipal,
        settings: SettingsDep,
    ) -> JoinOut:
        """Your personal video link; 409 outside the join window."""
        return service.join(session, principal, settings, appointment_id)

    @router.put("/appointments/{appointment_id}/assist")
    def assist(
        appointment_id: str,
        body: AssistIn,
        session: SessionDep,
        principal: CurrentPrincipal,
        settings: SettingsDep,
    ) -> AppointmentOut:
        """The assisting nurse's record: time, what was done, the person's response."""
        return service.record_assist(session, principal, settings, appointment_id, body)

    @router.get("/reminders")
    def reminders(
        session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
    ) -> list[ReminderOut]:
        return service.reminders(session, principal, settings)

    @router.get("/rooms/{room}", response_class=RedirectResponse, status_code=307)
    def enter_room(
        room: str,
        session: SessionDep,
        settings: SettingsDep,
        jwt: Annotated[str, Query(min_length=10, max_length=4000)],
    ) -> str:
        """The link sent to the person: checks the token, then opens the Jitsi room. No
        sign-in needed (the token is the credential); 403 outside the window or for another
        room."""
        return service.enter_room(session, settings, room, jwt)

    return router
