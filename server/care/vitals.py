"""Vital signs as FHIR Observations (LOINC codes, UCUM units) and back."""

from typing import Any

from server.care.schemas import VitalPoint, Vitals

VITAL_SIGNS = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

# name: (LOINC code, display, UCUM unit)
SIMPLE: dict[str, tuple[str, str, str]] = {
    "pulse": ("8867-4", "Heart rate", "/min"),
    "temperature": ("8310-5", "Body temperature", "Cel"),
    "spo2": ("59408-5", "Oxygen saturation by Pulse oximetry", "%"),
    "weight": ("29463-7", "Body weight", "kg"),
}
BP_PANEL = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
_BY_CODE = {code: name for name, (code, _, _) in SIMPLE.items()} | {"2708-6": "spo2"}
VITAL_CODES = ",".join([BP_PANEL, *[c for c, _, _ in SIMPLE.values()]])


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def observations(
    vitals: Vitals, *, patient_id: str, encounter_id: str | None, effective: str
) -> list[dict[str, Any]]:
    """One Observation per measured sign; blood pressure as the LOINC panel."""
    common: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": VITAL_SIGNS, "code": "vital-signs"}]}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": effective,
    }
    if encounter_id:
        common["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    result = []
    if vitals.systolic is not None and vitals.diastolic is not None:
        result.append(
            {
                **common,
                "code": {"coding": [{"system": LOINC, "code": BP_PANEL}], "text": "血圧"},
                "component": [
                    {
                        "code": {"coding": [{"system": LOINC, "code": SYSTOLIC}]},
                        "valueQuantity": _quantity(vitals.systolic, "mm[Hg]"),
                    },
                    {
                        "code": {"coding": [{"system": LOINC, "code": DIASTOLIC}]},
                        "valueQuantity": _quantity(vitals.diastolic, "mm[Hg]"),
                    },
                ],
            }
        )
    for name, (code, display, unit) in SIMPLE.items():
        value = getattr(vitals, name)
        if value is not None:
            codings = [{"system": LOINC, "code": code, "display": display}]
            if name == "spo2":
                codings.append({"system": LOINC, "code": "2708-6"})
            result.append(
                {**common, "code": {"coding": codings}, "valueQuantity": _quantity(value, unit)}
            )
    return result


def points(resource: dict[str, Any]) -> list[VitalPoint]:
    """The chartable values of one stored Observation."""
    at = str(resource.get("effectiveDateTime", ""))
    codes = [c.get("code") for c in resource.get("code", {}).get("coding", [])]
    if BP_PANEL in codes:
        found = []
        for component in resource.get("component", []):
            code = component.get("code", {}).get("coding", [{}])[0].get("code")
            quantity = component.get("valueQuantity") or {}
            name = {SYSTOLIC: "systolic", DIASTOLIC: "diastolic"}.get(code)
            if name and "value" in quantity:
                found.append(VitalPoint(code=name, value=quantity["value"], unit="mm[Hg]", at=at))
        return found
    quantity = resource.get("valueQuantity") or {}
    for code in codes:
        name = _BY_CODE.get(str(code))
        if name and "value" in quantity:
            unit = str(quantity.get("code") or quantity.get("unit") or "")
            return [VitalPoint(code=name, value=quantity["value"], unit=unit, at=at)]
    return []
