"""Authorization matrix: every endpoint has a rule; every role × consent state is decided.

A new endpoint without a rule in ENDPOINT_RULES fails `test_every_endpoint_has_a_rule`:
add it here, with PUBLIC (no sign-in, no personal data) or SIGNED_IN (CurrentPrincipal; then
authorize() for a person's data, or a role check).
"""

import pytest
from fastapi.testclient import TestClient

from server.auth.access import DataCategory, Role, authorize
from server.core.errors import Forbidden

PUBLIC = "public"
SIGNED_IN = "signed_in"
# A link that carries its own short-lived, resource-bound credential (the video room JWT);
# its feature's tests check that credential.
OWN_CREDENTIAL = "own_credential"

ENDPOINT_RULES: dict[tuple[str, str], str] = {
    ("GET", "/health"): PUBLIC,
    # transit: timetable data is public
    ("GET", "/api/v1/stops"): PUBLIC,
    ("GET", "/api/v1/stops/nearby"): PUBLIC,
    ("GET", "/api/v1/stops/{stop_id}/departures"): PUBLIC,
    ("GET", "/api/v1/journeys"): PUBLIC,
    # identity, consent, audit (this feature)
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/me/consents"): SIGNED_IN,
    ("POST", "/api/v1/me/consents"): SIGNED_IN,
    ("DELETE", "/api/v1/me/consents/{consent_id}"): SIGNED_IN,
    ("GET", "/api/v1/me/consents/{consent_id}/fhir"): SIGNED_IN,
    ("POST", "/api/v1/me/invitations"): SIGNED_IN,
    ("POST", "/api/v1/invitations/accept"): SIGNED_IN,
    ("GET", "/api/v1/me/access-log"): SIGNED_IN,
    ("GET", "/api/v1/admin/audit"): SIGNED_IN,
    ("GET", "/api/v1/admin/audit/fhir"): SIGNED_IN,
    ("GET", "/api/v1/admin/audit/verify"): SIGNED_IN,
    ("GET", "/oauth/authorize"): PUBLIC,
    ("POST", "/oauth/authorize"): PUBLIC,
    ("POST", "/oauth/token"): PUBLIC,
    ("POST", "/oauth/revoke"): PUBLIC,
    ("GET", "/oauth/userinfo"): SIGNED_IN,
    ("GET", "/oauth/jwks"): PUBLIC,
    ("GET", "/.well-known/openid-configuration"): PUBLIC,
    # mobility: vehicles and GBFS are public; bookings are a person's
    ("GET", "/api/v1/mobility/vehicles"): PUBLIC,
    ("GET", "/api/v1/mobility/vehicles/{vehicle_id}"): PUBLIC,
    ("GET", "/api/v1/mobility/vehicles/{vehicle_id}/quote"): PUBLIC,
    ("GET", "/api/v1/mobility/stations"): PUBLIC,
    ("GET", "/api/v1/mobility/zones"): PUBLIC,
    ("GET", "/api/v1/mobility/shuttle/services"): PUBLIC,
    ("GET", "/api/v1/mobility/shuttle/services/{service_id}/slots"): PUBLIC,
    ("POST", "/api/v1/mobility/bookings"): SIGNED_IN,
    ("GET", "/api/v1/mobility/bookings"): SIGNED_IN,
    ("GET", "/api/v1/mobility/bookings/{booking_id}"): SIGNED_IN,
    ("POST", "/api/v1/mobility/bookings/{booking_id}/confirm"): SIGNED_IN,
    ("POST", "/api/v1/mobility/bookings/{booking_id}/start"): SIGNED_IN,
    ("POST", "/api/v1/mobility/bookings/{booking_id}/end"): SIGNED_IN,
    ("POST", "/api/v1/mobility/bookings/{booking_id}/cancel"): SIGNED_IN,
    ("POST", "/api/v1/mobility/shuttle/bookings"): SIGNED_IN,
    ("GET", "/api/v1/mobility/shuttle/bookings"): SIGNED_IN,
    ("POST", "/api/v1/mobility/shuttle/bookings/{booking_id}/cancel"): SIGNED_IN,
    ("GET", "/api/v1/mobility/operator/vehicles"): SIGNED_IN,
    ("GET", "/api/v1/mobility/operator/bookings"): SIGNED_IN,
    ("PATCH", "/api/v1/mobility/operator/vehicles/{vehicle_id}"): SIGNED_IN,
    ("POST", "/api/v1/sync/push"): SIGNED_IN,
    ("GET", "/api/v1/sync/pull"): SIGNED_IN,
    ("GET", "/gbfs/gbfs.json"): PUBLIC,
    ("GET", "/gbfs/system_information.json"): PUBLIC,
    ("GET", "/gbfs/vehicle_types.json"): PUBLIC,
    ("GET", "/gbfs/station_information.json"): PUBLIC,
    ("GET", "/gbfs/station_status.json"): PUBLIC,
    ("GET", "/gbfs/free_bike_status.json"): PUBLIC,
    ("GET", "/gbfs/geofencing_zones.json"): PUBLIC,
    ("GET", "/gbfs/system_pricing_plans.json"): PUBLIC,
    # FHIR store: everything but the CapabilityStatement is health data
    ("GET", "/fhir/metadata"): PUBLIC,
    ("POST", "/fhir"): SIGNED_IN,
    ("GET", "/fhir/{res_type}"): SIGNED_IN,
    ("POST", "/fhir/{res_type}"): SIGNED_IN,
    ("POST", "/fhir/{res_type}/_search"): SIGNED_IN,
    ("GET", "/fhir/{res_type}/_history"): SIGNED_IN,
    ("GET", "/fhir/{res_type}/{res_id}"): SIGNED_IN,
    ("PUT", "/fhir/{res_type}/{res_id}"): SIGNED_IN,
    ("DELETE", "/fhir/{res_type}/{res_id}"): SIGNED_IN,
    ("GET", "/fhir/{res_type}/{res_id}/_history"): SIGNED_IN,
    ("GET", "/fhir/{res_type}/{res_id}/_history/{version}"): SIGNED_IN,
    # care sharing: all of it is a person's data
    ("DELETE", "/api/v1/care/{patient_id}/team/members/{user_id}"): SIGNED_IN,
    ("GET", "/api/v1/care/photos/{photo_id}"): SIGNED_IN,
    ("GET", "/api/v1/care/receivers"): SIGNED_IN,
    ("GET", "/api/v1/care/visits"): SIGNED_IN,
    ("GET", "/api/v1/care/{patient_id}/family"): SIGNED_IN,
    ("GET", "/api/v1/care/{patient_id}/summary"): SIGNED_IN,
    ("GET", "/api/v1/care/{patient_id}/team"): SIGNED_IN,
    ("GET", "/api/v1/care/{patient_id}/team/fhir"): SIGNED_IN,
    ("GET", "/api/v1/care/{patient_id}/timeline"): SIGNED_IN,
    ("POST", "/api/v1/care/posts/{post_id}/ack"): SIGNED_IN,
    ("POST", "/api/v1/care/visits/{visit_id}/close"): SIGNED_IN,
    ("POST", "/api/v1/care/{patient_id}/photos"): SIGNED_IN,
    ("POST", "/api/v1/care/{patient_id}/posts"): SIGNED_IN,
    ("POST", "/api/v1/care/{patient_id}/team/invitations"): SIGNED_IN,
    ("PUT", "/api/v1/care/visit-records/{record_id}"): SIGNED_IN,
    ("PUT", "/api/v1/care/visits/order"): SIGNED_IN,
    # online clinic: the directory is public, appointments are a person's
    ("GET", "/api/v1/clinic/clinics"): SIGNED_IN,
    ("GET", "/api/v1/clinic/doctors"): SIGNED_IN,
    ("GET", "/api/v1/clinic/doctors/{doctor_id}/slots"): SIGNED_IN,
    ("GET", "/api/v1/clinic/appointments"): SIGNED_IN,
    ("GET", "/api/v1/clinic/appointments/{appointment_id}"): SIGNED_IN,
    ("GET", "/api/v1/clinic/appointments/{appointment_id}/join"): SIGNED_IN,
    ("GET", "/api/v1/clinic/appointments/{appointment_id}/questionnaire"): SIGNED_IN,
    ("GET", "/api/v1/clinic/reminders"): SIGNED_IN,
    ("GET", "/api/v1/clinic/rooms/{room}"): OWN_CREDENTIAL,
    ("POST", "/api/v1/clinic/appointments"): SIGNED_IN,
    ("POST", "/api/v1/clinic/appointments/{appointment_id}/cancel"): SIGNED_IN,
    ("PUT", "/api/v1/clinic/appointments/{appointment_id}/assist"): SIGNED_IN,
    ("PUT", "/api/v1/clinic/appointments/{appointment_id}/questionnaire"): SIGNED_IN,
}

