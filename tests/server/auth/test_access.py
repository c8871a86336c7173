"""authorize(): self, consent, care team, scopes, proxy; and its exactly-one audit record."""

import pytest
from sqlmodel import Session, col, select

from server.auth.access import DataCategory, Role, authorize, visible_patients
from server.auth.models import AuditRecord
from server.core.errors import Forbidden

V = DataCategory.VITALS


def audit_rows(session: Session, patient_id: str) -> list[AuditRecord]:
    return list(
        session.exec(
            select(AuditRecord)
            .where(AuditRecord.patient_id == patient_id)
            .order_by(col(AuditRecord.seq))
        ).all()
    )


def test_a_resident_may_read_her_own_vitals_and_it_is_audited_once(session, make):
    resident = make.user()
    me = make.principal(resident)

    authorize(
        session,
        me,
        action="read",
        patient_id=resident.patient_id,
        category=V,
        resource="Observation",
    )
    session.commit()

    rows = audit_rows(session, resident.patient_id)
    assert [(r.subject, r.outcome, r.action) for r in rows] == [(resident.id, "allowed", "read")]


def test_a_denied_access_is_audited_even_when_the_request_rolls_back(session, make):
    resident = make.user()
    stranger = make.user(Role.FAMILY)

    with pytest.raises(Forbidden):
        authorize(
            session,
            make.principal(stranger),
            action="read",
            patient_id=resident.patient_id,
            category=V,
            resource="Observation",
        )
    session.rollback()

    rows = audit_rows(session, resident.patient_id)
    assert [(r.subject, r.outcome) for r in rows] == [(stranger.id, "denied")]


@pytest.mark.parametrize(
    ("state", "allowed"),
    [("active", True), ("revoked", False), ("expired", False), ("future", False)],
)
def test_a_daughter_reads_only_under_an_active_consent(session, make, state, allowed):
    mother = make.user()
    daughter = make.user(Role.FAMILY)
    make.consent(mother, grantee=daughter, state=state)
    who = make.principal(daughter)

    if allowed:
        authorize(
            session,
            who,
            action="read",
            patient_id=mother.patient_id,
            category=V,
            resource="Observation",
        )
    else:
        with pytest.raises(Forbidden):
            authorize(
                session,
                who,
                action="read",
                patient_id=mother.patient_id,
                category=V,
                resource="Observation",
            )


def test_consent_is_per_category(session, make):
    mother = make.user()
    daughter = make.user(Role.FAMILY)
    make.consent(mother, grantee=daughter, categories="appointments")

    with pytest.raises(Forbidden):
        authorize(
            session,
            make.principal(daughter),
            action="read",
            patient_id=mother.patient_id,
            category=V,
            resource="Observation",
        )


def test_family_view_is_read_only_unless_proxy_is_consented(session, make):
    mother = make.user()
    daughter = make.user(Role.FAMILY)
    make.consent(mother, grantee=daughter, proxy=False)
    who = make.principal(daughter)

    with pytest.raises(Forbidden, match="viewing only"):
        authorize(
            session,
            who,
            action="create",
            patient_id=mother.patient_id,
            category=DataCategory.APPOINTMENTS,
            resource="Appointment",
        )
    with pytest.raises(Forbidden, match="on the person's behalf"):
        authorize(
            session,
            who,
            action="create",
            patient_id=mother.patient_id,
            category=DataCategory.APPOINTMENTS,
            resource="Appointment",
            proxy=True,
        )


def test_a_proxy_consent_allows_booking_on_her_behalf(session, make):
    mother = make.user()
    daughter = make.user(Role.FAMILY)
    make.consent(mother, grantee=daughter, proxy=True)

    authorize(
        session,
        make.principal(daughter),
        action="create",
        patient_id=mother.patient_id,
        category=DataCategory.APPOINTMENTS,
        resource="Appointment",
        proxy=True,
    )


def test_care_team_members_may_record_vitals_until_removed(session, make):
    resident = make.user()
    nurse = make.user(Role.NURSE)
    team = make.care_team(resident.patient_id, nurse)
    make.consent(resident, team=team)

    authorize(
        session,
        make.principal(nurse),
        action="create",
        patient_id=resident.patient_id,
        category=V,
        resource="Observation",
    )

    from datetime import UTC, datetime

    from server.auth.models import CareTeamMember

    member = session.exec(select(CareTeamMember).where(CareTeamMember.user_id == nurse.id)).one()
    member.removed_at = datetime.now(UTC)
    session.flush()
    with pytest.raises(Forbidden):
        authorize(
            session,
            make.principal(nurse),
            action="read",
            patient_id=resident.patient_id,
            category=V,
            resource="Observation",
        )


def test_a_patient_scoped_token_is_narrowed_to_its_own_patient(session, make):
    mother = make.user()
    daughter = make.user(Role.RESIDENT)  # a resident who also looks after her mother
    make.consent(mother, grantee=daughter)
    patient_only = make.principal(daughter, frozenset({"patient/Observation.rs"}))

    authorize(
        session,
        patient_only,
        action="read",
        patient_id=daughter.patient_id,
        category=V,
        resource="Observation",
    )
    with pytest.raises(Forbidden, match="scopes"):
        authorize(
            session,
            patient_only,
            action="read",
            patient_id=mother.patient_id,
            category=V,
            resource="Observation",
        )


def test_scopes_limit_interactions_and_types(session, make):
    resident = make.user()
    read_only = make.principal(resident, frozenset({"patient/Observation.rs"}))

    with pytest.raises(Forbidden):
        authorize(
            session,
            read_only,
            action="create",
            patient_id=resident.patient_id,
            category=V,
            resource="Observation",
        )
    with pytest.raises(Forbidden):
        authorize(
            session,
            read_only,
            action="read",
            patient_id=resident.patient_id,
            category=DataCategory.MEDICATIONS,
            resource="MedicationStatement",
        )


def test_visible_patients_lists_self_and_consenting_people(session, make):
    mother = make.user()
    other = make.user()
    daughter = make.user()
    make.consent(mother, grantee=daughter)
    make.consent(other, grantee=daughter, state="revoked")

    seen = visible_patients(session, make.principal(daughter), V)

    assert seen == {daughter.patient_id, mother.patient_id}
