"""Diary entries written offline (the sync `diary_entries` collection) become FHIR resources.

The sync service has already authorized and audited the write; this turns the record into the
same Observations a live diary call makes, at ids derived from the record id, so the device can
tell the server's copy of its own entry from others and a replay can never add a second one.
"""

from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from sqlmodel import Session

from server.auth.access import Principal, Role
from server.core.errors import InvalidInput
from server.health import store
from server.health.diary import add_blood_pressure, add_measurement, add_note
from server.health.diary_codes import MEASURES, Measure
from server.health.diary_schemas import BloodPressureIn, MeasurementIn, NoteIn
from server.health.fhir_access import PreauthorizedAccess
from server.health.fhir_json import loads
from server.health.phr_store import Resource

# The sync collection's kinds that are a diary measure of their own.
MEASURE_OF_KIND = {
    "heart_rate": "pulse",
    "weight": "weight",
    "temperature": "temperature",
    "spo2": "spo2",
    "steps": "steps",
}


# Accepted ranges of the halves of a blood pressure reading (as BloodPressureIn).
PRESSURE_LIMITS = {"systolic": (50.0, 300.0), "diastolic": (20.0, 200.0)}


def check_entry(kind: str, value: float | None, note: str) -> None:
    """Everything `record_*` would refuse, refused before the sync push writes anything."""
    if kind == "mood":
        if (value is None or not 1 <= value <= 5) and not note.strip():
            raise InvalidInput("a mood entry needs a mood from 1 to 5 or some text")
        return
    if kind in PRESSURE_LIMITS:
        low, high = PRESSURE_LIMITS[kind]
    elif kind in MEASURE_OF_KIND:
        spec = MEASURES[Measure(MEASURE_OF_KIND[kind])]
        low, high = spec.minimum, spec.maximum
    else:
        return
    if value is None or not low <= value <= high:
        raise InvalidInput(f"{kind} must be a number from {low:g} to {high:g}")


class _StoreAtRecordId:
    """A PhrStore writing at `record_id`, then `record_id-1`, `-2` for derived resources."""

    def __init__(self, session: Session, author: str, record_id: str) -> None:
        principal = Principal(
            subject=author, role=Role.RESIDENT, patient_id=None, scopes=frozenset(), client_id=""
        )
        self.access = PreauthorizedAccess(session, principal)
        self.session = session
        self.record_id = record_id
        self.written = 0

    async def create(self, resource: Resource, *, if_none_exist: str | None = None) -> Resource:
        res_id = self.record_id if not self.written else f"{self.record_id}-{self.written}"
        self.written += 1
        stored = store.update_resource(
            self.session, self.access, resource["resourceType"], res_id, {**resource, "id": res_id}
        )
        assert stored.content is not None
        result: Resource = loads(stored.content)
        return result

    async def search(self, res_type: str, params: list[tuple[str, str]]) -> list[Resource]:
        raise NotImplementedError("offline diary writes never search")


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a diary coroutine whose only awaits are on `_StoreAtRecordId`, which never suspends."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a diary write suspended; it cannot run inside a sync push")


def record_blood_pressure(
    session: Session,
    *,
    author: str,
    patient_id: str,
    record_id: str,
    systolic: float,
    diastolic: float,
    taken_at: datetime,
) -> None:
    reading = BloodPressureIn(
        systolic=round(systolic), diastolic=round(diastolic), taken_at=taken_at
    )
    _run(add_blood_pressure(_StoreAtRecordId(session, author, record_id), patient_id, reading))


def record_entry(
    session: Session,
    *,
    author: str,
    patient_id: str,
    record_id: str,
    kind: str,
    value: float | None,
    note: str,
    taken_at: datetime,
) -> bool:
    """Store one single-measure record; False when its kind is not a diary measure of its own."""
    target = _StoreAtRecordId(session, author, record_id)
    if kind == "mood":
        mood = round(value) if value is not None and 1 <= value <= 5 else None
        _run(add_note(target, patient_id, NoteIn(mood=mood, text=note, taken_at=taken_at)))
        return True
    measure = MEASURE_OF_KIND.get(kind)
    if measure is None or value is None:
        return False
    item = MeasurementIn(measure=measure, value=value, taken_at=taken_at)
    _run(add_measurement(target, patient_id, item))
    return True
