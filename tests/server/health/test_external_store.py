"""External FHIR store mode (MACHI_FHIR_URL): the diary through another FHIR R4 server.

The embedded store runs as a separate server process (uvicorn, its own data folder and
database), standing in for HAPI FHIR; it only accepts the bearer token it issued itself, which
the PHR service is given as MACHI_FHIR_TOKEN. The same diary scenario runs once on the embedded
store and once through that server, and must answer the same.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.access import Role, current_principal
from server.auth.tokens import issue_access_token
from server.auth.users import create_user
from server.core import migrate
from server.core.db import create_db_engine
from server.core.settings import Settings
from server.health.diary import now_local
from server.main import create_app
from tests.server.health.conftest import principal_from_headers
from tests.server.health.live import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Upstream:
    fhir_url: str
    token: str
    patient: str


def _settings(data_dir: Path, **values: Any) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": data_dir,
            "database_url": f"sqlite:///{data_dir / 'machi.db'}",
            "web_client": False,
            **values,
        }
    )


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    """A second machi server process whose /fhir plays the external FHIR server."""
    data_dir = tmp_path_factory.mktemp("upstream-fhir")
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = _settings(data_dir, port=port, public_url=public_url)
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    patient = f"p-ext-{uuid.uuid4().hex[:10]}"
    with Session(engine) as session:
        account = create_user(
            session,
            username="phr-upstream",
            role=Role.RESIDENT,
            password=uuid.uuid4().hex,
            patient_id=patient,
        )
        token = issue_access_token(
            session,
            settings,
            subject=account.user.id,
            client_id="machi-phr",
            scope="patient/*.cruds",
            role=Role.RESIDENT.value,
            patient_id=patient,
        )
        session.commit()
    engine.dispose()
    env = {
        **os.environ,
        "MACHI_DATA_DIR": str(data_dir),
        "MACHI_DATABASE_URL": settings.resolved_database_url,
        "MACHI_PUBLIC_URL": public_url,
        "MACHI_PORT": str(port),
        "MACHI_WEB_CLIENT": "false",
        "MACHI_FHIR_URL": "",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.main:create_app"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{public_url}/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the upstream FHIR server did not start") from None
                time.sleep(0.1)
        yield Upstream(f"{public_url}/fhir", token, patient)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _diary_client(data_dir: Path, patient: str, **settings: Any) -> TestClient:
    data_dir.mkdir(parents=True, exist_ok=True)
    config = _settings(data_dir, **settings)
    engine = create_db_engine(config)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(config)
    app.dependency_overrides[current_principal] = principal_from_headers
    return TestClient(app, headers={"X-Test-Patient": patient})


def _scenario(client: TestClient) -> dict[str, Any]:
    """Everything the app's 健康日記 tab does, with what a user sees (ids left out)."""
    morning = now_local().replace(hour=7, minute=0, second=0, microsecond=0)
    for days, (systolic, diastolic) in enumerate([(150, 92), (132, 80), (118, 70)]):
        created = client.post(
            "/api/v1/diary/blood-pressure",
            json={
                "systolic": systolic,
                "diastolic": diastolic,
                "pulse": 70 + days,
                "taken_at": (morning - timedelta(days=days)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
    noon = morning.replace(hour=12)
    for body in (
        {"measure": "weight", "value": 61.2, "taken_at": noon.isoformat()},
        {"measure": "temperature", "value": 36.5, "taken_at": noon.isoformat()},
    ):
        assert client.post("/api/v1/diary/measurements", json=body).status_code == 201
    assert (
        client.post(
            "/api/v1/diary/notes",
            json={
                "mood": 4,
                "symptoms": ["頭痛"],
                "text": "よく眠れた",
                "taken_at": noon.isoformat(),
            },
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/diary/medications",
            json={"name": "アムロジピン", "dose": "5mg", "taken_at": noon.isoformat()},
        ).status_code
        == 201
    )
    checkup_csv = (
        "受診日,性別,生年月日,身長,体重,腹囲,収縮期血圧,拡張期血圧,中性脂肪,HDLコレステロール,HbA1c,喫煙\n"
        "2026-06-10,男,1975-05-01,170,78,92,138,86,180,45,5.4,はい\n"
    ).encode()
    imported = client.post(
        "/api/v1/diary/checkups", content=checkup_csv, headers={"Content-Type": "text/csv"}
    )
    again = client.post(
        "/api/v1/diary/checkups", content=checkup_csv, headers={"Content-Type": "text/csv"}
    )
    assert imported.status_code == again.status_code == 201, imported.text

    def without_ids(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_ids(v) for k, v in value.items() if k != "id"}
        if isinstance(value, list):
            return [without_ids(v) for v in value]
        return value

    report = client.get("/api/v1/diary/report", params={"days": 7, "format": "csv"})
    return {
        "today": without_ids(client.get("/api/v1/diary/entries").json()),
        "trend": without_ids(
            client.get("/api/v1/diary/trends/blood_pressure", params={"days": 7}).json()
        ),
        "checkup": without_ids(imported.json()),
        "latest": without_ids(client.get("/api/v1/diary/checkups/latest").json()),
        "report": report.text.splitlines()[0],
        "report_has_reading": "150/92" in report.text,
    }


def test_the_diary_behaves_the_same_through_an_external_fhir_server(
    upstream: Upstream, tmp_path: Path
) -> None:
    with _diary_client(tmp_path / "embedded", upstream.patient) as embedded:
        expected = _scenario(embedded)
    with _diary_client(
        tmp_path / "external",
        upstream.patient,
        fhir_url=upstream.fhir_url,
        fhir_token=upstream.token,
    ) as external:
        seen = _scenario(external)
        local = external.get("/fhir/Observation", params={"patient": upstream.patient}).json()
    stored = httpx.get(
        f"{upstream.fhir_url}/Observation",
        params={"patient": upstream.patient, "_count": "0"},
        headers={"Authorization": f"Bearer {upstream.token}"},
    ).json()

    assert seen == expected
    assert {"blood_pressure", "pulse", "weight", "temperature", "note", "medication"} <= {
        e["measure"] for e in seen["today"]
    }
    assert seen["latest"]["level"] == "積極的支援"
    assert seen["report_has_reading"]
    assert local["total"] == 0  # nothing went into the diary service's own store
    assert stored["total"] >= 6  # 3 panels (+ pulses), weight, temperature, checkup items


def test_the_external_server_refuses_the_diary_without_its_token(
    upstream: Upstream, tmp_path: Path
) -> None:
    with _diary_client(
        tmp_path / "no-token", upstream.patient, fhir_url=upstream.fhir_url
    ) as external:
        response = external.post(
            "/api/v1/diary/measurements", json={"measure": "weight", "value": 60}
        )

    assert response.status_code == 502
    assert "401" in response.json()["detail"]