# Whole families of a person's data: every endpoint under these is checked as SIGNED_IN
# (exact rules above win). A new family of endpoints still needs a rule.
PREFIX_RULES: dict[str, str] = {
    "/api/v1/diary/": SIGNED_IN,
    "/api/v1/care/": SIGNED_IN,
    "/api/v1/clinic/": SIGNED_IN,
    "/api/v1/sync/": SIGNED_IN,
    "/api/v1/mobility/bookings": SIGNED_IN,
    "/api/v1/mobility/shuttle/bookings": SIGNED_IN,
    "/api/v1/mobility/operator/": SIGNED_IN,
    "/fhir/": SIGNED_IN,
    "/gbfs/": PUBLIC,
}


def rule_for(method: str, path: str) -> str | None:
    exact = ENDPOINT_RULES.get((method, path))
    if exact is not None:
        return exact
    prefixes = [p for p in PREFIX_RULES if path.startswith(p)]
    return PREFIX_RULES[max(prefixes, key=len)] if prefixes else None


SAMPLE_PATH_VALUES = {"res_type": "Observation"}


def _endpoints(client: TestClient) -> list[tuple[str, str]]:
    paths = client.app.openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def test_every_endpoint_has_a_rule(client):
    missing = [f"{m} {p}" for m, p in _endpoints(client) if rule_for(m, p) is None]

    assert not missing, "add an access rule in tests/server/auth/test_matrix.py for: " + (
        ", ".join(missing)
    )


