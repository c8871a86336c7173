"""The embedded FHIR store: validate on write, keep the client's JSON, index it for search.

Responses are built from the stored JSON text, never re-serialized through the models (that
loses decimal precision and costs ~0.5 ms per resource; see research/fhir.md).
"""

import functools
import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlmodel import Session

from server.core.errors import NotFound
from server.health import fhir_json
from server.health.fhir_access import FhirAccess
from server.health.fhir_dates import instant_text, meta_instant
from server.health.models import (
    FhirDateIndex,
    FhirReferenceIndex,
    FhirResource,
    FhirResourceHistory,
    FhirStringIndex,
    FhirTokenIndex,
)
from server.health.outcome import BadRequest, Gone, PreconditionFailed, issue
from server.health.search_params import (
    SPECS,
    ResourceSpec,
    dates,
    patient_of,
    references,
    strings,
    tokens,
    values_at,
)

R = FhirResource.__table__  # type: ignore[attr-defined]
H = FhirResourceHistory.__table__  # type: ignore[attr-defined]
TOKEN = FhirTokenIndex.__table__  # type: ignore[attr-defined]
DATE = FhirDateIndex.__table__  # type: ignore[attr-defined]
REF = FhirReferenceIndex.__table__  # type: ignore[attr-defined]
STRING = FhirStringIndex.__table__  # type: ignore[attr-defined]

FHIR_DATA = Path(__file__).resolve().parents[2] / "fhir"
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_REFERENCE = re.compile(
    r"^(#\S*|urn:(uuid|oid):\S+|https?://\S+|[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}"
    r"(/_history/[A-Za-z0-9\-.]{1,64})?|[A-Z][A-Za-z]+\?\S+)$"
)


@dataclass(frozen=True)
class Stored:
    """One version of a resource as the store holds it."""

    res_type: str
    res_id: str
    version: int
    last_updated: str
    content: str | None
    deleted: bool = False
    created: bool = False
    method: str = "GET"

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def last_modified(self) -> str:
        moment = datetime.fromisoformat(self.last_updated).replace(tzinfo=UTC)
        return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")

    def location(self, base: str) -> str:
        return f"{base}/{self.res_type}/{self.res_id}/_history/{self.version}"


# ---- validation -------------------------------------------------------------------------


def spec_for(res_type: str) -> ResourceSpec:
    spec = SPECS.get(res_type)
    if spec is None:
        raise NotFound(
            [
                issue(
                    f"resource type '{res_type}' is not supported by this server "
                    "(see /fhir/metadata)",
                    code="not-supported",
                )
            ]
        )
    return spec


@functools.cache
def _status_codes() -> dict[str, frozenset[str]]:
    data = json.loads((FHIR_DATA / "codes" / "required-status.json").read_text())
    return {name: frozenset(codes) for name, codes in data.items() if not name.startswith("_")}


def validate(res_type: str, body: dict[str, Any]) -> None:
    """Raise BadRequest (with where) unless `body` is a valid R4 resource of `res_type`."""
    actual = body.get("resourceType")
    if actual != res_type:
        raise BadRequest(
            [issue(f"resourceType is '{actual}', expected '{res_type}'", expression="resourceType")]
        )
    try:
        get_fhir_model_class(res_type).model_validate(body)
    except ValidationError as exc:
        raise BadRequest(
            [
                issue(
                    f"{err['msg']}",
                    code="structure" if err["type"] == "extra_forbidden" else "value",
                    expression=_fhirpath(res_type, err["loc"]),
                )
                for err in exc.errors()[:20]
            ]
        ) from None
    except (ValueError, TypeError) as exc:
        raise BadRequest([issue(str(exc), expression=res_type)]) from None
    status = body.get("status")
    allowed = _status_codes().get(res_type)
    if allowed is not None and status is not None and status not in allowed:
        raise BadRequest(
            [
                issue(
                    f"status '{status}' is not one of {', '.join(sorted(allowed))}",
                    code="code-invalid",
                    expression=f"{res_type}.status",
                )
            ]
        )
    bad = _bad_reference(body, res_type)
    if bad:
        raise BadRequest([issue(f"'{bad[1]}' is not a valid reference", expression=bad[0])])


