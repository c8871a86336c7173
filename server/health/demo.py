"""Demo diary: four months for 日立 花子 (78, hypertensive, morning surges) and 鮎川 太郎
(a healthy commuter), a 特定健診 record each. Idempotent (fixed ids)."""

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from server.health import store
from server.health.diary import _observation, _quantity, checkup_resources
from server.health.diary_codes import DIASTOLIC, LOINC, MEASURES, SYSTOLIC, Measure
from server.health.diary_schemas import CheckupIn, Timing
from server.health.fhir_dates import LOCAL_TZ

HANAKO = "demo-hanako"
TARO = "demo-taro"
DAYS = 120
_NS = uuid.UUID("6f1d3c52-8a43-4c1e-9a0e-0d5f3c1b7a10")


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


def _bp(patient: str, at: datetime, timing: Timing, sys: int, dia: int) -> dict[str, Any]:
    panel = _observation(patient, MEASURES[Measure.BLOOD_PRESSURE], at, timing=timing)
    panel["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": SYSTOLIC}]},
            "valueQuantity": _quantity(sys, "mm[Hg]"),
        },
        {
            "code": {"coding": [{"system": LOINC, "code": DIASTOLIC}]},
            "valueQuantity": _quantity(dia, "mm[Hg]"),
        },
    ]
    return panel


def _measure(patient: str, measure: Measure, at: datetime, value: float) -> dict[str, Any]:
    spec = MEASURES[measure]
    resource = _observation(patient, spec, at)
    assert spec.unit is not None
    resource["valueQuantity"] = _quantity(value, spec.unit)
    return resource


def _diary(patient: str, today: date, rng: random.Random) -> list[dict[str, Any]]:
    hanako = patient == HANAKO
    resources: list[dict[str, Any]] = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        morning = _at(day, 6, rng.randrange(20, 59))
        evening = _at(day, 21, rng.randrange(0, 40))
        if hanako:
            # Morning surge: mornings run ~20 mmHg above evenings; winter makes it worse.
            surge = 8 if day.month in (12, 1, 2) else 0
            resources.append(
                _bp(patient, morning, "morning", rng.randint(142, 162) + surge, rng.randint(82, 94))
            )
            resources.append(
                _bp(patient, evening, "evening", rng.randint(124, 140), rng.randint(72, 84))
            )
            resources.append(_measure(patient, Measure.PULSE, morning, rng.randint(68, 84)))
            if back % 3 == 0:
                resources.append(
                    _measure(patient, Measure.WEIGHT, morning, round(rng.uniform(51.2, 52.6), 1))
                )
            resources.append(
                _measure(patient, Measure.STEPS, _at(day, 22, 0), rng.randint(1800, 4500))
            )
            resources.append(
                {
                    "resourceType": "MedicationStatement",
                    "status": "completed" if rng.random() > 0.08 else "not-taken",
                    "medicationCodeableConcept": {"text": "アムロジピン"},
                    "dosage": [{"text": "5mg 朝1錠"}],
                    "subject": {"reference": f"Patient/{patient}"},
                    "effectiveDateTime": _at(day, 7, 30).isoformat(),
                }
            )
        else:
            if back % 2 == 0:
                resources.append(
                    _bp(patient, morning, "morning", rng.randint(112, 126), rng.randint(68, 78))
                )
            if back % 7 == 0:
                resources.append(
                    _measure(patient, Measure.WEIGHT, morning, round(rng.uniform(71.0, 72.4), 1))
                )
            resources.append(
                _measure(patient, Measure.STEPS, _at(day, 22, 30), rng.randint(6500, 12500))
            )
    for index, resource in enumerate(resources):
        resource["id"] = _id(patient, index)
        resource.setdefault("meta", {})
    return resources


CHECKUPS = {
    HANAKO: CheckupIn(
        checked_on=date(2026, 6, 12),
        sex="female",
        birth_date=date(1948, 4, 1),
        height_cm=148,
        weight_kg=52.1,
        waist_cm=84,
        systolic=152,
        diastolic=88,
        triglycerides=128,
        hdl=58,
        ldl=132,
        hba1c=5.8,
        fasting_glucose=104,
        on_bp_medication=True,
    ),
    TARO: CheckupIn(
        checked_on=date(2026, 5, 20),
        sex="male",
        birth_date=date(1978, 9, 3),
        height_cm=171,
        weight_kg=71.8,
        waist_cm=86.5,
        systolic=128,
        diastolic=80,
        triglycerides=162,
        hdl=52,
        ldl=128,
        hba1c=5.4,
        fasting_glucose=94,
    ),
}
PATIENTS = {
    HANAKO: {"family": "日立", "given": "花子", "gender": "female", "birthDate": "1948-04-01"},
    TARO: {"family": "鮎川", "given": "太郎", "gender": "male", "birthDate": "1978-09-03"},
}


def _checkup_resources(patient: str, checkup: CheckupIn) -> list[dict[str, Any]]:
    return [
        {**resource, "id": _id(patient, "checkup", index)}
        for index, (resource, _criteria) in enumerate(checkup_resources(patient, checkup))
    ]


def load_demo_diary(session: Session, today: date | None = None) -> int:
    """Write the demo diary; returns how many resources were new."""
    today = today or datetime.now(LOCAL_TZ).date()
    rng = random.Random(2026)
    written = 0
    for patient, person in PATIENTS.items():
        resources: list[dict[str, Any]] = [
            {
                "resourceType": "Patient",
                "id": patient,
                "name": [{"family": person["family"], "given": [person["given"]]}],
                "gender": person["gender"],
                "birthDate": person["birthDate"],
                "address": [{"city": "日立市", "state": "茨城県"}],
            }
        ]
        resources += _diary(patient, today, rng)
        resources += _checkup_resources(patient, CHECKUPS[patient])
        for resource in resources:
            if not resource.get("meta"):
                resource.pop("meta", None)
            if store.load_trusted(session, resource) is not None:
                written += 1
    return written
