"""The official FHIR R4 examples of every supported type are stored and read back equal."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from server.health.search_params import SPECS, patient_of
from tests.conftest import shared_data


def comparable(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without what the server owns (meta.versionId, meta.lastUpdated)."""
    result = dict(resource)
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result


def valid_r4b(resource: dict[str, Any]) -> bool:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError:
        return False
    return True


def test_every_supported_example_round_trips(fhir: TestClient) -> None:
    folder: Path = shared_data("fhir/r4-examples")
    checked = 0
    problems = []
    for path in sorted(folder.glob("*.json")):
        original = json.loads(path.read_text(), parse_float=Decimal)
        res_type = original["resourceType"]
        if res_type not in SPECS:
            continue
        patient = patient_of(SPECS[res_type], original)
        # The person themself for personal data; a doctor for directory data.
        who = {"X-Test-Patient": patient} if patient else {"X-Test-Role": "doctor"}
        url = f"/fhir/{res_type}/{original['id']}"

        stored = fhir.put(
            url, content=path.read_bytes(), headers={**who, "Content-Type": "application/fhir+json"}
        )
        read = fhir.get(url, headers=who)

        checked += 1
        if not valid_r4b(original):
            # A few official examples break R4's own cardinality (Questionnaire-qs1: no linkId).
            if stored.status_code != 400:
                problems.append(f"{path.name}: invalid example accepted")
            continue
        if stored.status_code not in (200, 201) or read.status_code != 200:
            problems.append(f"{path.name}: {stored.status_code} {stored.text[:300]}")
            continue
        back = json.loads(read.text, parse_float=Decimal)
        if comparable(back) != comparable(original):
            problems.append(f"{path.name}: read back differs")
    assert checked > 150
    assert problems == []
