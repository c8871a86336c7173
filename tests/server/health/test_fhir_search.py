"""FHIR search: parameters, date prefixes and partial dates, paging, sort, include, strictness."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.health.factories import LOINC, observation

DAYS = ["2026-01-31", "2026-02-01", "2026-02-15", "2026-02-28", "2026-03-01"]


@pytest.fixture
def pulses(fhir: TestClient, me: str) -> dict[str, str]:
    """One pulse each morning of DAYS (07:00 Japan time), one weight; day → Observation id."""
    ids = {}
    for day in DAYS:
        created = fhir.post(
            "/fhir/Observation", json=observation(me, when=f"{day}T07:00:00+09:00", value=70)
        )
        ids[day] = created.json()["id"]
    fhir.post(
        "/fhir/Observation",
        json=observation(me, code="29463-7", when="2026-02-15T07:05:00+09:00", unit="kg"),
    )
    return ids


def found(fhir: TestClient, **params: Any) -> set[str]:
    bundle = fhir.get("/fhir/Observation", params={"_count": 100, **params}).json()
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


@pytest.mark.parametrize(
    ("date", "days"),
    [
        ("2026-02", ["2026-02-01", "2026-02-15", "2026-02-28"]),
        ("eq2026-02-15", ["2026-02-15"]),
        ("ne2026-02", ["2026-01-31", "2026-03-01"]),
        ("lt2026-02-01", ["2026-01-31"]),
        ("le2026-02-01", ["2026-01-31", "2026-02-01"]),
        ("gt2026-02-28", ["2026-03-01"]),
        ("ge2026-02-28", ["2026-02-28", "2026-03-01"]),
        ("2026", DAYS),
        ("2025", []),
        ("ge2026-02-15T07:00:00+09:00", ["2026-02-15", "2026-02-28", "2026-03-01"]),
        ("gt2026-02-15T07:00:00+09:00", ["2026-02-28", "2026-03-01"]),
        ("2026-02-14T22:00:00Z", ["2026-02-15"]),
    ],
)
def test_date_prefixes_and_partial_dates(
    fhir: TestClient, me: str, pulses: dict[str, str], date: str, days: list[str]
) -> None:
    result = found(fhir, patient=me, code=f"{LOINC}|8867-4", date=date)

    assert result == {pulses[d] for d in days}


def test_two_date_bounds_make_a_range(fhir: TestClient, me: str, pulses: dict[str, str]) -> None:
    bundle = fhir.get(
        "/fhir/Observation",
        params=[("subject", f"Patient/{me}"), ("date", "ge2026-02-01"), ("date", "lt2026-03")],
    ).json()

    assert bundle["total"] == 4  # three pulses and the weight


def test_code_forms(fhir: TestClient, me: str, pulses: dict[str, str]) -> None:
    assert len(found(fhir, patient=me, code="8867-4")) == 5
    assert len(found(fhir, patient=me, code=f"{LOINC}|29463-7")) == 1
    assert len(found(fhir, patient=me, code="http://snomed.info/sct|8867-4")) == 0
    assert len(found(fhir, patient=me, code="8867-4,29463-7")) == 6
    assert len(found(fhir, patient=me, category="vital-signs")) == 6
    assert len(found(fhir, patient=me, **{"code:not": "8867-4"})) == 1


def test_paging_with_total_and_next_links(
    fhir: TestClient, me: str, pulses: dict[str, str]
) -> None:
    first = fhir.get("/fhir/Observation", params={"patient": me, "_count": 4}).json()
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = fhir.get(links["next"]).json()

    assert first["total"] == 6
    assert len(first["entry"]) == 4
    assert links["next"].startswith("http://testserver/fhir/Observation?")
    assert len(second["entry"]) == 2
    assert "next" not in {link["relation"] for link in second["link"]}
    ids = [e["resource"]["id"] for e in first["entry"] + second["entry"]]
    assert len(set(ids)) == 6


def test_count_zero_gives_only_the_total(fhir: TestClient, me: str, pulses: dict[str, str]) -> None:
    bundle = fhir.get("/fhir/Observation", params={"patient": me, "_count": 0}).json()

    assert bundle["total"] == 6
    assert "entry" not in bundle


def test_sort_by_date_descending(fhir: TestClient, me: str, pulses: dict[str, str]) -> None:
    bundle = fhir.get(
        "/fhir/Observation", params={"patient": me, "code": "8867-4", "_sort": "-date"}
    ).json()

    assert [e["resource"]["id"] for e in bundle["entry"]] == [pulses[d] for d in reversed(DAYS)]


def test_last_updated_finds_what_changed_since(
    fhir: TestClient, me: str, pulses: dict[str, str]
) -> None:
    marker = fhir.get(f"/fhir/Observation/{pulses['2026-03-01']}").json()["meta"]["lastUpdated"]

    later = found(fhir, patient=me, _lastUpdated=f"gt{marker}")
    since = found(fhir, patient=me, _lastUpdated=f"ge{marker}")

    assert later == found(fhir, patient=me, code="29463-7")
    assert since == later | {pulses["2026-03-01"]}


def test_include_adds_the_patient(fhir: TestClient, me: str, pulses: dict[str, str]) -> None:
    fhir.put(f"/fhir/Patient/{me}", json={"resourceType": "Patient", "id": me, "gender": "female"})

    bundle = fhir.get(
        "/fhir/Observation", params={"patient": me, "_include": "Observation:patient"}
    ).json()

    modes = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]]
    assert modes.count(("Patient", "include")) == 1
    assert bundle["total"] == 6  # includes do not count


def test_unknown_parameters_are_ignored_unless_strict(
    fhir: TestClient, me: str, pulses: dict[str, str]
) -> None:
    lenient = fhir.get("/fhir/Observation", params={"patient": me, "_totalMethod": "count"})
    strict = fhir.get(
        "/fhir/Observation",
        params={"patient": me, "colour": "red"},
        headers={"Prefer": "handling=strict"},
    )

    assert lenient.json()["total"] == 6
    assert strict.status_code == 400
    assert strict.json()["issue"][0]["expression"] == ["colour"]


def test_bad_search_values_say_what_is_wrong(fhir: TestClient, me: str) -> None:
    bad_date = fhir.get("/fhir/Observation", params={"patient": me, "date": "yesterday"})
    bad_modifier = fhir.get("/fhir/Observation", params={"patient": me, "code:above": "x"})

    assert bad_date.status_code == 422
    assert "yesterday" in bad_date.json()["issue"][0]["diagnostics"]
    assert bad_modifier.status_code == 400


def test_patient_string_search_ignores_case_and_width(fhir: TestClient, me: str) -> None:
    fhir.put(
        f"/fhir/Patient/{me}",
        json={
            "resourceType": "Patient",
            "id": me,
            "name": [{"family": "Hitachi", "given": ["ﾊﾅｺ"]}],
            "birthDate": "1948-04-01",
        },
    )

    assert fhir.get("/fhir/Patient", params={"name": "hita"}).json()["total"] == 1
    assert fhir.get("/fhir/Patient", params={"given": "ハナコ"}).json()["total"] == 1
    assert fhir.get("/fhir/Patient", params={"birthdate": "1948"}).json()["total"] == 1
    assert fhir.get("/fhir/Patient", params={"name:exact": "hit"}).json()["total"] == 0


def test_post_search_takes_a_form_body(fhir: TestClient, me: str, pulses: dict[str, str]) -> None:
    response = fhir.post(
        "/fhir/Observation/_search",
        content=f"patient={me}&code=8867-4",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.json()["total"] == 5
