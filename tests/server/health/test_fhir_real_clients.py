"""The store driven by the real client libraries fhirclient and fhirpy over HTTP."""

from collections.abc import Iterator

import pytest
from fhirclient import client as smart_client
from fhirclient.models.bundle import Bundle as SmartBundle
from fhirclient.models.observation import Observation as SmartObservation
from fhirpy import SyncFHIRClient

from server.auth.access import Principal, Role
from tests.server.health.factories import LOINC, observation, patient
from tests.server.health.live import live_server

PATIENT = "live-1"


def resident() -> Principal:
    return Principal(
        subject="user-live-1",
        role=Role.RESIDENT,
        patient_id=PATIENT,
        scopes=frozenset({"patient/*.cruds"}),
        client_id="machi-app",
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("live"), resident) as url:
        yield f"{url}/fhir"


def test_fhirclient_scenario(base: str) -> None:
    smart = smart_client.FHIRClient(settings={"app_id": "machi-test", "api_base": base + "/"})
    server = smart.server
    server.get_capability()
    assert server.capabilityStatement.fhirVersion == "4.0.1"

    created = SmartObservation(observation(PATIENT, value=64)).create(server)
    assert created is not None
    read = SmartObservation.read(created["id"], server)
    read.status = "amended"
    updated = read.update()
    for value in range(65, 70):
        SmartObservation(observation(PATIENT, value=value)).create(server)
    search = SmartObservation.where(
        {"subject": f"Patient/{PATIENT}", "code": f"{LOINC}|8867-4", "_count": "2"}
    )
    found = list(search.perform_resources_iter(server))
    transaction = SmartBundle(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
                    "resource": observation(PATIENT, code="29463-7", value=51.2, unit="kg"),
                    "request": {"method": "POST", "url": "Observation"},
                }
            ],
        }
    ).create(server)

    assert read.status == "amended"
    assert updated["meta"]["versionId"] == "2"
    assert len(found) == 6  # followed the next links through three pages
    assert len({o.id for o in found}) == 6
    assert transaction["type"] == "transaction-response"


def test_fhirpy_scenario(base: str) -> None:
    client = SyncFHIRClient(base)
    person = client.resource("Patient", **patient(PATIENT))
    person.save()

    weight = client.resource("Observation", **observation(PATIENT, code="29463-7", unit="kg"))
    weight.save()
    fetched = client.reference("Observation", weight["id"]).to_resource()
    fetched["status"] = "amended"
    fetched.save()
    for value in range(5):
        client.resource(
            "Observation", **observation(PATIENT, code="8310-5", value=36 + value / 10, unit="Cel")
        ).save()
    temperatures = client.resources("Observation").search(
        subject=f"Patient/{PATIENT}", code=f"{LOINC}|8310-5"
    )
    all_of_them = temperatures.limit(2).fetch_all()
    count = temperatures.count()
    result = client.execute(
        "/",
        method="post",
        data={
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": observation(PATIENT, code="8310-5", value=36.6, unit="Cel"),
                    "request": {"method": "POST", "url": "Observation"},
                }
            ],
        },
    )

    assert weight["id"]
    assert client.reference("Observation", weight["id"]).to_resource()["status"] == "amended"
    assert len(all_of_them) == 5
    assert count == 5
    assert result["entry"][0]["response"]["status"] == "201 Created"
    assert temperatures.count() == 6