def _fhirpath(res_type: str, loc: tuple[int | str, ...]) -> str:
    path = res_type
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _bad_reference(node: Any, path: str) -> tuple[str, str] | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                if not _REFERENCE.match(value):
                    return f"{path}.reference", value
            else:
                found = _bad_reference(value, f"{path}.{key}")
                if found:
                    return found
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found = _bad_reference(item, f"{path}[{index}]")
            if found:
                return found
    return None


def check_id(res_id: str) -> None:
    if not _ID.match(res_id):
        raise BadRequest(
            [issue(f"'{res_id}' is not a valid FHIR id ([A-Za-z0-9-.]{{1,64}})", expression="id")]
        )


# ---- time -------------------------------------------------------------------------------

_clock_lock = threading.Lock()
_last_instant = datetime.min.replace(tzinfo=UTC)


def next_instant() -> str:
    """Now, strictly later than any instant this process handed out before (for sync cursors)."""
    global _last_instant
    with _clock_lock:
        now = datetime.now(UTC)
        if now <= _last_instant:
            now = _last_instant + timedelta(microseconds=1)
        _last_instant = now
    return instant_text(now)


# ---- index ------------------------------------------------------------------------------


@dataclass
class IndexRows:
    tokens: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    refs: list[dict[str, Any]]
    strings: list[dict[str, Any]]


def index_rows(
    spec: ResourceSpec, body: dict[str, Any], pk: int, patient_id: str | None
) -> IndexRows:
    """The search index rows of one resource version (deduplicated: the keys are unique)."""
    token_keys: set[tuple[str, str, str]] = set()
    date_keys: set[tuple[str, str, str]] = set()
    ref_keys: set[tuple[str, str, str]] = set()
    string_keys: set[tuple[str, str]] = set()
    for param in spec.params:
        for path in param.paths:
            for value in values_at(body, path):
                if param.kind == "token":
                    for system, code in tokens(value):
                        token_keys.add((param.name, system[:255], code[:255]))
                elif param.kind == "date":
                    for lo, hi in dates(value):
                        date_keys.add((param.name, lo, hi))
                elif param.kind == "reference":
                    for ref in references(value):
                        if param.target is None or ref.type == param.target:
                            ref_keys.add((param.name, ref.type, ref.id[:255]))
                else:
                    for text in strings(value):
                        if text:
                            string_keys.add((param.name, text))
    common = {"resource_pk": pk, "res_type": spec.name}
    return IndexRows(
        tokens=[
            {**common, "param": p, "system": s, "code": c, "patient_id": patient_id}
            for p, s, c in token_keys
        ],
        dates=[
            {**common, "param": p, "lo": lo, "hi": hi, "patient_id": patient_id}
            for p, lo, hi in date_keys
        ],
        refs=[{**common, "param": p, "target_type": t, "target_id": i} for p, t, i in ref_keys],
        strings=[{**common, "param": p, "value": v} for p, v in string_keys],
    )


# ---- SQL on the hot path ----------------------------------------------------------------
# Writes run pre-written driver SQL: building and compiling a SQLAlchemy statement per call was
# ~15 % of an Observation create (profiled). Templates use qmark; psycopg takes %s.

