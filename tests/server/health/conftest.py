"""Fixtures for the FHIR store and diary tests: a client acting as a chosen principal."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from server.auth.access import Principal, Role, current_principal

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def principal_from_headers(request: Request) -> Principal:
    """Tests pick who is calling with X-Test-Patient / X-Test-Role / X-Test-Subject headers."""
    patient = request.headers.get("x-test-patient", "p1")
    role = Role(request.headers.get("x-test-role", "resident"))
    subject = request.headers.get("x-test-subject", f"user-{patient}")
    scopes = "patient/*.cruds" if role is Role.RESIDENT else "user/*.cruds"
    return Principal(
        subject=subject,
        role=role,
        patient_id=patient if role is Role.RESIDENT else None,
        scopes=frozenset(scopes.split()),
        client_id="machi-app",
    )


@pytest.fixture
def me() -> str:
    """A fresh Patient id per test, so no test ever sees another's records."""
    return f"p-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fhir(app: FastAPI, me: str) -> Iterator[TestClient]:
    """A TestClient whose caller is the resident `me` unless X-Test-* headers say otherwise."""
    app.dependency_overrides[current_principal] = principal_from_headers
    with TestClient(app, base_url="http://testserver", headers={"X-Test-Patient": me}) as client:
        yield client
