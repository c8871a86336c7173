"""The FHIR REST interactions: create, read, vread, update, upsert, versions, delete, history."""

import json

from fastapi.testclient import TestClient

from tests.server.health.conftest import FHIR_JSON
from tests.server.health.factories import observation, patient


def test_create_returns_the_resource_with_location_etag_and_last_modified(
    fhir: TestClient, me: str
) -> None:
    response = fhir.post("/fhir/Observation", json=observation(me))

    assert response.status_code == 201
    body = response.json()
    assert body["meta"]["versionId"] == "1"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["location"] == (
        f"http://testserver/fhir/Observation/{body['id']}/_history/1"
    )
    assert response.headers["last-modified"].endswith("GMT")
    assert response.headers["content-type"].startswith("application/fhir+json")


def test_decimals_are_kept_exactly_as_sent(fhir: TestClient, me: str) -> None:
    text = json.dumps(observation(me, code="8310-5", value=0, unit="Cel")).replace(
        '"value": 0', '"value": 36.50'
    )
    created = fhir.post("/fhir/Observation", content=text, headers=FHIR_JSON)

    read = fhir.get(f"/fhir/Observation/{created.json()['id']}")

    assert '"value":36.50' in read.text


def test_update_makes_a_new_version_and_vread_returns_the_old_one(
    fhir: TestClient, me: str
) -> None:
    created = fhir.post("/fhir/Observation", json=observation(me, value=70)).json()
    changed = {**created, "valueQuantity": {**created["valueQuantity"], "value": 71}}

    updated = fhir.put(f"/fhir/Observation/{created['id']}", json=changed)

    assert updated.status_code == 200
    assert updated.json()["meta"]["versionId"] == "2"
    old = fhir.get(f"/fhir/Observation/{created['id']}/_history/1")
    assert old.json()["valueQuantity"]["value"] == 70
    assert fhir.get(f"/fhir/Observation/{created['id']}").json()["valueQuantity"]["value"] == 71


def test_if_match_on_an_old_version_is_412_and_changes_nothing(fhir: TestClient, me: str) -> None:
    created = fhir.post("/fhir/Observation", json=observation(me, value=70)).json()
    fhir.put(f"/fhir/Observation/{created['id']}", json=created)

    stale = fhir.put(
        f"/fhir/Observation/{created['id']}",
        json={**created, "status": "amended"},
        headers={"If-Match": 'W/"1"'},
    )

    assert stale.status_code == 412
    assert stale.json()["resourceType"] == "OperationOutcome"
    current = fhir.get(f"/fhir/Observation/{created['id']}").json()
    assert current["status"] == "final"
    assert current["meta"]["versionId"] == "2"


def test_put_to_a_new_client_chosen_id_creates_it(fhir: TestClient, me: str) -> None:
    resource = {**observation(me), "id": f"tablet-{me}"}

    response = fhir.put(f"/fhir/Observation/tablet-{me}", json=resource)

    assert response.status_code == 201
    assert response.headers["location"].endswith(f"/Observation/tablet-{me}/_history/1")


def test_put_with_a_different_id_in_the_body_is_rejected(fhir: TestClient, me: str) -> None:
    response = fhir.put("/fhir/Observation/a1", json={**observation(me), "id": "b2"})

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Observation.id"]


def test_delete_hides_the_resource_but_keeps_its_history(fhir: TestClient, me: str) -> None:
    created = fhir.post("/fhir/Observation", json=observation(me)).json()

    deleted = fhir.delete(f"/fhir/Observation/{created['id']}")

    assert deleted.status_code == 204
    assert fhir.get(f"/fhir/Observation/{created['id']}").status_code == 410
    history = fhir.get(f"/fhir/Observation/{created['id']}/_history").json()
    assert history["type"] == "history"
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    assert fhir.get(f"/fhir/Observation/{created['id']}/_history/1").status_code == 200
    search = fhir.get("/fhir/Observation", params={"_id": created["id"]}).json()
    assert search["total"] == 0


def test_type_history_lists_versions_newest_first(fhir: TestClient, me: str) -> None:
    first = fhir.post("/fhir/Observation", json=observation(me, value=60)).json()
    fhir.put(f"/fhir/Observation/{first['id']}", json={**first, "status": "amended"})

    history = fhir.get("/fhir/Observation/_history").json()

    versions = [(e["resource"]["id"], e["resource"]["meta"]["versionId"]) for e in history["entry"]]
    assert versions[:2] == [(first["id"], "2"), (first["id"], "1")]


def test_conditional_create_returns_the_existing_match(fhir: TestClient, me: str) -> None:
    resource = observation(me, identifier=[{"system": "urn:machi:diary", "value": "e-1"}])
    first = fhir.post("/fhir/Observation", json=resource)

    again = fhir.post(
        "/fhir/Observation",
        json=resource,
        headers={"If-None-Exist": "identifier=urn:machi:diary|e-1"},
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_invalid_resource_is_rejected_with_where_and_nothing_is_stored(
    fhir: TestClient, me: str
) -> None:
    bad = {**observation(me, identifier=[{"value": "bad-1"}]), "valueQuantity": {"value": "high"}}

    response = fhir.post("/fhir/Observation", json=bad)

    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"][0].startswith("Observation.valueQuantity.value")
    assert fhir.get("/fhir/Observation", params={"identifier": "bad-1"}).json()["total"] == 0


def test_unknown_elements_bad_status_and_bad_references_are_rejected(
    fhir: TestClient, me: str
) -> None:
    unknown = fhir.post("/fhir/Observation", json={**observation(me), "colour": "red"})
    status = fhir.post("/fhir/Observation", json={**observation(me), "status": "bogus"})
    reference = fhir.post(
        "/fhir/Observation", json={**observation(me), "encounter": {"reference": "garbage ref"}}
    )

    assert unknown.status_code == 400
    assert unknown.json()["issue"][0]["expression"] == ["Observation.colour"]
    assert status.status_code == 400
    assert status.json()["issue"][0]["expression"] == ["Observation.status"]
    assert reference.status_code == 400
    assert reference.json()["issue"][0]["expression"] == ["Observation.encounter.reference"]


def test_errors_are_operation_outcomes(fhir: TestClient, me: str) -> None:
    missing = fhir.get("/fhir/Observation/nope")
    unsupported = fhir.get("/fhir/Basic")
    not_json = fhir.post("/fhir/Observation", content=b"{", headers=FHIR_JSON)
    wrong_type = fhir.post("/fhir/Observation", json=patient())

    assert missing.status_code == 404
    assert unsupported.status_code == 404
    assert not_json.status_code == 422
    assert wrong_type.status_code == 400
    for response in (missing, unsupported, not_json, wrong_type):
        assert response.json()["resourceType"] == "OperationOutcome"
        assert response.json()["issue"][0]["diagnostics"]


def test_metadata_declares_r4_and_what_is_supported(fhir: TestClient, me: str) -> None:
    statement = fhir.get("/fhir/metadata").json()

    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert "Observation:patient" in resources["Observation"]["searchInclude"]
    params = {p["name"] for p in resources["Observation"]["searchParam"]}
    assert {"patient", "code", "date", "category"} <= params
    assert {i["code"] for i in statement["rest"][0]["interaction"]} == {"transaction", "batch"}
