"""Which resource types the store serves, their search parameters, and how values are indexed."""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from server.health.fhir_dates import date_range, period_range

Kind = Literal["token", "reference", "date", "string"]


@dataclass(frozen=True)
class SearchParam:
    """One search parameter: its FHIR name, type, and the element paths it reads.

    A path is dotted; a segment ending in `[x]` matches a choice element (`effective[x]` reads
    effectiveDateTime or effectivePeriod). `target` limits a reference to one resource type.
    """

    name: str
    kind: Kind
    paths: tuple[str, ...]
    target: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ResourceSpec:
    """A resource type the store accepts, and where its patient is."""

    name: str
    params: tuple[SearchParam, ...] = ()
    # The element naming the Patient this record belongs to; "self" for Patient itself.
    patient_path: str | None = None
    includes: tuple[str, ...] = field(default=())

    def param(self, name: str) -> SearchParam | None:
        for param in self.params:
            if param.name == name:
                return param
        return None


def _p(name: str, kind: Kind, *paths: str, target: str | None = None) -> SearchParam:
    return SearchParam(name, kind, paths, target)


_IDENTIFIER = _p("identifier", "token", "identifier")
_STATUS = _p("status", "token", "status")


def _subject(path: str = "subject") -> tuple[SearchParam, ...]:
    return (_p("patient", "reference", path, target="Patient"), _p("subject", "reference", path))


_PERSON_NAME = (
    _p("name", "string", "name"),
    _p("family", "string", "name.family"),
    _p("given", "string", "name.given"),
    _p("gender", "token", "gender"),
    _p("birthdate", "date", "birthDate"),
    _p("active", "token", "active"),
    _p("address", "string", "address"),
    _p("telecom", "token", "telecom"),
    _IDENTIFIER,
)