_INSERT_RESOURCE = (
    "INSERT INTO fhir_resource (res_type, res_id, version, last_updated, deleted, patient_id, "
    "content) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING pk"
)
_UPDATE_RESOURCE = (
    "UPDATE fhir_resource SET version = ?, last_updated = ?, deleted = ?, patient_id = ?, "
    "content = ? WHERE pk = ?"
)
_INSERT_HISTORY = (
    "INSERT INTO fhir_resource_history (res_type, res_id, version, last_updated, method, "
    "deleted, content) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_CURRENT = (
    "SELECT pk, version, deleted, patient_id, content, last_updated FROM fhir_resource "
    "WHERE res_type = ? AND res_id = ?"
)
_INSERT_INDEX = {
    "token": "INSERT INTO fhir_token_index (resource_pk, res_type, param, system, code, "
    "patient_id) VALUES (?, ?, ?, ?, ?, ?)",
    "date": "INSERT INTO fhir_date_index (resource_pk, res_type, param, lo, hi, patient_id) "
    "VALUES (?, ?, ?, ?, ?, ?)",
    "ref": "INSERT INTO fhir_reference_index (resource_pk, res_type, param, target_type, "
    "target_id) VALUES (?, ?, ?, ?, ?)",
    "string": "INSERT INTO fhir_string_index (resource_pk, res_type, param, value) "
    "VALUES (?, ?, ?, ?)",
}
_INDEX_TABLES = (
    "fhir_token_index",
    "fhir_date_index",
    "fhir_reference_index",
    "fhir_string_index",
)


@functools.cache
def _driver_sql(dialect: str, template: str) -> str:
    return template if dialect == "sqlite" else template.replace("?", "%s")


# PostgreSQL: a new resource, its first history row and all its index rows in one statement,
# one round trip instead of five (each ~0.1-0.5 ms on this machine; a 100-entry transaction
# made 500 of them).
_INSERT_ALL_POSTGRES = """
WITH r AS (
  INSERT INTO fhir_resource (res_type, res_id, version, last_updated, deleted, patient_id, content)
  VALUES (%(t)s, %(id)s, 1, %(at)s, false, %(p)s, %(c)s) RETURNING pk
), h AS (
  INSERT INTO fhir_resource_history
    (res_type, res_id, version, last_updated, method, deleted, content)
  VALUES (%(t)s, %(id)s, 1, %(at)s, %(m)s, false, %(c)s)
), tk AS (
  INSERT INTO fhir_token_index (resource_pk, res_type, param, system, code, patient_id)
  SELECT r.pk, %(t)s, x.a, x.b, x.c, %(p)s
  FROM r, unnest(%(tk_a)s::text[], %(tk_b)s::text[], %(tk_c)s::text[]) AS x(a, b, c)
), dt AS (
  INSERT INTO fhir_date_index (resource_pk, res_type, param, lo, hi, patient_id)
  SELECT r.pk, %(t)s, x.a, x.b, x.c, %(p)s
  FROM r, unnest(%(dt_a)s::text[], %(dt_b)s::text[], %(dt_c)s::text[]) AS x(a, b, c)
), rf AS (
  INSERT INTO fhir_reference_index (resource_pk, res_type, param, target_type, target_id)
  SELECT r.pk, %(t)s, x.a, x.b, x.c
  FROM r, unnest(%(rf_a)s::text[], %(rf_b)s::text[], %(rf_c)s::text[]) AS x(a, b, c)
), st AS (
  INSERT INTO fhir_string_index (resource_pk, res_type, param, value)
  SELECT r.pk, %(t)s, x.a, x.b
  FROM r, unnest(%(st_a)s::text[], %(st_b)s::text[]) AS x(a, b)
)
SELECT pk FROM r
"""


def _insert_postgres(
    session: Session,
    spec: ResourceSpec,
    res_id: str,
    instant: str,
    method: str,
    patient_id: str | None,
    content: str,
    document: dict[str, Any],
) -> None:
    rows = index_rows(spec, document, 0, patient_id)
    params: dict[str, Any] = {
        "t": spec.name,
        "id": res_id,
        "at": instant,
        "p": patient_id,
        "c": content,
        "m": method,
        "tk_a": [r["param"] for r in rows.tokens],
        "tk_b": [r["system"] for r in rows.tokens],
        "tk_c": [r["code"] for r in rows.tokens],
        "dt_a": [r["param"] for r in rows.dates],
        "dt_b": [r["lo"] for r in rows.dates],
        "dt_c": [r["hi"] for r in rows.dates],
        "rf_a": [r["param"] for r in rows.refs],
        "rf_b": [r["target_type"] for r in rows.refs],
        "rf_c": [r["target_id"] for r in rows.refs],
        "st_a": [r["param"] for r in rows.strings],
        "st_b": [r["value"] for r in rows.strings],
    }
    session.connection().exec_driver_sql(_INSERT_ALL_POSTGRES, params)


