"""The PHR health diary: quick entries, today's list, trends, checkups, on any FHIR store."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from server.core.errors import InvalidInput
from server.health.checkup import CheckupResult, stratify
from server.health.diary_codes import (
    DIARY_TAG,
    DIASTOLIC,
    DIASTOLIC_BANDS,
    LOINC,
    MACHI_DIARY,
    MEASURES,
    OBSERVATION_CATEGORY,
    SYSTOLIC,
    UCUM,
    Band,
    Measure,
    MeasureSpec,
    band_of,
    blood_pressure_band,
)
from server.health.diary_schemas import (
    BandOut,
    BloodPressureIn,
    CheckupIn,
    CheckupOut,
    DiaryEntry,
    MeasurementIn,
    MedicationIn,
    NoteIn,
    Timing,
    Trend,
    TrendPoint,
)
from server.health.fhir_dates import LOCAL_TZ
from server.health.phr_store import PhrStore, Resource

TIMING_URL = "https://machi.hitachi.example/fhir/StructureDefinition/measurement-timing"
CHECKUP_CODE = "tokutei-kenshin"
CHECKUP_ID_SYSTEM = "urn:machi:checkup"


def now_local() -> datetime:
    return datetime.now(LOCAL_TZ)


def _local(moment: datetime | None) -> datetime:
    if moment is None:
        return now_local().replace(microsecond=0)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)  # the app sends wall-clock time in Japan
    return moment.astimezone(LOCAL_TZ)


def default_timing(moment: datetime) -> Timing:
    hour = moment.hour
    if 4 <= hour < 12:
        return "morning"
    if hour >= 17 or hour < 4:
        return "evening"
    return "other"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    # Decimal(str()) keeps what was typed: 36.5 stays 36.5, never 36.499999.
    return {"value": Decimal(str(value)), "unit": unit, "system": UCUM, "code": unit}


def _observation(
    patient_id: str,
    spec: MeasureSpec,
    taken_at: datetime,
    *,
    timing: Timing | None = None,
    note: str | None = None,
) -> Resource:
    codings = [{"system": LOINC, "code": code} for code in spec.extra_codes]
    system = MACHI_DIARY if spec.measure is Measure.NOTE else LOINC
    resource: Resource = {
        "resourceType": "Observation",
        "meta": {"tag": [DIARY_TAG]},
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": spec.category}]}],
        "code": {
            "coding": [{"system": system, "code": spec.code, "display": spec.display}, *codings],
            "text": spec.label_ja,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": taken_at.isoformat(),
    }
    if timing:
        resource["extension"] = [{"url": TIMING_URL, "valueCode": timing}]
    if note:
        resource["note"] = [{"text": note}]
    return resource


async def add_blood_pressure(
    store: PhrStore, patient_id: str, reading: BloodPressureIn
) -> DiaryEntry:
    """The 85354-9 panel with systolic and diastolic components, plus a pulse if given."""
    if reading.diastolic >= reading.systolic:
        raise InvalidInput("diastolic must be lower than systolic (e.g. 128/82)")
    taken_at = _local(reading.taken_at)
    timing = reading.timing or default_timing(taken_at)
    spec = MEASURES[Measure.BLOOD_PRESSURE]
    panel = _observation(patient_id, spec, taken_at, timing=timing, note=reading.note)
    panel["component"] = [
        {
            "code": {
                "coding": [
                    {"system": LOINC, "code": SYSTOLIC, "display": "Systolic blood pressure"}
                ]
            },
            "valueQuantity": _quantity(reading.systolic, "mm[Hg]"),
        },
        {
            "code": {
                "coding": [
                    {"system": LOINC, "code": DIASTOLIC, "display": "Diastolic blood pressure"}
                ]
            },
            "valueQuantity": _quantity(reading.diastolic, "mm[Hg]"),
        },
    ]
    created = await store.create(panel)
    if reading.pulse is not None:
        pulse = _observation(patient_id, MEASURES[Measure.PULSE], taken_at, timing=timing)
        pulse["valueQuantity"] = _quantity(reading.pulse, "/min")
        pulse["derivedFrom"] = [{"reference": f"Observation/{created['id']}"}]
        await store.create(pulse)
    entry = entry_of(created)
    assert entry is not None
    return entry


async def add_measurement(store: PhrStore, patient_id: str, item: MeasurementIn) -> DiaryEntry:
    spec = MEASURES[Measure(item.measure)]
    if not spec.minimum <= item.value <= spec.maximum:
        limits = f"{spec.minimum:g}–{spec.maximum:g} {spec.unit}"
        raise InvalidInput(f"{spec.label_ja} {item.value:g} is outside {limits}")
    taken_at = _local(item.taken_at)
    timing = item.timing or (
        default_timing(taken_at) if spec.measure is not Measure.STEPS else None
    )
    resource = _observation(patient_id, spec, taken_at, timing=timing, note=item.note)
    assert spec.unit is not None
    resource["valueQuantity"] = _quantity(item.value, spec.unit)
    if spec.measure is Measure.STEPS:
        # Steps are a count for the whole day: effectivePeriod is that day (research/fhir.md §9).
        day = taken_at.date()
        start = datetime.combine(day, time(0), LOCAL_TZ)
        del resource["effectiveDateTime"]
        resource["effectivePeriod"] = {
            "start": start.isoformat(),
            "end": (start + timedelta(days=1) - timedelta(seconds=1)).isoformat(),
        }
        resource["valueQuantity"]["value"] = int(item.value)
    if spec.measure is Measure.GLUCOSE and item.fasting is not None:
        resource["component"] = [
            {
                "code": {"text": "fasting"},
                "valueBoolean": item.fasting,
            }
        ]
    entry = entry_of(await store.create(resource))
    assert entry is not None
    return entry


async def add_note(store: PhrStore, patient_id: str, note: NoteIn) -> DiaryEntry:
    if note.mood is None and not note.symptoms and not note.text.strip():
        raise InvalidInput("a note needs a mood, a symptom or some text")
    resource = _observation(
        patient_id, MEASURES[Measure.NOTE], _local(note.taken_at), note=note.text or None
    )
    if note.mood is not None:
        resource["valueInteger"] = note.mood
    if note.symptoms:
        resource["component"] = [
            {"code": {"coding": [{"system": MACHI_DIARY, "code": "symptom"}]}, "valueString": s}
            for s in note.symptoms
        ]
    entry = entry_of(await store.create(resource))
    assert entry is not None
    return entry


async def add_medication(store: PhrStore, patient_id: str, dose: MedicationIn) -> DiaryEntry:
    taken_at = _local(dose.taken_at)
    resource: Resource = {
        "resourceType": "MedicationStatement",
        "meta": {"tag": [DIARY_TAG]},
        "status": "completed" if dose.taken else "not-taken",
        "medicationCodeableConcept": {"text": dose.name},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": taken_at.isoformat(),
    }
    if dose.dose:
        resource["dosage"] = [{"text": dose.dose}]
    return medication_entry(await store.create(resource))


def _effective(resource: Resource) -> datetime:
    text = resource.get("effectiveDateTime") or (resource.get("effectivePeriod") or {}).get("start")
    if not text:
        return now_local()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), LOCAL_TZ)
    return _local(datetime.fromisoformat(text))


def _timing(resource: Resource) -> Timing | None:
    for extension in resource.get("extension", []):
        if extension.get("url") == TIMING_URL and extension.get("valueCode") in (
            "morning",
            "evening",
            "other",
        ):
            value: Timing = extension["valueCode"]
            return value
    return None


def _measure_of(resource: Resource) -> Measure | None:
    for coding in resource.get("code", {}).get("coding", []):
        if coding.get("system") in (LOINC, MACHI_DIARY):
            for spec in MEASURES.values():
                if coding.get("code") in (spec.code, *spec.extra_codes):
                    return spec.measure
    return None


def _component(resource: Resource, code: str) -> float | None:
    for component in resource.get("component", []):
        codes = {c.get("code") for c in component.get("code", {}).get("coding", [])}
        if code in codes and "valueQuantity" in component:
            return float(component["valueQuantity"]["value"])
    return None


def entry_of(resource: Resource) -> DiaryEntry | None:
    """A diary entry from an Observation, or None when it is not a diary measure."""
    measure = _measure_of(resource)
    if measure is None:
        return None
    spec = MEASURES[measure]
    entry = DiaryEntry(
        id=resource["id"],
        measure=measure,
        label_ja=spec.label_ja,
        taken_at=_effective(resource),
        unit=spec.unit,
        timing=_timing(resource),
        text="\n".join(n.get("text", "") for n in resource.get("note", [])) or None,
    )
    band: Band | None = None
    if measure is Measure.BLOOD_PRESSURE:
        entry.value = _component(resource, SYSTOLIC)
        entry.value2 = _component(resource, DIASTOLIC)
        if entry.value is not None and entry.value2 is not None:
            band = blood_pressure_band(entry.value, entry.value2)
    elif measure is Measure.NOTE:
        entry.value = resource.get("valueInteger")
        symptoms = [c.get("valueString", "") for c in resource.get("component", [])]
        if symptoms:
            entry.text = "、".join(symptoms) + (f"\n{entry.text}" if entry.text else "")
    elif "valueQuantity" in resource:
        entry.value = float(resource["valueQuantity"]["value"])
        band = band_of(spec.bands, entry.value)
    if band is not None:
        entry.band, entry.colour = band.key, band.colour
    return entry


def medication_entry(resource: Resource) -> DiaryEntry:
    concept = resource.get("medicationCodeableConcept", {})
    name = concept.get("text") or next(
        (c.get("display") for c in concept.get("coding", []) if c.get("display")), "薬"
    )
    dosage = " ".join(d.get("text", "") for d in resource.get("dosage", []))
    taken = resource.get("status") != "not-taken"
    return DiaryEntry(
        id=resource["id"],
        measure="medication",
        label_ja="服薬",
        taken_at=_effective(resource),
        text=f"{name} {dosage}".strip() + ("" if taken else "（飲み忘れ）"),
    )


async def entries_between(
    store: PhrStore, patient_id: str, start: date, end: date
) -> list[DiaryEntry]:
    """Every diary entry (measures, notes, medication) on days start..end, in time order."""
    window = [("date", f"ge{start.isoformat()}"), ("date", f"le{end.isoformat()}")]
    observations = await store.search(
        "Observation", [("patient", patient_id), ("_sort", "date"), *window]
    )
    medications = await store.search(
        "MedicationStatement",
        [
            ("patient", patient_id),
            ("effective", f"ge{start.isoformat()}"),
            ("effective", f"le{end.isoformat()}"),
        ],
    )
    entries = [e for e in (entry_of(o) for o in observations) if e is not None]
    entries += [medication_entry(m) for m in medications]
    return sorted(entries, key=lambda e: e.taken_at)


async def entries_on(store: PhrStore, patient_id: str, day: date | None) -> list[DiaryEntry]:
    day = day or now_local().date()
    return await entries_between(store, patient_id, day, day)


def _bands(bands: tuple[Band, ...]) -> list[BandOut]:
    return [
        BandOut(
            key=b.key,
            label_ja=b.label_ja,
            label_en=b.label_en,
            colour=b.colour,
            low=b.low,
            high=b.high,
        )
        for b in bands
    ]


async def trend(store: PhrStore, patient_id: str, measure: Measure, days: int) -> Trend:
    """One measure over the last `days` days, with its colour bands and averages."""
    if measure is Measure.NOTE:
        raise InvalidInput("notes have no trend; list them with /diary/entries")
    spec = MEASURES[measure]
    start = now_local().date() - timedelta(days=days - 1)
    found = await store.search(
        "Observation",
        [
            ("patient", patient_id),
            ("code", f"{LOINC}|{spec.code}"),
            ("date", f"ge{start.isoformat()}"),
            ("_sort", "date"),
        ],
    )
    points = []
    for resource in found:
        entry = entry_of(resource)
        if entry is None or entry.value is None:
            continue
        points.append(
            TrendPoint(
                taken_at=entry.taken_at,
                value=entry.value,
                value2=entry.value2,
                timing=entry.timing,
                band=entry.band,
            )
        )
    points.sort(key=lambda p: p.taken_at)
    values = [p.value for p in points]
    seconds = [p.value2 for p in points if p.value2 is not None]
    return Trend(
        measure=measure,
        label_ja=spec.label_ja,
        unit=spec.unit,
        days=days,
        bands=_bands(spec.bands),
        bands2=_bands(DIASTOLIC_BANDS) if measure is Measure.BLOOD_PRESSURE else [],
        points=points,
        average=round(sum(values) / len(values), 1) if values else None,
        average2=round(sum(seconds) / len(seconds), 1) if seconds else None,
    )


# ---- checkups ---------------------------------------------------------------------------

# 特定健診 items → (LOINC, UCUM, category). Codes marked unconfirmed in research/fhir.md §9
# (1558-6, 4548-4) are the commonly used ones; JLAC10 codes are kept out until data needs them.
CHECKUP_ITEMS: dict[str, tuple[str, str, str, str]] = {
    "height_cm": ("8302-2", "cm", "vital-signs", "身長"),
    "weight_kg": ("29463-7", "kg", "vital-signs", "体重"),
    "waist_cm": ("8280-0", "cm", "exam", "腹囲"),
    "bmi": ("39156-5", "kg/m2", "vital-signs", "BMI"),
    "systolic": (SYSTOLIC, "mm[Hg]", "vital-signs", "収縮期血圧"),
    "diastolic": (DIASTOLIC, "mm[Hg]", "vital-signs", "拡張期血圧"),
    "triglycerides": ("2571-8", "mg/dL", "laboratory", "中性脂肪"),
    "hdl": ("2085-9", "mg/dL", "laboratory", "HDLコレステロール"),
    "ldl": ("13457-7", "mg/dL", "laboratory", "LDLコレステロール"),
    "fasting_glucose": ("1558-6", "mg/dL", "laboratory", "空腹時血糖"),
    "random_glucose": ("2339-0", "mg/dL", "laboratory", "随時血糖"),
    "hba1c": ("4548-4", "%", "laboratory", "HbA1c"),
}


def _result(checkup: CheckupIn) -> CheckupResult:
    return CheckupResult(**checkup.model_dump())


def checkup_resources(patient_id: str, checkup: CheckupIn) -> list[tuple[Resource, str]]:
    """One Observation per item plus the summary with the 保健指導 level, each with the
    identifier search that makes re-importing the same checkup a no-op."""
    result = _result(checkup)
    level = stratify(result)
    values = checkup.model_dump()
    if values["bmi"] is None and result.computed_bmi is not None:
        values["bmi"] = result.computed_bmi
    when = checkup.checked_on.isoformat()
    out: list[tuple[Resource, str]] = []
    components = []
    for name, (code, unit, category, label) in CHECKUP_ITEMS.items():
        value = values.get(name)
        if value is None:
            continue
        key = f"{patient_id}:{when}:{code}"
        observation: Resource = {
            "resourceType": "Observation",
            "identifier": [{"system": CHECKUP_ID_SYSTEM, "value": key}],
            "status": "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
            "code": {"coding": [{"system": LOINC, "code": code}], "text": label},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": when,
            "valueQuantity": _quantity(float(value), unit),
        }
        out.append((observation, f"identifier={CHECKUP_ID_SYSTEM}|{key}"))
        components.append(
            {
                "code": {"coding": [{"system": LOINC, "code": code}], "text": name},
                "valueQuantity": _quantity(float(value), unit),
            }
        )
    key = f"{patient_id}:{when}:{CHECKUP_CODE}"
    saved = {"reasons": level.reasons, "input": checkup.model_dump(mode="json")}
    summary: Resource = {
        "resourceType": "Observation",
        "identifier": [{"system": CHECKUP_ID_SYSTEM, "value": key}],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam"}]}],
        "code": {
            "coding": [{"system": MACHI_DIARY, "code": CHECKUP_CODE, "display": "特定健診"}],
            "text": "特定健診・特定保健指導（参考判定）",
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
        "valueCodeableConcept": {
            "coding": [
                {
                    "system": f"{MACHI_DIARY}-hoken-shido",
                    "code": level.level.name,
                    "display": level.level.value,
                }
            ]
        },
        "component": components,
        "note": [{"text": json.dumps(saved, ensure_ascii=False)}],
    }
    out.append((summary, f"identifier={CHECKUP_ID_SYSTEM}|{key}"))
    return out


async def import_checkup(store: PhrStore, patient_id: str, checkup: CheckupIn) -> CheckupOut:
    """Store each item as an Observation and the 保健指導 level as a summary (idempotent)."""
    for resource, criteria in checkup_resources(patient_id, checkup):
        await store.create(resource, if_none_exist=criteria)
    return import_result(checkup)


async def latest_checkup(store: PhrStore, patient_id: str) -> CheckupOut | None:
    found = await store.search(
        "Observation", [("patient", patient_id), ("code", f"{MACHI_DIARY}|{CHECKUP_CODE}")]
    )
    if not found:
        return None
    latest = max(found, key=lambda r: str(r.get("effectiveDateTime", "")))
    saved = json.loads(latest["note"][0]["text"])
    return import_result(CheckupIn.model_validate(saved["input"]))


def import_result(checkup: CheckupIn) -> CheckupOut:
    result = _result(checkup)
    level = stratify(result)
    items = {
        name: float(value)
        for name, value in checkup.model_dump().items()
        if name in CHECKUP_ITEMS and value is not None
    }
    return CheckupOut(
        checked_on=checkup.checked_on,
        level=level.level,
        reasons=level.reasons,
        note=level.note,
        items=items,
    )