SPECS: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in (
        ResourceSpec(
            "Patient",
            (
                *_PERSON_NAME,
                _p("general-practitioner", "reference", "generalPractitioner"),
                _p("organization", "reference", "managingOrganization"),
            ),
            patient_path="self",
        ),
        ResourceSpec(
            "Observation",
            (
                *_subject(),
                _p("code", "token", "code"),
                _p("component-code", "token", "component.code"),
                _p("category", "token", "category"),
                _p("date", "date", "effective[x]"),
                _STATUS,
                _p("encounter", "reference", "encounter"),
                _p("performer", "reference", "performer"),
                _p("based-on", "reference", "basedOn"),
                _p("has-member", "reference", "hasMember"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "encounter", "performer", "has-member"),
        ),
        ResourceSpec(
            "Appointment",
            (
                _p("actor", "reference", "participant.actor"),
                _p("patient", "reference", "participant.actor", target="Patient"),
                _p("practitioner", "reference", "participant.actor", target="Practitioner"),
                _p("location", "reference", "participant.actor", target="Location"),
                _p("date", "date", "start"),
                _STATUS,
                _p("appointment-type", "token", "appointmentType"),
                _p("service-type", "token", "serviceType"),
                _IDENTIFIER,
            ),
            patient_path="participant.actor",
            includes=("patient", "practitioner", "actor", "location"),
        ),
        ResourceSpec(
            "Encounter",
            (
                *_subject(),
                _p("date", "date", "period"),
                _STATUS,
                _p("class", "token", "class"),
                _p("type", "token", "type"),
                _p("participant", "reference", "participant.individual"),
                _p(
                    "practitioner",
                    "reference",
                    "participant.individual",
                    target="Practitioner",
                ),
                _p("appointment", "reference", "appointment"),
                _p("service-provider", "reference", "serviceProvider"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "practitioner", "participant", "appointment"),
        ),
        ResourceSpec(
            "Consent",
            (
                _p("patient", "reference", "patient", target="Patient"),
                _STATUS,
                _p("category", "token", "category"),
                _p("scope", "token", "scope"),
                _p("actor", "reference", "provision.actor.reference"),
                _p("action", "token", "provision.action"),
                _p("period", "date", "provision.period"),
                _p("date", "date", "dateTime"),
                _IDENTIFIER,
            ),
            patient_path="patient",
            includes=("patient", "actor"),
        ),
        ResourceSpec(
            "CareTeam",
            (
                *_subject(),
                _STATUS,
                _p("category", "token", "category"),
                _p("participant", "reference", "participant.member"),
                _p("date", "date", "period"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "participant"),
        ),
        ResourceSpec(
            "Communication",
            (
                *_subject(),
                _STATUS,
                _p("category", "token", "category"),
                _p("sent", "date", "sent"),
                _p("received", "date", "received"),
                _p("sender", "reference", "sender"),
                _p("recipient", "reference", "recipient"),
                _p("encounter", "reference", "encounter"),
                _p("based-on", "reference", "basedOn"),
                _p("part-of", "reference", "partOf"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "sender", "recipient"),
        ),
        ResourceSpec(
            "QuestionnaireResponse",
            (
                *_subject(),
                _STATUS,
                _p("questionnaire", "token", "questionnaire"),
                _p("authored", "date", "authored"),
                _p("author", "reference", "author"),
                _p("encounter", "reference", "encounter"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "author"),
        ),
        ResourceSpec(
            "MedicationStatement",
            (
                *_subject(),
                _STATUS,
                _p("code", "token", "medication[x]"),
                _p("medication", "reference", "medication[x]"),
                _p("category", "token", "category"),
                _p("effective", "date", "effective[x]"),
                _p("context", "reference", "context"),
                _p("source", "reference", "informationSource"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "medication"),
        ),
        ResourceSpec(
            "DocumentReference",
            (
                *_subject(),
                _STATUS,
                _p("type", "token", "type"),
                _p("category", "token", "category"),
                _p("date", "date", "date"),
                _p("period", "date", "context.period"),
                _p("author", "reference", "author"),
                _p("encounter", "reference", "context.encounter"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "author", "encounter"),
        ),
        ResourceSpec(
            "RelatedPerson",
            (
                _p("patient", "reference", "patient", target="Patient"),
                _p("relationship", "token", "relationship"),
                *_PERSON_NAME,
            ),
            patient_path="patient",
            includes=("patient",),
        ),
        ResourceSpec("Practitioner", _PERSON_NAME),
        ResourceSpec(
            "PractitionerRole",
            (
                _p("practitioner", "reference", "practitioner"),
                _p("organization", "reference", "organization"),
                _p("role", "token", "code"),
                _p("specialty", "token", "specialty"),
                _p("active", "token", "active"),
                _IDENTIFIER,
            ),
            includes=("practitioner", "organization"),
        ),
        ResourceSpec(
            "Organization",
            (_p("name", "string", "name"), _p("type", "token", "type"), _IDENTIFIER),
        ),
        ResourceSpec(
            "Location",
            (_p("name", "string", "name"), _p("type", "token", "type"), _STATUS, _IDENTIFIER),
        ),
        ResourceSpec(
            "Condition",
            (
                *_subject(),
                _p("code", "token", "code"),
                _p("category", "token", "category"),
                _p("clinical-status", "token", "clinicalStatus"),
                _p("onset-date", "date", "onset[x]"),
                _p("recorded-date", "date", "recordedDate"),
                _p("encounter", "reference", "encounter"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "encounter"),
        ),
        ResourceSpec(
            "CarePlan",
            (
                *_subject(),
                _STATUS,
                _p("category", "token", "category"),
                _p("date", "date", "period"),
                _p("care-team", "reference", "careTeam"),
                _IDENTIFIER,
            ),
            patient_path="subject",
            includes=("patient", "subject", "care-team"),
        ),
        ResourceSpec(
            "Goal",
            (*_subject(), _p("lifecycle-status", "token", "lifecycleStatus"), _IDENTIFIER),
            patient_path="subject",
        ),
        ResourceSpec(
            "Flag",
            (*_subject(), _STATUS, _p("date", "date", "period"), _IDENTIFIER),
            patient_path="subject",
        ),
        ResourceSpec(
            "Provenance",
            (
                _p("target", "reference", "target"),
                _p("patient", "reference", "target", target="Patient"),
                _p("agent", "reference", "agent.who"),
                _p("recorded", "date", "recorded"),
            ),
        ),
        ResourceSpec(
            "Questionnaire",
            (
                _p("url", "token", "url"),
                _p("name", "string", "name"),
                _STATUS,
                _IDENTIFIER,
            ),
        ),
        ResourceSpec(
            "Medication",
            (_p("code", "token", "code"), _STATUS, _IDENTIFIER),
        ),
        ResourceSpec(
            "Schedule",
            (_p("actor", "reference", "actor"), _p("date", "date", "planningHorizon"), _IDENTIFIER),
        ),
        ResourceSpec(
            "Slot",
            (
                _p("schedule", "reference", "schedule"),
                _STATUS,
                _p("start", "date", "start"),
                _IDENTIFIER,
            ),
            includes=("schedule",),
        ),
        ResourceSpec(
            "HealthcareService",
            (_p("name", "string", "name"), _p("organization", "reference", "providedBy")),
        ),
        ResourceSpec("Endpoint", (_p("name", "string", "name"), _STATUS, _IDENTIFIER)),
    )
}

# Parameters every type has; they read the resource row, not the index tables.
COMMON_PARAMS = ("_id", "_lastUpdated")
# Result parameters: they shape the response rather than select resources.
CONTROL_PARAMS = frozenset(
    {"_count", "_offset", "_sort", "_include", "_total", "_summary", "_format", "_pretty"}
)


@dataclass(frozen=True)
class Reference:
    """A parsed `Type/id` reference (absolute URLs and `_history` tails reduced to that)."""

    type: str
    id: str


def parse_reference(text: str) -> Reference | None:
    """`Patient/p1`, `http://x/fhir/Patient/p1/_history/2` → Patient/p1; `#c`, `urn:` → None."""
    if not text or text.startswith(("#", "urn:")):
        return None
    parts = text.split("?")[0].rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2 or not parts[-2][:1].isupper():
        return None
    return Reference(parts[-2], parts[-1])


def fold(text: str) -> str:
    """Case-, accent- and width-insensitive form (ｶﾀｶﾅ = カタカナ, Ａ = a) for string search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped).strip()[:255]


def values_at(resource: dict[str, Any], path: str) -> Iterator[Any]:
    """Every value at a dotted path, flattening lists along the way."""
    current: list[Any] = [resource]
    for segment in path.split("."):
        found: list[Any] = []
        choice = segment[:-3] if segment.endswith("[x]") else None
        for node in current:
            if not isinstance(node, dict):
                continue
            if choice is None:
                values = [node[segment]] if segment in node else []
            else:
                values = [
                    {"__choice__": key[len(choice) :], "value": value}
                    for key, value in node.items()
                    if key.startswith(choice) and key[len(choice) : len(choice) + 1].isupper()
                ]
            for value in values:
                found.extend(value if isinstance(value, list) else [value])
        current = found
    yield from current


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and "__choice__" in value:
        return value["value"]
    return value


def tokens(value: Any) -> Iterator[tuple[str, str]]:
    """(system, code) pairs of a code, Coding, CodeableConcept, Identifier, ContactPoint, bool."""
    value = _unwrap(value)
    if isinstance(value, bool):
        yield "", "true" if value else "false"
    elif isinstance(value, str):
        yield "", value
    elif isinstance(value, dict):
        if "coding" in value:
            for coding in value["coding"]:
                if isinstance(coding, dict) and coding.get("code"):
                    yield str(coding.get("system", "")), str(coding["code"])
        elif "code" in value:
            yield str(value.get("system", "")), str(value["code"])
        elif "value" in value and isinstance(value["value"], str):
            yield str(value.get("system", "")), value["value"]


_DATE_CHOICES = frozenset({"Date", "DateTime", "Instant", "Period"})


def dates(value: Any) -> Iterator[tuple[str, str]]:
    """[lo, hi) ranges of a date/dateTime/instant or a Period (not onsetString, onsetAge...)."""
    if isinstance(value, dict) and value.get("__choice__", "Date") not in _DATE_CHOICES:
        return
    value = _unwrap(value)
    if isinstance(value, str):
        yield date_range(value)
    elif isinstance(value, dict) and ("start" in value or "end" in value):
        yield period_range(value.get("start"), value.get("end"))


def references(value: Any) -> Iterator[Reference]:
    value = _unwrap(value)
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        ref = parse_reference(value["reference"])
        if ref:
            yield ref


_NAME_PARTS = ("text", "family", "given", "prefix", "suffix")
_ADDRESS_PARTS = ("text", "line", "city", "district", "state", "postalCode", "country")


def strings(value: Any) -> Iterator[str]:
    """Folded strings of a string, HumanName or Address (each part separately)."""
    value = _unwrap(value)
    if isinstance(value, str):
        yield fold(value)
    elif isinstance(value, dict):
        for part in (*_NAME_PARTS, *_ADDRESS_PARTS):
            item = value.get(part)
            for text in item if isinstance(item, list) else [item]:
                if isinstance(text, str):
                    yield fold(text)


def patient_of(spec: ResourceSpec, resource: dict[str, Any]) -> str | None:
    """The id of the Patient this resource belongs to, or None (not personal data)."""
    if spec.patient_path is None:
        return None
    if spec.patient_path == "self":
        value = resource.get("id")
        return value if isinstance(value, str) else None
    for value in values_at(resource, spec.patient_path):
        for ref in references(value):
            if ref.type == "Patient":
                return ref.id
    return None
