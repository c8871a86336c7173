"""Diary entries pushed from a device that was offline land in the PHR diary itself (FHIR)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from .conftest import Api, create_user, diary  # noqa: TID252

TAKEN = "2026-11-20T07:30:00+09:00"


def reading(patient_id: str, kind: str, value: float, record_id: str) -> dict[str, Any]:
    entry = diary(patient_id, value=value, record_id=record_id)
    entry["data"].update(kind=kind, recorded_at=TAKEN)
    return entry


def entries_of(client: TestClient, user_id: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/diary/entries", params={"day": "2026-11-20"}, headers={"x-user": user_id}
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def test_an_offline_blood_pressure_reading_becomes_one_panel_in_the_diary(
    session: Session, api: Api, client: TestClient
) -> None:
    resident = create_user(session)
    me = api.as_(resident)
    systolic_id, diastolic_id = (
        "0a000000-0000-4000-8000-000000000001",
        "0b000000-0000-4000-8000-000000000002",
    )

    answers = me.push(
        reading(resident.patient_id, "systolic", 142, systolic_id),
        reading(resident.patient_id, "diastolic", 88, diastolic_id),
        reading(resident.patient_id, "weight", 52.5, "0c000000-0000-4000-8000-000000000003"),
    )

    assert [a["status"] for a in answers] == ["applied"] * 3
    by_measure = {e["measure"]: e for e in entries_of(client, resident.id)}
    pressure = by_measure["blood_pressure"]
    assert (pressure["value"], pressure["value2"]) == (142, 88)
    assert pressure["id"] == systolic_id  # the id the app shows the reading under
    assert pressure["band"] == "high"
    assert by_measure["weight"]["value"] == 52.5


def test_a_replayed_push_adds_nothing_to_the_diary(
    session: Session, api: Api, client: TestClient
) -> None:
    resident = create_user(session)
    me = api.as_(resident)
    weight = reading(resident.patient_id, "weight", 60, "0d000000-0000-4000-8000-000000000004")

    me.push(weight)
    [again] = me.push(weight)

    assert again["status"] == "duplicate"
    assert [e["measure"] for e in entries_of(client, resident.id)] == ["weight"]


def test_an_impossible_value_is_rejected_and_nothing_reaches_the_diary(
    session: Session, api: Api, client: TestClient
) -> None:
    resident = create_user(session)
    me = api.as_(resident)

    [answer] = me.push(
        reading(resident.patient_id, "temperature", 81, "0e000000-0000-4000-8000-000000000005")
    )

    assert answer["status"] == "rejected"
    assert "temperature" in answer["reason"]
    assert entries_of(client, resident.id) == []
