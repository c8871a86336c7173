"""The HTTP surface every feature shares: /health, error shape, request ids, size limit."""

import json
import logging

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from server.core.logging import JsonFormatter
from server.core.settings import Settings
from server.main import create_app


def test_health_reports_ok_and_the_database(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"]


def test_unknown_api_route_is_a_json_404_not_the_web_client(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "no API route /api/v1/no-such-thing"}


def test_every_response_carries_a_request_id_and_echoes_a_sane_one(client: TestClient) -> None:
    generated = client.get("/health").headers["x-request-id"]
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
    refused = client.get("/health", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"]

    assert len(generated) == 16
    assert echoed == "abc-123"
    assert refused != "bad id\n"


def test_a_body_over_the_limit_is_refused_with_413(db_settings: Settings) -> None:
    settings = db_settings.model_copy(update={"max_request_bytes": 2048})
    app = create_app(settings)

    @app.post("/echo-length")
    async def echo_length(request: Request) -> int:
        return len(await request.body())

    with TestClient(app) as client:
        declared = client.post("/echo-length", content=b"x" * 5000)

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(5):
                yield b"y" * 1000

        streamed = client.post("/echo-length", content=chunks())
        small = client.post("/echo-length", content=b"z" * 100)

    assert declared.status_code == 413
    assert declared.json()["error"] == "payload_too_large"
    assert streamed.status_code == 413
    assert small.json() == 100


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("machi.access", logging.INFO, __file__, 1, "GET /health", (), None)
    record.request_id = "r1"
    record.status = 200

    line = json.loads(JsonFormatter().format(record))

    assert line["request_id"] == "r1"
    assert line["status"] == 200
    assert line["message"] == "GET /health"


@pytest.mark.parametrize("path", ["/api/docs", "/api/openapi.json"])
def test_api_docs_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
