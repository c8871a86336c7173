"""The CapabilityStatement: the fixed part from fhir/, the resource list from what we implement."""

import copy
import functools
import json
from typing import Any

from server.health.fhir_dates import meta_instant
from server.health.search_params import SPECS
from server.health.store import FHIR_DATA, next_instant

_INTERACTIONS = (
    "read",
    "vread",
    "update",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)


@functools.cache
def _template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FHIR_DATA / "CapabilityStatement-base.json").read_text())
    return data


def capability_statement(base: str, version: str) -> dict[str, Any]:
    """What this server really supports, generated from the same tables the search code uses."""
    statement = copy.deepcopy(_template())
    statement["date"] = meta_instant(next_instant())[:10]
    statement["software"]["version"] = version
    statement["implementation"] = {"description": "machi FHIR store", "url": base}
    rest = statement["rest"][0]
    rest["resource"] = [
        {
            "type": spec.name,
            "interaction": [{"code": code} for code in _INTERACTIONS],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": True,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchInclude": [f"{spec.name}:{name}" for name in spec.includes],
            "searchParam": [
                {"name": param.name, "type": param.kind, "documentation": ", ".join(param.paths)}
                for param in spec.params
            ],
        }
        for spec in SPECS.values()
    ]
    return statement