def run_sql(session: Session, template: str, params: Any) -> Any:
    """Run a qmark template on the session's connection (a list of tuples: executemany)."""
    connection = session.connection()
    return connection.exec_driver_sql(_driver_sql(connection.dialect.name, template), params)


def _write_index(session: Session, rows: IndexRows) -> None:
    # One executemany per index table that has rows (an Observation: token, date, reference).
    for key, values in (
        (
            "token",
            [
                (
                    r["resource_pk"],
                    r["res_type"],
                    r["param"],
                    r["system"],
                    r["code"],
                    r["patient_id"],
                )
                for r in rows.tokens
            ],
        ),
        (
            "date",
            [
                (r["resource_pk"], r["res_type"], r["param"], r["lo"], r["hi"], r["patient_id"])
                for r in rows.dates
            ],
        ),
        (
            "ref",
            [
                (r["resource_pk"], r["res_type"], r["param"], r["target_type"], r["target_id"])
                for r in rows.refs
            ],
        ),
        (
            "string",
            [(r["resource_pk"], r["res_type"], r["param"], r["value"]) for r in rows.strings],
        ),
    ):
        if values:
            run_sql(session, _INSERT_INDEX[key], values)


def _drop_index(session: Session, pk: int) -> None:
    for table in _INDEX_TABLES:
        run_sql(session, f"DELETE FROM {table} WHERE resource_pk = ?", (pk,))


# ---- writes -----------------------------------------------------------------------------


def _with_meta(body: dict[str, Any], res_id: str, version: int, instant: str) -> dict[str, Any]:
    meta = {
        key: value
        for key, value in (body.get("meta") or {}).items()
        if key not in ("versionId", "lastUpdated")
    }
    meta["versionId"] = str(version)
    meta["lastUpdated"] = meta_instant(instant)
    rest = {k: v for k, v in body.items() if k not in ("resourceType", "id", "meta")}
    return {"resourceType": body["resourceType"], "id": res_id, "meta": meta, **rest}


def _current(session: Session, res_type: str, res_id: str) -> Any:
    return run_sql(session, _SELECT_CURRENT, (res_type, res_id)).first()


def _store(
    session: Session,
    spec: ResourceSpec,
    res_id: str,
    body: dict[str, Any],
    *,
    existing: Any,
    method: str,
) -> Stored:
    version = existing.version + 1 if existing is not None else 1
    instant = next_instant()
    document = _with_meta(body, res_id, version, instant)
    content = fhir_json.dumps(document)
    patient_id = patient_of(spec, document)
    if existing is None and session.get_bind().dialect.name == "postgresql":
        _insert_postgres(session, spec, res_id, instant, method, patient_id, content, document)
    elif existing is None:
        pk = run_sql(
            session,
            _INSERT_RESOURCE,
            (spec.name, res_id, version, instant, False, patient_id, content),
        ).scalar_one()
        run_sql(session, _INSERT_HISTORY, (spec.name, res_id, 1, instant, method, False, content))
        _write_index(session, index_rows(spec, document, pk, patient_id))
    else:
        pk = existing.pk
        run_sql(session, _UPDATE_RESOURCE, (version, instant, False, patient_id, content, pk))
        _drop_index(session, pk)
        run_sql(
            session, _INSERT_HISTORY, (spec.name, res_id, version, instant, method, False, content)
        )
        _write_index(session, index_rows(spec, document, pk, patient_id))
    return Stored(
        spec.name,
        res_id,
        version,
        instant,
        content,
        created=existing is None or bool(existing.deleted),
        method=method,
    )


