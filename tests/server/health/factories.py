"""Plain typed factories of FHIR resources for the health tests."""

from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
        }
    ]
}


def observation(
    patient: str = "p1",
    code: str = "8867-4",
    when: str = "2026-11-20T07:00:00+09:00",
    value: float | str = 72,
    unit: str = "/min",
    **overrides: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [VITAL_SIGNS],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    resource.update(overrides)
    return resource


def patient(res_id: str = "p1", family: str = "日立", given: str = "花子") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": res_id,
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": "1948-04-01",
    }
