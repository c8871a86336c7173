"""Health: the embedded FHIR R4 store at /fhir and the PHR health diary on top of it."""
