"""The built-in collections: `diary_entries` (append-only facts) and `care_notes` (versioned,
editable), stored in this feature's own tables through the registry like any other feature."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, select

from server.auth.access import DataCategory
from server.core.errors import InvalidInput
from server.health import diary_sync
from server.sync.models import CareNote, DiaryEntry
from server.sync.registry import Collection, StoredRecord, register


class DiaryData(BaseModel):
    kind: Literal[
        "systolic", "diastolic", "heart_rate", "weight", "temperature", "spo2", "steps", "mood"
    ]
    value: float | None = Field(default=None, ge=0, le=100_000)
    unit: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=2000)
    recorded_at: datetime


class CareNoteData(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=8000)


def _validator(model: type[BaseModel]) -> Any:
    def validate(data: dict[str, Any]) -> dict[str, Any]:
        try:
            return model.model_validate(data).model_dump(mode="json")
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidInput(f"invalid {model.__name__}: {problems}") from None

    return validate


def _validate_diary(data: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = _validator(DiaryData)(data)
    diary_sync.check_entry(checked["kind"], checked["value"], checked["note"])
    return checked


def _store_diary(session: Session, record: StoredRecord) -> None:
    row = session.get(DiaryEntry, record.record_id)
    if record.data is not None:
        row = DiaryEntry(
            id=record.record_id, patient_id=record.patient_id, author=record.author, **record.data
        )
        session.add(row)
        _to_health_record(session, row)
    elif row is not None:
        row.deleted = True
        session.add(row)


def _to_health_record(session: Session, row: DiaryEntry) -> None:
    """The diary's FHIR Observation for an entry, so offline entries reach the PHR itself.

    A blood pressure reading arrives as two records (systolic, diastolic) at the same time:
    the panel is written when the second half arrives, at the smaller of the two ids (the
    id the app shows the reading under). A pulse taken with it is a measure of its own.
    """
    taken_at = datetime.fromisoformat(row.recorded_at)
    if row.kind in ("systolic", "diastolic"):
        other = "diastolic" if row.kind == "systolic" else "systolic"
        partner = session.exec(
            select(DiaryEntry).where(
                DiaryEntry.patient_id == row.patient_id,
                DiaryEntry.recorded_at == row.recorded_at,
                DiaryEntry.kind == other,
                DiaryEntry.deleted == False,  # noqa: E712 (SQL, not Python)
            )
        ).first()
        if partner is None or partner.value is None or row.value is None:
            return
        values = {row.kind: row.value, partner.kind: partner.value}
        diary_sync.record_blood_pressure(
            session,
            author=row.author,
            patient_id=row.patient_id,
            record_id=min(row.id, partner.id),
            systolic=values["systolic"],
            diastolic=values["diastolic"],
            taken_at=taken_at,
        )
        return
    diary_sync.record_entry(
        session,
        author=row.author,
        patient_id=row.patient_id,
        record_id=row.id,
        kind=row.kind,
        value=row.value,
        note=row.note,
        taken_at=taken_at,
    )


def _store_care_note(session: Session, record: StoredRecord) -> None:
    row = session.get(CareNote, record.record_id) or CareNote(
        id=record.record_id, patient_id=record.patient_id, title="", version=0, updated_by=""
    )
    row.version = record.version
    row.updated_by = record.author
    row.deleted = record.deleted
    if record.data is not None:
        row.title = record.data["title"]
        row.body = record.data["body"]
    session.add(row)


DIARY_ENTRIES = register(
    Collection(
        name="diary_entries",
        category=DataCategory.VITALS,
        resource="Observation",
        versioned=False,
        validate=_validate_diary,
        store=_store_diary,
    )
)

CARE_NOTES = register(
    Collection(
        name="care_notes",
        category=DataCategory.CARE_TIMELINE,
        resource="CarePlan",
        versioned=True,
        validate=_validator(CareNoteData),
        store=_store_care_note,
    )
)