def load_trusted(session: Session, body: dict[str, Any]) -> Stored | None:
    """Write a resource at its own id without a caller (demo data, trusted loaders); validated
    like any write. Returns None when that id already exists, so loaders are idempotent."""
    res_type = str(body.get("resourceType"))
    spec = spec_for(res_type)
    validate(res_type, body)
    check_id(str(body.get("id")))
    if _current(session, res_type, body["id"]) is not None:
        return None
    return _store(session, spec, body["id"], body, existing=None, method="PUT")


def create(
    session: Session,
    access: FhirAccess,
    res_type: str,
    body: dict[str, Any],
    *,
    if_none_exist: str | None = None,
    res_id: str | None = None,
) -> Stored:
    """POST: a new resource with a server id (the body's id is ignored, as FHIR says)."""
    spec = spec_for(res_type)
    validate(res_type, body)
    if if_none_exist:
        found = conditional_match(session, access, spec, if_none_exist)
        if found is not None:
            return found
    new_id = res_id or str(uuid.uuid4())
    candidate = {**body, "id": new_id}
    access.check("create", res_type, patient_of(spec, candidate))
    return _store(session, spec, new_id, candidate, existing=None, method="POST")


def conditional_match(
    session: Session, access: FhirAccess, spec: ResourceSpec, criteria: str
) -> Stored | None:
    from urllib.parse import parse_qsl

    from server.health.search import run_search

    query = criteria.split("?", 1)[-1]
    params = parse_qsl(query, keep_blank_values=True)
    if not params:
        raise BadRequest([issue("If-None-Exist has no search parameters", code="required")])
    page = run_search(session, access, spec.name, params, strict=True, count=2)
    if not page.total:
        return None
    if page.total is not None and page.total > 1:
        raise PreconditionFailed(
            [
                issue(
                    f"If-None-Exist '{criteria}' matches {page.total} resources",
                    code="multiple-matches",
                )
            ]
        )
    match = page.matches[0]
    row = _current(session, spec.name, match.res_id)
    return Stored(spec.name, match.res_id, row.version, row.last_updated, row.content)


def update_resource(
    session: Session,
    access: FhirAccess,
    res_type: str,
    res_id: str,
    body: dict[str, Any],
    *,
    if_match: str | None = None,
) -> Stored:
    """PUT: a new version, or the first version at a client-chosen id (upsert)."""
    spec = spec_for(res_type)
    check_id(res_id)
    if body.get("id") != res_id:
        raise BadRequest(
            [
                issue(
                    f"the resource id '{body.get('id')}' must equal the id in the URL '{res_id}'",
                    expression=f"{res_type}.id",
                )
            ]
        )
    validate(res_type, body)
    existing = _current(session, res_type, res_id)
    if if_match is not None:
        wanted = _parse_etag(if_match)
        have = existing.version if existing is not None and not existing.deleted else None
        if wanted != have:
            raise PreconditionFailed(
                [
                    issue(
                        f"If-Match {if_match} but the current version is "
                        f"{have if have is not None else 'none'}",
                        code="conflict",
                    )
                ]
            )
    new_patient = patient_of(spec, body)
    if existing is not None and not existing.deleted:
        access.check("update", res_type, existing.patient_id)
        if new_patient != existing.patient_id:
            # Moving a record to another person needs the right to write there too.
            access.check("update", res_type, new_patient)
    else:
        access.check("create", res_type, new_patient)
    return _store(session, spec, res_id, body, existing=existing, method="PUT")


def _parse_etag(value: str) -> int | None:
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    try:
        return int(text)
    except ValueError:
        raise BadRequest(
            [issue(f"If-Match '{value}' is not a version ETag like W/\"3\"", code="value")]
        ) from None


