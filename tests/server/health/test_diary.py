"""The PHR diary API: quick entries, today's list, trends with bands, checkups, the report."""

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from server.health.diary import now_local


def test_one_call_adds_a_blood_pressure_reading_as_the_85354_9_panel(
    fhir: TestClient, me: str
) -> None:
    response = fhir.post(
        "/api/v1/diary/blood-pressure",
        json={"systolic": 148, "diastolic": 88, "pulse": 76, "taken_at": "2026-11-22T06:45:00"},
    )

    assert response.status_code == 201
    entry = response.json()
    assert (entry["value"], entry["value2"], entry["timing"], entry["band"]) == (
        148,
        88,
        "morning",
        "high",
    )
    panel = fhir.get(f"/fhir/Observation/{entry['id']}").json()
    assert panel["code"]["coding"][0]["code"] == "85354-9"
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in panel["component"]}
    assert components["8480-6"] == {
        "value": 148,
        "unit": "mm[Hg]",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    pulses = fhir.get("/fhir/Observation", params={"patient": me, "code": "8867-4"}).json()
    assert pulses["total"] == 1


def test_today_lists_every_kind_of_entry_in_time_order(fhir: TestClient) -> None:
    today = now_local().replace(hour=7, minute=0, second=0, microsecond=0)
    at = lambda minutes: (today + timedelta(minutes=minutes)).isoformat()  # noqa: E731
    fhir.post(
        "/api/v1/diary/measurements", json={"measure": "weight", "value": 52.4, "taken_at": at(5)}
    )
    fhir.post(
        "/api/v1/diary/blood-pressure", json={"systolic": 128, "diastolic": 80, "taken_at": at(0)}
    )
    fhir.post(
        "/api/v1/diary/measurements",
        json={"measure": "temperature", "value": 36.5, "taken_at": at(10)},
    )
    fhir.post("/api/v1/diary/notes", json={"mood": 4, "symptoms": ["肩こり"], "taken_at": at(20)})
    fhir.post(
        "/api/v1/diary/medications",
        json={"name": "アムロジピン", "dose": "5mg 1錠", "taken_at": at(30)},
    )
    fhir.post(
        "/api/v1/diary/measurements", json={"measure": "steps", "value": 6200, "taken_at": at(600)}
    )

    entries = fhir.get("/api/v1/diary/entries").json()

    kinds = [e["measure"] for e in entries]
    assert kinds == ["steps", "blood_pressure", "weight", "temperature", "note", "medication"]
    assert entries[3]["value"] == 36.5
    assert entries[3]["band"] == "normal"
    assert "アムロジピン" in entries[5]["text"]


def test_trend_has_bands_and_points(fhir: TestClient) -> None:
    base = now_local().replace(hour=7, minute=0, second=0, microsecond=0)
    for days, (sys, dia) in enumerate([(150, 92), (132, 80), (118, 70)]):
        taken = (base - timedelta(days=days)).isoformat()
        fhir.post(
            "/api/v1/diary/blood-pressure",
            json={"systolic": sys, "diastolic": dia, "taken_at": taken},
        )

    trend = fhir.get("/api/v1/diary/trends/blood_pressure", params={"days": 7}).json()

    assert [p["band"] for p in trend["points"]] == ["normal", "elevated", "high"]
    assert [b["low"] for b in trend["bands"] if b["key"] == "high"] == [135]
    assert [b["low"] for b in trend["bands2"] if b["key"] == "high"] == [85]
    assert trend["average"] == 133.3


def test_bad_entries_are_refused_and_nothing_is_stored(fhir: TestClient, me: str) -> None:
    upside_down = fhir.post("/api/v1/diary/blood-pressure", json={"systolic": 80, "diastolic": 120})
    absurd = fhir.post("/api/v1/diary/measurements", json={"measure": "temperature", "value": 63})

    assert upside_down.status_code == 422
    assert absurd.status_code == 422
    assert fhir.get("/fhir/Observation", params={"patient": me}).json()["total"] == 0


def test_checkup_import_gives_the_hoken_shido_level(fhir: TestClient) -> None:
    csv_text = (
        "受診日,性別,生年月日,身長,体重,腹囲,収縮期血圧,拡張期血圧,中性脂肪,HDLコレステロール,HbA1c,喫煙\n"
        "2026-06-10,男,1975-05-01,170,78,92,138,86,180,45,5.4,はい\n"
    )

    imported = fhir.post(
        "/api/v1/diary/checkups", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    again = fhir.post(
        "/api/v1/diary/checkups", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    latest = fhir.get("/api/v1/diary/checkups/latest").json()

    assert imported.status_code == 201
    assert imported.json()["level"] == "積極的支援"  # waist + BP + lipids + smoking, age 51
    assert again.status_code == 201
    assert latest["level"] == "積極的支援"
    assert latest["items"]["waist_cm"] == 92


def test_report_as_csv_and_pdf(fhir: TestClient) -> None:
    taken = datetime.now().replace(hour=20, minute=0, second=0, microsecond=0).isoformat()
    fhir.post(
        "/api/v1/diary/blood-pressure", json={"systolic": 140, "diastolic": 90, "taken_at": taken}
    )

    csv_report = fhir.get("/api/v1/diary/report", params={"days": 7, "format": "csv"})
    pdf_report = fhir.get("/api/v1/diary/report", params={"days": 30, "format": "pdf"})

    assert csv_report.status_code == 200
    assert "140/90" in csv_report.text
    assert "夜" in csv_report.text
    assert pdf_report.headers["content-type"] == "application/pdf"
    assert pdf_report.content.startswith(b"%PDF")


def test_family_without_consent_cannot_read_the_diary(fhir: TestClient, me: str) -> None:
    response = fhir.get(
        "/api/v1/diary/entries",
        params={"patient": me},
        headers={"X-Test-Role": "family", "X-Test-Subject": "someone"},
    )

    assert response.status_code == 403


def test_demo_diary_loads_once_and_shows_morning_surges(fhir: TestClient, session) -> None:  # type: ignore[no-untyped-def]
    from server.health.demo import HANAKO, load_demo_diary

    first = load_demo_diary(session)
    second = load_demo_diary(session)
    session.flush()

    trend = fhir.get(
        "/api/v1/diary/trends/blood_pressure",
        params={"days": 30},
        headers={"X-Test-Patient": HANAKO},
    ).json()
    latest = fhir.get("/api/v1/diary/checkups/latest", headers={"X-Test-Patient": HANAKO}).json()

    assert first > 500
    assert second == 0
    mornings = [p["value"] for p in trend["points"] if p["timing"] == "morning"]
    evenings = [p["value"] for p in trend["points"] if p["timing"] == "evening"]
    assert sum(mornings) / len(mornings) > sum(evenings) / len(evenings) + 10
    assert latest["level"] == "対象外"  # 78 and on blood pressure medicine


def test_a_checkup_import_without_a_token_is_401_even_with_an_empty_body(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/v1/diary/checkups", content=b"", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401
