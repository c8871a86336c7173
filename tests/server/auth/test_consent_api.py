"""The 「私の情報を見られる人」 API: grant, invite, revoke at once, access log."""

from sqlmodel import Session

from server.auth.access import DataCategory, Role, authorize, current_principal
from server.auth.models import User


def _probe(client, session: Session, token: str, patient_id: str) -> int:
    """What a health-data endpoint does: resolve the caller, then authorize() a read."""
    from fastapi import FastAPI, Request

    app: FastAPI = client.app
    request = Request(
        {
            "type": "http",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "app": app,
            "client": ("10.0.0.9", 1),
        }
    )
    from server.core.errors import MachiError

    try:
        who = current_principal(request, session)
        authorize(
            session,
            who,
            action="read",
            patient_id=patient_id,
            category=DataCategory.VITALS,
            resource="Observation",
        )
    except MachiError as exc:
        session.rollback()
        return exc.status_code
    session.commit()
    return 200


def test_revoking_the_daughters_consent_makes_her_next_request_fail(client, session, h):
    mother = h.add_account(session, Role.RESIDENT)
    daughter = h.add_account(session, Role.FAMILY)
    session.commit()
    mom = h.sign_in(client, mother.user.username)
    dau = h.sign_in(client, daughter.user.username)
    granted = client.post(
        "/api/v1/me/consents",
        headers=h.bearer(mom["access_token"]),
        json={
            "grantee_username": daughter.user.username,
            "categories": ["vitals", "appointments"],
            "relationship": "DAU",
        },
    )
    assert granted.status_code == 201, granted.text
    assert _probe(client, session, dau["access_token"], mother.user.patient_id) == 200

    revoked = client.delete(
        f"/api/v1/me/consents/{granted.json()['id']}", headers=h.bearer(mom["access_token"])
    )

    assert revoked.json()["active"] is False
    assert _probe(client, session, dau["access_token"], mother.user.patient_id) == 403


def test_the_resident_sees_who_read_her_data_in_her_access_log(client, session, h):
    mother = h.add_account(session, Role.RESIDENT)
    daughter = h.add_account(session, Role.FAMILY)
    stranger = h.add_account(session, Role.FAMILY)
    session.commit()
    mom = h.sign_in(client, mother.user.username)
    client.post(
        "/api/v1/me/consents",
        headers=h.bearer(mom["access_token"]),
        json={"grantee_username": daughter.user.username, "categories": ["vitals"]},
    )
    _probe(
        client,
        session,
        h.sign_in(client, daughter.user.username)["access_token"],
        mother.user.patient_id,
    )
    _probe(
        client,
        session,
        h.sign_in(client, stranger.user.username)["access_token"],
        mother.user.patient_id,
    )

    log = client.get("/api/v1/me/access-log", headers=h.bearer(mom["access_token"])).json()

    seen = [(e["who"], e["outcome"]) for e in log]
    assert (daughter.user.display_name, "allowed") in seen
    assert (stranger.user.display_name, "denied") in seen


def test_an_invitation_code_gives_a_relative_access_once(client, session, h):
    mother = h.add_account(session, Role.RESIDENT)
    son = h.add_account(session, Role.FAMILY)
    other = h.add_account(session, Role.FAMILY)
    session.commit()
    mom = h.sign_in(client, mother.user.username)
    invite = client.post(
        "/api/v1/me/invitations",
        headers=h.bearer(mom["access_token"]),
        json={"categories": ["appointments"], "proxy": True},
    )
    code = invite.json()["code"]

    accepted = client.post(
        "/api/v1/invitations/accept",
        json={"code": code.lower()},
        headers=h.bearer(h.sign_in(client, son.user.username)["access_token"]),
    )
    again = client.post(
        "/api/v1/invitations/accept",
        json={"code": code},
        headers=h.bearer(h.sign_in(client, other.user.username)["access_token"]),
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["grantee_user_id"] == son.user.id
    assert accepted.json()["proxy"] is True
    assert again.status_code == 409


def test_a_care_team_invitation_adds_the_nurse_to_the_team(client, session, h):
    resident = h.add_account(session, Role.RESIDENT)
    nurse = h.add_account(session, Role.NURSE)
    session.commit()
    me = h.sign_in(client, resident.user.username)
    invite = client.post(
        "/api/v1/me/invitations",
        headers=h.bearer(me["access_token"]),
        json={"categories": ["vitals", "visits"], "care_team_name": "かみね"},
    )
    nurse_token = h.sign_in(client, nurse.user.username, totp=nurse.code())["access_token"]

    accepted = client.post(
        "/api/v1/invitations/accept",
        headers=h.bearer(nurse_token),
        json={"code": invite.json()["code"]},
    )

    assert accepted.json()["grantee_care_team_id"] == invite.json()["care_team_id"]
    assert _probe(client, session, nurse_token, resident.user.patient_id) == 200


def test_bad_consent_input_is_refused_and_changes_nothing(client, session, h):
    resident = h.add_account(session, Role.RESIDENT)
    session.commit()
    token = h.sign_in(client, resident.user.username)["access_token"]

    unknown_category = client.post(
        "/api/v1/me/consents",
        headers=h.bearer(token),
        json={"grantee_username": "x", "categories": ["dna"]},
    )
    nobody = client.post(
        "/api/v1/me/consents",
        headers=h.bearer(token),
        json={"grantee_username": "no-such-user", "categories": ["vitals"]},
    )

    assert unknown_category.status_code == 422
    assert nobody.status_code == 404
    assert client.get("/api/v1/me/consents", headers=h.bearer(token)).json() == []


def test_a_consent_exports_as_a_valid_fhir_r4_consent(client, session, h):
    from fhir.resources.R4B.consent import Consent as FhirConsent

    resident = h.add_account(session, Role.RESIDENT)
    daughter = h.add_account(session, Role.FAMILY)
    session.commit()
    token = h.sign_in(client, resident.user.username)["access_token"]
    made = client.post(
        "/api/v1/me/consents",
        headers=h.bearer(token),
        json={
            "grantee_username": daughter.user.username,
            "categories": ["vitals"],
            "days": 30,
            "relationship": "DAU",
        },
    ).json()

    resource = client.get(f"/api/v1/me/consents/{made['id']}/fhir", headers=h.bearer(token)).json()

    parsed = FhirConsent.model_validate(resource)
    assert parsed.provision.type == "permit"
    assert resource["patient"]["reference"] == f"Patient/{resident.user.patient_id}"


def test_only_admins_and_operators_search_the_audit_trail(client, session, h):
    family = h.add_account(session, Role.FAMILY)
    admin = h.add_account(session, Role.ADMIN)
    session.commit()
    fam_token = h.sign_in(client, family.user.username)["access_token"]
    admin_token = h.sign_in(client, admin.user.username, totp=admin.code())["access_token"]

    assert client.get("/api/v1/admin/audit", headers=h.bearer(fam_token)).status_code == 403
    listed = client.get("/api/v1/admin/audit", headers=h.bearer(admin_token))
    bundle = client.get("/api/v1/admin/audit/fhir", headers=h.bearer(admin_token))
    assert listed.status_code == 200
    assert bundle.json()["resourceType"] == "Bundle"


def _unused(user: User) -> None:  # keep the import for type readers
    del user
