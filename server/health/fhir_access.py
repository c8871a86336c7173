"""How the FHIR store asks the Identity feature who may touch whose data (and gets it audited)."""

from dataclasses import dataclass

from sqlmodel import Session

from server.auth.access import (
    CARE_ROLES,
    Action,
    DataCategory,
    Principal,
    Role,
    authorize,
    record_search,
    visible_patients,
)
from server.core.errors import Forbidden

# Which consent category covers each personal resource type (DESIGN.md §7).
CATEGORIES: dict[str, DataCategory] = {
    "Observation": DataCategory.VITALS,
    "QuestionnaireResponse": DataCategory.VITALS,
    "Encounter": DataCategory.VISITS,
    "Condition": DataCategory.VISITS,
    "CarePlan": DataCategory.VISITS,
    "Goal": DataCategory.VISITS,
    "Flag": DataCategory.VISITS,
    "Appointment": DataCategory.APPOINTMENTS,
    "MedicationStatement": DataCategory.MEDICATIONS,
    "Communication": DataCategory.CARE_TIMELINE,
    "DocumentReference": DataCategory.CARE_TIMELINE,
    "CareTeam": DataCategory.CARE_TIMELINE,
    "Consent": DataCategory.CARE_TIMELINE,
    "RelatedPerson": DataCategory.CARE_TIMELINE,
    # Seeing who the person is comes with any sharing of their care.
    "Patient": DataCategory.CARE_TIMELINE,
}

# Directory data (Practitioner, Organization...) is not a person's health record, but only
# staff may change it.
_DIRECTORY_WRITERS = frozenset({*CARE_ROLES, Role.ADMIN, Role.OPERATOR})


@dataclass
class FhirAccess:
    """The caller of one request, bound to its session; every decision goes through auth."""

    session: Session
    principal: Principal

    def check(self, action: Action, resource: str, patient_id: str | None) -> None:
        """Allow or raise Forbidden; personal data is decided and audited by `authorize`."""
        category = CATEGORIES.get(resource)
        if category is None:
            if action in ("create", "update", "delete") and (
                self.principal.role not in _DIRECTORY_WRITERS
            ):
                raise Forbidden(f"only staff may {action} {resource} resources")
            return
        if patient_id is None:
            # A personal record about no particular Patient (a Group, a device): staff only.
            if self.principal.role not in CARE_ROLES:
                raise Forbidden(f"this {resource} names no patient; only care staff may use it")
            return
        authorize(
            self.session,
            self.principal,
            action=action,
            patient_id=patient_id,
            category=category,
            resource=resource,
        )

    def is_personal(self, resource: str) -> bool:
        return resource in CATEGORIES

    def visible(self, resource: str) -> set[str]:
        """Patients whose `resource` records this caller may search now."""
        return visible_patients(self.session, self.principal, CATEGORIES[resource])

    def record(self, resource: str, patient_ids: set[str]) -> None:
        """Audit a search across patients: one record per patient whose data it returned."""
        if patient_ids:
            record_search(
                self.session,
                self.principal,
                category=CATEGORIES[resource],
                resource=resource,
                patient_ids=patient_ids,
            )


@dataclass
class PreauthorizedAccess(FhirAccess):
    """For a feature that has already authorized (and audited) the access itself.

    Care, clinic and offline sync call `authorize` once per request and person, in their own
    words; the store's per-resource checks would audit the same access a second time.
    """

    def check(self, action: Action, resource: str, patient_id: str | None) -> None:
        return None

    def visible(self, resource: str) -> set[str]:
        return set()

    def record(self, resource: str, patient_ids: set[str]) -> None:
        return None