def delete_resource(session: Session, access: FhirAccess, res_type: str, res_id: str) -> Stored:
    """DELETE: the resource disappears from reads and searches; its history stays."""
    spec_for(res_type)
    existing = _current(session, res_type, res_id)
    if existing is None:
        raise NotFound([issue(f"{res_type}/{res_id} does not exist", code="not-found")])
    access.check("delete", res_type, existing.patient_id)
    if existing.deleted:
        return Stored(res_type, res_id, existing.version, existing.last_updated, None, True)
    version = existing.version + 1
    instant = next_instant()
    session.execute(
        update(R)
        .where(R.c.pk == existing.pk)
        .values(version=version, last_updated=instant, deleted=True)
    )
    _drop_index(session, existing.pk)
    session.execute(
        insert(H).values(
            res_type=res_type,
            res_id=res_id,
            version=version,
            last_updated=instant,
            method="DELETE",
            deleted=True,
            content=None,
        )
    )
    return Stored(res_type, res_id, version, instant, None, deleted=True, method="DELETE")


# ---- reads ------------------------------------------------------------------------------


def read(session: Session, access: FhirAccess, res_type: str, res_id: str) -> Stored:
    spec_for(res_type)
    row = _current(session, res_type, res_id)
    if row is None:
        raise NotFound([issue(f"{res_type}/{res_id} is not known", code="not-found")])
    access.check("read", res_type, row.patient_id)
    if row.deleted:
        raise Gone([issue(f"{res_type}/{res_id} was deleted", code="deleted")])
    return Stored(res_type, res_id, row.version, row.last_updated, row.content)


def vread(session: Session, access: FhirAccess, res_type: str, res_id: str, version: str) -> Stored:
    spec_for(res_type)
    row = _current(session, res_type, res_id)
    if row is None:
        raise NotFound([issue(f"{res_type}/{res_id} is not known", code="not-found")])
    access.check("read", res_type, row.patient_id)
    number = int(version) if version.isdigit() else -1
    old = session.execute(
        select(H.c.version, H.c.last_updated, H.c.deleted, H.c.content).where(
            H.c.res_type == res_type, H.c.res_id == res_id, H.c.version == number
        )
    ).first()
    if old is None:
        raise NotFound([issue(f"{res_type}/{res_id} has no version '{version}'", code="not-found")])
    if old.deleted:
        raise Gone([issue(f"version {version} of {res_type}/{res_id} is a deletion")])
    return Stored(res_type, res_id, old.version, old.last_updated, old.content)


def history(
    session: Session,
    access: FhirAccess,
    res_type: str,
    res_id: str | None,
    *,
    since: str | None,
    count: int,
) -> list[Stored]:
    """Versions newest first: of one resource, or of a whole type (only patients one may see)."""
    spec_for(res_type)
    query = select(
        H.c.res_id, H.c.version, H.c.last_updated, H.c.deleted, H.c.content, H.c.method
    ).where(H.c.res_type == res_type)
    if res_id is not None:
        row = _current(session, res_type, res_id)
        if row is None:
            raise NotFound([issue(f"{res_type}/{res_id} is not known", code="not-found")])
        access.check("read", res_type, row.patient_id)
        query = query.where(H.c.res_id == res_id)
    elif access.is_personal(res_type):
        visible = access.visible(res_type)
        query = query.where(
            H.c.res_id.in_(
                select(R.c.res_id).where(
                    R.c.res_type == res_type, R.c.patient_id.in_(sorted(visible))
                )
            )
        )
    if since:
        from server.health.fhir_dates import date_range

        query = query.where(H.c.last_updated >= date_range(since)[0])
    rows = session.execute(query.order_by(H.c.pk.desc()).limit(count)).all()
    if res_id is None and access.is_personal(res_type) and rows:
        patients = session.execute(
            select(R.c.patient_id).where(
                R.c.res_type == res_type, R.c.res_id.in_({r.res_id for r in rows})
            )
        ).scalars()
        access.record(res_type, {p for p in patients if p})
    return [
        Stored(
            res_type,
            r.res_id,
            r.version,
            r.last_updated,
            r.content,
            deleted=r.deleted,
            method=r.method,
        )
        for r in rows
    ]
