"""The PHR diary API (/api/v1/diary): what the app's 健康日記 tab calls."""

from datetime import date, timedelta
from typing import Annotated, Literal

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from server.core.errors import InvalidInput
from server.core.settings import Settings
from server.health import diary
from server.health.checkup_csv import parse_checkup_csv
from server.health.diary_codes import Measure
from server.health.diary_schemas import (
    BloodPressureIn,
    CheckupIn,
    CheckupOut,
    DiaryEntry,
    MeasurementIn,
    MedicationIn,
    NoteIn,
    Trend,
)
from server.health.fhir_router import AccessDep
from server.health.phr_store import EmbeddedPhrStore, ExternalPhrStore, FhirClient, PhrStore
from server.health.report import report_csv, report_pdf


def fhir_http(request: Request) -> httpx.AsyncClient:
    """One AsyncClient per app for the external FHIR server, made on first use."""
    state = request.app.state
    if getattr(state, "fhir_http", None) is None:
        settings: Settings = state.settings
        state.fhir_http = httpx.AsyncClient(timeout=settings.fhir_timeout_s)
    client: httpx.AsyncClient = state.fhir_http
    return client


FhirHttpDep = Annotated[httpx.AsyncClient, Depends(fhir_http)]


def phr_store(request: Request, access: AccessDep, http: FhirHttpDep) -> PhrStore:
    settings: Settings = request.app.state.settings
    if settings.fhir_url:
        return ExternalPhrStore(FhirClient(http, settings.fhir_url, settings.fhir_token), access)
    return EmbeddedPhrStore(access.session, access)


StoreDep = Annotated[PhrStore, Depends(phr_store)]


def diary_patient(access: AccessDep, patient: str | None = None) -> str:
    """Whose diary: `?patient=` for staff and family (authorized per call), else one's own."""
    chosen = patient or access.principal.patient_id
    if not chosen:
        raise InvalidInput("say whose diary with ?patient=<Patient id>")
    return chosen


PatientDep = Annotated[str, Depends(diary_patient)]


async def checkup_body(request: Request, _caller: AccessDep) -> CheckupIn:
    """A 特定健診 record as JSON, or as CSV (header row + one row) with text/csv.

    Depends on the caller so that who is calling is settled first: no token is 401, not a 422
    about the body."""
    raw = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media == "text/csv":
            return parse_checkup_csv(raw)
        return CheckupIn.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput(
            [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        ) from None


CheckupDep = Annotated[CheckupIn, Depends(checkup_body)]


def diary_router() -> APIRouter:
    router = APIRouter(prefix="/diary", tags=["diary"])

    @router.post("/blood-pressure", status_code=201)
    async def add_blood_pressure(
        reading: BloodPressureIn, store: StoreDep, patient: PatientDep
    ) -> DiaryEntry:
        """One reading (and pulse); morning/evening follows the time unless given."""
        return await diary.add_blood_pressure(store, patient, reading)

    @router.post("/measurements", status_code=201)
    async def add_measurement(
        item: MeasurementIn, store: StoreDep, patient: PatientDep
    ) -> DiaryEntry:
        return await diary.add_measurement(store, patient, item)

    @router.post("/notes", status_code=201)
    async def add_note(note: NoteIn, store: StoreDep, patient: PatientDep) -> DiaryEntry:
        return await diary.add_note(store, patient, note)

    @router.post("/medications", status_code=201)
    async def add_medication(
        dose: MedicationIn, store: StoreDep, patient: PatientDep
    ) -> DiaryEntry:
        return await diary.add_medication(store, patient, dose)

    @router.get("/entries")
    async def entries(
        store: StoreDep, patient: PatientDep, day: date | None = None
    ) -> list[DiaryEntry]:
        """Every entry of one day (default: today in Japan), oldest first."""
        return await diary.entries_on(store, patient, day)

    @router.get("/trends/{measure}")
    async def trend(
        measure: Measure,
        store: StoreDep,
        patient: PatientDep,
        days: Annotated[int, Query(ge=1, le=366)] = 30,
    ) -> Trend:
        """A chart series with its colour bands (home blood pressure ≥135/85 is high)."""
        return await diary.trend(store, patient, measure, days)

    @router.post("/checkups", status_code=201)
    async def import_checkup(
        checkup: CheckupDep, store: StoreDep, patient: PatientDep
    ) -> CheckupOut:
        """Import a 特定健診 record; answers the 特定保健指導 level (reference only)."""
        return await diary.import_checkup(store, patient, checkup)

    @router.get("/checkups/latest")
    async def latest_checkup(store: StoreDep, patient: PatientDep) -> CheckupOut | None:
        return await diary.latest_checkup(store, patient)

    @router.get("/report", response_class=Response)
    async def report(
        store: StoreDep,
        patient: PatientDep,
        days: int = 7,
        format: Literal["csv", "pdf"] = "pdf",
    ) -> Response:
        """The last 7 or 30 days for the doctor, as PDF or CSV."""
        if days not in (7, 30):
            raise InvalidInput("days must be 7 or 30")
        end = diary.now_local().date()
        start = end - timedelta(days=days - 1)
        entries = await diary.entries_between(store, patient, start, end)
        name = f"machi-diary-{patient}-{end:%Y%m%d}-{days}d"
        if format == "csv":
            return Response(
                report_csv(entries),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        return Response(
            report_pdf(entries, f"Patient/{patient}", start, end),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )

    return router
