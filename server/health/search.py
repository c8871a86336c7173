"""FHIR search over the index tables: parameters, prefixes, modifiers, sorting, paging, _include.

Parameters join as AND, comma-separated values as OR. Every index row carries its resource's
patient, so a patient-scoped search (the diary, the nurse's chart) never reads other patients'
rows: patient + code + date over 1,000,000 Observations stays a few index probes.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select
from sqlmodel import Session

from server.core.errors import Forbidden
from server.health.fhir_access import FhirAccess
from server.health.fhir_dates import date_range
from server.health.outcome import BadRequest, issue
from server.health.search_params import (
    CONTROL_PARAMS,
    ResourceSpec,
    SearchParam,
    fold,
    parse_reference,
)
from server.health.store import DATE, REF, STRING, TOKEN, R, spec_for

DEFAULT_COUNT = 20
MAX_COUNT = 1000
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_MODIFIERS = {
    "token": {"", "not"},
    "string": {"", "exact", "contains"},
    "date": {""},
    "reference": {""},
}


@dataclass(frozen=True)
class Match:
    res_type: str
    res_id: str
    content: str
    patient_id: str | None


@dataclass
class SearchPage:
    total: int | None
    offset: int
    count: int
    matches: list[Match]
    includes: list[Match] = field(default_factory=list)
    # The parameters that were used, to build the self and next links.
    used: list[tuple[str, str]] = field(default_factory=list)


def _int_param(name: str, value: str, default: int, maximum: int) -> int:
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest([issue(f"{name} must be a whole number, got '{value}'")]) from None
    if number < 0:
        raise BadRequest([issue(f"{name} must not be negative")])
    return min(number, maximum)


def run_search(
    session: Session,
    access: FhirAccess,
    res_type: str,
    params: Sequence[tuple[str, str]],
    *,
    strict: bool = False,
    count: int | None = None,
) -> SearchPage:
    """Search one resource type; only patients the caller may see, each search audited."""
    spec = spec_for(res_type)
    conditions: list[ColumnElement[bool]] = [R.c.res_type == res_type, R.c.deleted == false()]
    used: list[tuple[str, str]] = []
    page_size = DEFAULT_COUNT if count is None else count
    offset = 0
    sort_keys: list[str] = []
    includes: list[str] = []
    want_total = True
    patients: set[str] | None = None  # the compartment patients named by the search
    deferred: list[tuple[SearchParam, str, str, str]] = []

    for raw_name, value in params:
        name, _, modifier = raw_name.partition(":")
        if name == "_count":
            page_size = _int_param("_count", value, DEFAULT_COUNT, MAX_COUNT)
        elif name == "_offset":
            offset = _int_param("_offset", value, 0, 10**9)
            continue
        elif name == "_sort":
            sort_keys.extend(k for k in value.split(",") if k)
        elif name == "_include":
            includes.append(value)
        elif name == "_total":
            want_total = value != "none"
        elif name == "_summary":
            if value == "count":
                page_size = 0
        elif name in CONTROL_PARAMS:
            pass
        elif name == "_id":
            conditions.append(R.c.res_id.in_(value.split(",")))
        elif name == "_lastUpdated":
            conditions.append(_point_condition(R.c.last_updated, value))
        else:
            param = spec.param(name)
            if param is None:
                if strict:
                    raise BadRequest(
                        [
                            issue(
                                f"unknown search parameter '{name}' for {res_type} "
                                "(Prefer: handling=strict)",
                                code="not-supported",
                                expression=raw_name,
                            )
                        ]
                    )
                continue  # lenient: FHIR lets servers ignore what they do not support
            named = _compartment_ids(spec, param, modifier, value)
            if named is not None:
                patients = named if patients is None else patients & named
                conditions.append(R.c.patient_id.in_(sorted(named)))
            else:
                deferred.append((param, modifier, value, raw_name))
        used.append((raw_name, value))

    # Built once the compartment is known: index rows carry their resource's patient, so
    # naming it lets patient + code + date start from (type, param, patient, code) index
    # ranges instead of every resource of that patient (EXPLAIN at 1M Observations).
    scope = Scope(res_type, sorted(patients) if patients is not None else None)
    for param, modifier, value, raw_name in deferred:
        conditions.append(_param_condition(param, modifier, value, raw_name, scope))

    audited: set[str] = set()
    if access.is_personal(res_type):
        if patients is not None:
            for patient_id in sorted(patients):
                access.check("search", res_type, patient_id)
            audited = patients
        else:
            visible = access.visible(res_type)
            if not visible:
                return SearchPage(0 if want_total else None, offset, page_size, [], used=used)
            conditions.append(R.c.patient_id.in_(sorted(visible)))
    where = and_(*conditions)

    total = None
    if want_total or page_size == 0:
        total = session.execute(select(func.count()).select_from(R).where(where)).scalar_one()
    matches: list[Match] = []
    if page_size > 0:
        order = [*_order_by(spec, sort_keys), R.c.pk]
        rows = session.execute(
            select(R.c.res_id, R.c.content, R.c.patient_id)
            .where(where)
            .order_by(*order)
            .limit(page_size)
            .offset(offset)
        ).all()
        matches = [Match(res_type, r.res_id, r.content, r.patient_id) for r in rows]
    if access.is_personal(res_type):
        returned = {m.patient_id for m in matches if m.patient_id} - audited
        access.record(res_type, returned)
        audited |= returned
    page = SearchPage(total, offset, page_size, matches, used=used)
    if includes and matches:
        page.includes = _includes(session, access, spec, includes, matches, audited)
    return page


def _compartment_ids(
    spec: ResourceSpec, param: SearchParam, modifier: str, value: str
) -> set[str] | None:
    """`patient=p1` / `subject=Patient/p1`: the patient ids, when the row's own patient column
    answers the question exactly (a single-valued patient element); else None."""
    if param.kind != "reference" or param.paths != (spec.patient_path,) or modifier:
        return None
    ids = set()
    for item in value.split(","):
        ref = parse_reference(item)
        if ref is None and param.target == "Patient" and item:
            ids.add(item)
        elif ref is not None and ref.type == "Patient":
            ids.add(ref.id)
        else:
            return None
    return ids


@dataclass(frozen=True)
class Scope:
    """What every matching index row must also carry: the type, and the patients if named."""

    res_type: str
    patients: list[str] | None

    def narrow(self, table: Any, *, patient: bool = True) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [table.c.res_type == self.res_type]
        if patient and self.patients is not None:
            found.append(table.c.patient_id.in_(self.patients))
        return found


def _param_condition(
    param: SearchParam, modifier: str, value: str, raw_name: str, scope: Scope
) -> ColumnElement[bool]:
    if param.kind == "reference" and modifier and modifier[:1].isupper():
        return _reference_condition(param, value, modifier)
    if modifier not in _MODIFIERS[param.kind]:
        raise BadRequest(
            [
                issue(
                    f"modifier ':{modifier}' is not supported on {param.kind} parameter "
                    f"'{param.name}'",
                    code="not-supported",
                    expression=raw_name,
                )
            ]
        )
    if param.kind == "token":
        return _token_condition(param, value, scope, negate=modifier == "not")
    if param.kind == "date":
        return _date_condition(param, value, scope)
    if param.kind == "reference":
        return _reference_condition(param, value, None)
    return _string_condition(param, value, modifier)


def _token_condition(
    param: SearchParam, value: str, scope: Scope, *, negate: bool
) -> ColumnElement[bool]:
    options = []
    for item in value.split(","):
        if "|" in item:
            system, code = item.split("|", 1)
            parts = [TOKEN.c.system == system] if system or not code else [TOKEN.c.system == ""]
            if code:
                parts.append(TOKEN.c.code == code)
            options.append(and_(*parts))
        else:
            options.append(TOKEN.c.code == item)
    if scope.patients is not None and not negate:
        # Within named patients, `pk IN (index range)` lets SQLite start from the
        # (type, param, patient, code, system) index too; a correlated EXISTS it would probe
        # once per resource of the patient (EXPLAIN QUERY PLAN at 1M Observations).
        within: ColumnElement[bool] = R.c.pk.in_(
            select(TOKEN.c.resource_pk).where(
                TOKEN.c.param == param.name, *scope.narrow(TOKEN), or_(*options)
            )
        )
        return within
    found = exists().where(
        TOKEN.c.resource_pk == R.c.pk,
        TOKEN.c.param == param.name,
        *scope.narrow(TOKEN),
        or_(*options),
    )
    return not_(found) if negate else found


def split_prefix(value: str) -> tuple[str, str]:
    if value[:2] in PREFIXES and len(value) > 2 and value[2].isdigit():
        return value[:2], value[2:]
    return "eq", value


def range_condition(prefix: str, lo: Any, hi: Any, plo: str, phi: str) -> ColumnElement[bool]:
    """FHIR date prefixes for a stored [lo, hi) against the searched [plo, phi)."""
    if prefix == "eq":
        return and_(lo >= plo, hi <= phi)
    if prefix == "ne":
        return not_(and_(lo >= plo, hi <= phi))
    if prefix == "gt":
        return hi > phi  # type: ignore[no-any-return]
    if prefix == "ge":
        return hi > plo  # type: ignore[no-any-return]
    if prefix == "lt":
        return lo < plo  # type: ignore[no-any-return]
    if prefix == "le":
        return lo < phi  # type: ignore[no-any-return]
    if prefix == "sa":
        return lo >= phi  # type: ignore[no-any-return]
    return hi <= plo  # type: ignore[no-any-return]  # "eb"


def _date_condition(param: SearchParam, value: str, scope: Scope) -> ColumnElement[bool]:
    options = []
    for item in value.split(","):
        prefix, text = split_prefix(item)
        plo, phi = date_range(text)
        options.append(range_condition(prefix, DATE.c.lo, DATE.c.hi, plo, phi))
    return exists().where(
        DATE.c.resource_pk == R.c.pk, DATE.c.param == param.name, *scope.narrow(DATE), or_(*options)
    )


def _point_condition(column: Any, value: str) -> ColumnElement[bool]:
    """A prefix condition on a single instant column (meta.lastUpdated)."""
    options = []
    for item in value.split(","):
        prefix, text = split_prefix(item)
        plo, phi = date_range(text)
        options.append(
            {
                "eq": and_(column >= plo, column < phi),
                "ne": or_(column < plo, column >= phi),
                "gt": column >= phi,
                "sa": column >= phi,
                "ge": column >= plo,
                "lt": column < plo,
                "eb": column < plo,
                "le": column < phi,
            }[prefix]
        )
    return or_(*options)


def _reference_condition(
    param: SearchParam, value: str, type_modifier: str | None
) -> ColumnElement[bool]:
    options = []
    for item in value.split(","):
        ref = parse_reference(item)
        target_type = ref.type if ref else (type_modifier or param.target)
        target_id = ref.id if ref else item
        if target_type:
            options.append(and_(REF.c.target_type == target_type, REF.c.target_id == target_id))
        else:
            options.append(REF.c.target_id == target_id)
    return exists().where(REF.c.resource_pk == R.c.pk, REF.c.param == param.name, or_(*options))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _string_condition(param: SearchParam, value: str, modifier: str) -> ColumnElement[bool]:
    options = []
    for item in value.split(","):
        folded = fold(item)
        if modifier == "exact":
            options.append(STRING.c.value == folded)
        elif modifier == "contains":
            options.append(STRING.c.value.like(f"%{_like_escape(folded)}%", escape="\\"))
        else:
            options.append(STRING.c.value.like(f"{_like_escape(folded)}%", escape="\\"))
    return exists().where(
        STRING.c.resource_pk == R.c.pk, STRING.c.param == param.name, or_(*options)
    )


def _order_by(spec: ResourceSpec, keys: list[str]) -> list[Any]:
    order: list[Any] = []
    for key in keys:
        descending = key.startswith("-")
        name = key.lstrip("-")
        column: Any
        if name == "_lastUpdated":
            column = R.c.last_updated
        elif name == "_id":
            column = R.c.res_id
        else:
            param = spec.param(name)
            if param is None or param.kind == "reference":
                raise BadRequest(
                    [
                        issue(
                            f"cannot sort {spec.name} by '{name}'",
                            code="not-supported",
                            expression="_sort",
                        )
                    ]
                )
            table, col = {
                "date": (DATE, DATE.c.lo),
                "token": (TOKEN, TOKEN.c.code),
                "string": (STRING, STRING.c.value),
            }[param.kind]
            column = (
                select(func.min(col))
                .where(table.c.resource_pk == R.c.pk, table.c.param == name)
                .scalar_subquery()
            )
        order.append(column.desc() if descending else column.asc())
    return order


def _includes(
    session: Session,
    access: FhirAccess,
    spec: ResourceSpec,
    includes: list[str],
    matches: list[Match],
    audited: set[str],
) -> list[Match]:
    """`_include=Observation:patient`: the referenced resources the caller may also see."""
    wanted = []
    for item in includes:
        parts = item.split(":")
        if len(parts) < 2 or parts[0] != spec.name or parts[1] not in spec.includes:
            raise BadRequest(
                [
                    issue(
                        f"_include '{item}' is not supported; use one of "
                        + ", ".join(f"{spec.name}:{p}" for p in spec.includes),
                        code="not-supported",
                        expression="_include",
                    )
                ]
            )
        wanted.append((parts[1], parts[2] if len(parts) > 2 else None))
    ids = [m.res_id for m in matches]
    pks = select(R.c.pk).where(R.c.res_type == spec.name, R.c.res_id.in_(ids))
    targets: set[tuple[str, str]] = set()
    for param_name, target_type in wanted:
        query = select(REF.c.target_type, REF.c.target_id).where(
            REF.c.resource_pk.in_(pks), REF.c.param == param_name
        )
        if target_type:
            query = query.where(REF.c.target_type == target_type)
        targets |= {(t, i) for t, i in session.execute(query).all()}
    seen = {(spec.name, m.res_id) for m in matches}
    found: list[Match] = []
    for target_type, target_id in sorted(targets - seen):
        row = session.execute(
            select(R.c.res_id, R.c.content, R.c.patient_id).where(
                R.c.res_type == target_type, R.c.res_id == target_id, R.c.deleted == false()
            )
        ).first()
        if row is None:
            continue
        if access.is_personal(target_type) and row.patient_id not in audited:
            try:
                access.check("read", target_type, row.patient_id)
            except Forbidden:
                continue  # an include never widens what the caller may see
        found.append(Match(target_type, row.res_id, row.content, row.patient_id))
    return found