def _url(path: str) -> str:
    import re

    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "x1"), path)


def test_signed_in_endpoints_refuse_callers_without_a_token(client):
    wrong = []
    for method, path in _endpoints(client):
        if rule_for(method, path) != SIGNED_IN:
            continue
        response = client.request(method, _url(path), json={} if method != "GET" else None)
        if response.status_code != 401:
            wrong.append(f"{method} {path} -> {response.status_code}")

    assert not wrong, "signed-in endpoints answered without a token: " + "; ".join(wrong)


def test_public_endpoints_answer_without_a_token(client):
    for method, path in _endpoints(client):
        if rule_for(method, path) != PUBLIC or method != "GET":
            continue
        if path.startswith("/oauth/authorize"):
            continue  # needs its query; covered in test_oauth
        response = client.get(_url(path))
        assert response.status_code != 401, (path, response.text)


# --- the identity API by role -----------------------------------------------------------------

ROLE_ENDPOINTS = {
    # endpoint: roles allowed (others: 403)
    "/api/v1/me": set(Role),
    "/api/v1/me/consents": {Role.RESIDENT},
    "/api/v1/me/access-log": {Role.RESIDENT},
    "/api/v1/admin/audit": {Role.ADMIN, Role.OPERATOR},
    "/api/v1/admin/audit/fhir": {Role.ADMIN, Role.OPERATOR},
    "/api/v1/admin/audit/verify": {Role.ADMIN, Role.OPERATOR},
}


@pytest.mark.parametrize("role", list(Role))
def test_identity_endpoints_by_role(client, session, h, role):
    account = h.add_account(session, role)
    session.commit()
    token = h.sign_in(client, account.user.username, totp=account.code())["access_token"]

    for path, allowed in ROLE_ENDPOINTS.items():
        status = client.get(path, headers=h.bearer(token)).status_code
        assert status == (200 if role in allowed else 403), (role, path, status)


# --- authorize(): role × own / consented / not consented / revoked / expired ----------------

STATES = ["own", "consented", "team", "none", "revoked", "expired"]
CARE = {Role.NURSE, Role.DOCTOR, Role.CARE_MANAGER, Role.HELPER}


def _expected(role: Role, state: str, action: str) -> bool:
    if state == "own":
        return True
    if state not in ("consented", "team"):
        return False
    if action in ("read", "search"):
        return True
    if action == "delete":
        return False
    return state == "team" or role in CARE


# Only residents have data of their own: the "own" column exists for them alone.
CELLS = [
    (role, state) for role in Role for state in STATES if state != "own" or role is Role.RESIDENT
]


@pytest.mark.parametrize("action", ["read", "create", "delete"])  # search ~ read, update ~ create
@pytest.mark.parametrize(("role", "state"), CELLS)
def test_authorize_matrix(session, make, role, state, action):
    person = make.user()
    caller = person if state == "own" else make.user(role)
    if state == "team":
        make.consent(person, team=make.care_team(person.patient_id, caller))
    elif state in ("consented", "revoked", "expired"):
        make.consent(person, grantee=caller, state="active" if state == "consented" else state)
    principal = make.principal(caller)

    def call() -> None:
        authorize(
            session,
            principal,
            action=action,
            patient_id=person.patient_id,
            category=DataCategory.VITALS,
            resource="Observation",
        )

    if _expected(role, state, action):
        call()
    else:
        with pytest.raises(Forbidden):
            call()
