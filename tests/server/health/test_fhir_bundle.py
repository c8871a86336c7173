"""Batch and transaction Bundles at POST /fhir."""

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.server.health.factories import observation


def entry(resource: dict[str, Any], method: str = "POST", url: str | None = None) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": resource,
        "request": {"method": method, "url": url or resource["resourceType"]},
    }


def test_a_transaction_resolves_references_between_entries(fhir: TestClient, me: str) -> None:
    panel = entry(observation(me, code="85354-9"))
    systolic = entry(observation(me, code="8480-6", value=142, unit="mm[Hg]"))
    panel["resource"]["hasMember"] = [{"reference": systolic["fullUrl"]}]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [panel, systolic]}

    response = fhir.post("/fhir", json=bundle)

    assert response.status_code == 200
    result = response.json()
    assert result["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in result["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    systolic_id = result["entry"][1]["resource"]["id"]
    location = result["entry"][0]["response"]["location"]
    stored_panel = fhir.get("/fhir/" + location.rsplit("/_history", 1)[0])
    assert stored_panel.json()["hasMember"] == [{"reference": f"Observation/{systolic_id}"}]


def test_a_failing_entry_rolls_back_the_whole_transaction(fhir: TestClient, me: str) -> None:
    good = entry(observation(me))
    bad = entry({**observation(me), "status": "bogus"})
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [good, bad]}

    response = fhir.post("/fhir", json=bundle)

    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.status"]
    assert fhir.get("/fhir/Observation", params={"patient": me}).json()["total"] == 0


def test_a_batch_keeps_the_good_entries(fhir: TestClient, me: str) -> None:
    good = entry(observation(me))
    bad = entry({**observation(me), "status": "bogus"})
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [good, bad]}

    response = fhir.post("/fhir", json=bundle)

    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses[0] == "201 Created"
    assert statuses[1] == "400"
    assert fhir.get("/fhir/Observation", params={"patient": me}).json()["total"] == 1


def test_transaction_put_with_if_match_and_get(fhir: TestClient, me: str) -> None:
    created = fhir.post("/fhir/Observation", json=observation(me)).json()
    changed = {**created, "status": "amended"}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": changed,
                "request": {
                    "method": "PUT",
                    "url": f"Observation/{created['id']}",
                    "ifMatch": 'W/"1"',
                },
            },
            {"request": {"method": "GET", "url": f"Observation?patient={me}"}},
        ],
    }

    result = fhir.post("/fhir", json=bundle).json()
    stale = fhir.post("/fhir", json=bundle)

    assert result["entry"][0]["response"]["etag"] == 'W/"2"'
    assert result["entry"][1]["resource"]["total"] == 1
    assert stale.status_code == 412


def test_only_batch_and_transaction_bundles_are_accepted(fhir: TestClient) -> None:
    response = fhir.post("/fhir", json={"resourceType": "Bundle", "type": "collection"})

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["type"]
