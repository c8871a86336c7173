"""Bundles: batch and transaction at POST /fhir, and the searchset/history Bundles we send.

Outgoing Bundles are assembled as text around the stored JSON of each resource, so a page of
50 costs a string join, not 50 model round-trips.
"""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlmodel import Session

from server.core.errors import MachiError
from server.health import store
from server.health.fhir_access import FhirAccess
from server.health.fhir_dates import meta_instant
from server.health.outcome import BadRequest, issue, issues_of, operation_outcome
from server.health.search import SearchPage, run_search
from server.health.search_params import SPECS
from server.health.store import Stored, next_instant

_STATUS_TEXT = {200: "200 OK", 201: "201 Created", 204: "204 No Content"}


def _bundle_head(bundle_type: str, extra: dict[str, Any]) -> str:
    head = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": meta_instant(next_instant())},
        "type": bundle_type,
        **extra,
    }
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]


def _entries_text(head: str, entries: list[str]) -> str:
    if not entries:
        return head + "}"
    return head + ',"entry":[' + ",".join(entries) + "]}"


def _page_url(base: str, res_type: str, used: list[tuple[str, str]], offset: int) -> str:
    params = [(k, v) for k, v in used if k != "_offset"]
    if offset:
        params.append(("_offset", str(offset)))
    query = urlencode(params)
    return f"{base}/{res_type}" + (f"?{query}" if query else "")


def searchset_text(base: str, res_type: str, page: SearchPage) -> str:
    """A searchset Bundle with total and self/next/previous links on the client's base URL."""
    links = [{"relation": "self", "url": _page_url(base, res_type, page.used, page.offset)}]
    more = (
        page.offset + page.count < page.total
        if page.total is not None
        else len(page.matches) == page.count
    )
    if page.count and more:
        links.append(
            {
                "relation": "next",
                "url": _page_url(base, res_type, page.used, page.offset + page.count),
            }
        )
    if page.offset and page.count:
        previous = max(0, page.offset - page.count)
        links.append(
            {"relation": "previous", "url": _page_url(base, res_type, page.used, previous)}
        )
    extra: dict[str, Any] = {}
    if page.total is not None:
        extra["total"] = page.total
    extra["link"] = links
    entries = [
        f'{{"fullUrl":{json.dumps(f"{base}/{m.res_type}/{m.res_id}")},'
        f'"resource":{m.content},"search":{{"mode":"match"}}}}'
        for m in page.matches
    ]
    entries += [
        f'{{"fullUrl":{json.dumps(f"{base}/{m.res_type}/{m.res_id}")},'
        f'"resource":{m.content},"search":{{"mode":"include"}}}}'
        for m in page.includes
    ]
    return _entries_text(_bundle_head("searchset", extra), entries)


def history_text(base: str, versions: list[Stored]) -> str:
    entries = []
    for item in versions:
        url = f"{item.res_type}/{item.res_id}"
        request = {"method": item.method, "url": url if item.method != "POST" else item.res_type}
        response = {
            "status": "410 Gone"
            if item.deleted
            else ("201 Created" if item.version == 1 else "200 OK"),
            "etag": item.etag,
            "lastModified": meta_instant(item.last_updated),
        }
        parts = [f'"fullUrl":{json.dumps(f"{base}/{url}")}']
        if item.content is not None:
            parts.append(f'"resource":{item.content}')
        parts.append(f'"request":{json.dumps(request)}')
        parts.append(f'"response":{json.dumps(response)}')
        entries.append("{" + ",".join(parts) + "}")
    return _entries_text(_bundle_head("history", {"total": len(versions)}), entries)


# ---- batch and transaction --------------------------------------------------------------


@dataclass
class _Entry:
    index: int
    method: str
    url: str
    full_url: str | None
    resource: dict[str, Any] | None
    request: dict[str, Any]


def _parse_entries(bundle: dict[str, Any]) -> list[_Entry]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise BadRequest([issue("Bundle.entry must be a list", expression="Bundle.entry")])
    parsed = []
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict):
            raise BadRequest([issue("entry has no request", expression=f"{where}.request")])
        method = str(request.get("method", "")).upper()
        url = str(request.get("url", "")).lstrip("/")
        if method not in ("GET", "HEAD", "POST", "PUT", "DELETE") or not url:
            raise BadRequest(
                [
                    issue(
                        f"request needs a method (GET, POST, PUT, DELETE) and a url, got "
                        f"'{method} {url}'",
                        expression=f"{where}.request",
                    )
                ]
            )
        resource = entry.get("resource")
        if method in ("POST", "PUT") and not isinstance(resource, dict):
            raise BadRequest([issue(f"{method} needs a resource", expression=f"{where}.resource")])
        parsed.append(_Entry(index, method, url, entry.get("fullUrl"), resource, request))
    return parsed


def _rewrite_references(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                mapping.get(value, value)
                if key == "reference" and isinstance(value, str)
                else _rewrite_references(value, mapping)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_references(item, mapping) for item in node]
    return node


def _conditional_references(
    session: Session, access: FhirAccess, node: Any, found: dict[str, str]
) -> None:
    """`Patient?identifier=…` references in a transaction resolve to the one match."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str) and "?" in value:
                res_type, query = value.split("?", 1)
                if value in found or res_type not in SPECS:
                    continue
                page = run_search(session, access, res_type, parse_qsl(query), strict=True, count=2)
                if page.total != 1:
                    raise BadRequest(
                        [
                            issue(
                                f"conditional reference '{value}' matches {page.total} "
                                "resources, needs exactly one",
                                code="multiple-matches" if page.total else "not-found",
                            )
                        ]
                    )
                found[value] = f"{res_type}/{page.matches[0].res_id}"
            else:
                _conditional_references(session, access, value, found)
    elif isinstance(node, list):
        for item in node:
            _conditional_references(session, access, item, found)


def _split_url(url: str) -> tuple[str, str | None, str | None]:
    """`Observation/1` → (Observation, 1, None); `Observation?code=x` → (Observation, None, q)."""
    path, _, query = url.partition("?")
    parts = path.split("/")
    return parts[0], (parts[1] if len(parts) > 1 else None), (query if "?" in url else None)


def _entry_text(status: int, stored: Stored | None, body: str | None) -> str:
    response: dict[str, Any] = {"status": _STATUS_TEXT.get(status, str(status))}
    if stored is not None:
        response["location"] = f"{stored.res_type}/{stored.res_id}/_history/{stored.version}"
        response["etag"] = stored.etag
        response["lastModified"] = meta_instant(stored.last_updated)
    text = '{"response":' + json.dumps(response)
    if body is not None:
        text += ',"resource":' + body
    return text + "}"


def _run_entry(
    session: Session, access: FhirAccess, entry: _Entry, base: str, new_ids: dict[int, str]
) -> str:
    res_type, res_id, query = _split_url(entry.url)
    if entry.method == "POST":
        assert entry.resource is not None
        stored = store.create(
            session,
            access,
            res_type,
            entry.resource,
            if_none_exist=entry.request.get("ifNoneExist"),
            res_id=new_ids.get(entry.index),
        )
        return _entry_text(201 if stored.created else 200, stored, stored.content)
    if entry.method == "PUT":
        assert entry.resource is not None
        if res_id is None:
            raise BadRequest([issue("PUT needs Type/id in request.url", code="not-supported")])
        stored = store.update_resource(
            session, access, res_type, res_id, entry.resource, if_match=entry.request.get("ifMatch")
        )
        return _entry_text(201 if stored.created else 200, stored, stored.content)
    if entry.method == "DELETE":
        if res_id is None:
            raise BadRequest([issue("conditional delete is not supported", code="not-supported")])
        store.delete_resource(session, access, res_type, res_id)
        return _entry_text(204, None, None)
    if res_id is not None:
        stored = store.read(session, access, res_type, res_id)
        return _entry_text(200, stored, stored.content)
    page = run_search(session, access, res_type, parse_qsl(query or "", keep_blank_values=True))
    return _entry_text(200, None, searchset_text(base, res_type, page))


# DELETE, then POST, then PUT, then GET: the order FHIR prescribes for a transaction.
_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3, "HEAD": 3}


def process(session: Session, access: FhirAccess, bundle: dict[str, Any], base: str) -> str:
    """Run a batch or transaction Bundle; return the response Bundle as JSON text."""
    if bundle.get("resourceType") != "Bundle":
        raise BadRequest([issue("POST /fhir takes a Bundle", expression="resourceType")])
    kind = bundle.get("type")
    if kind not in ("batch", "transaction"):
        raise BadRequest(
            [issue(f"Bundle.type must be batch or transaction, got '{kind}'", expression="type")]
        )
    entries = _parse_entries(bundle)
    if kind == "batch":
        return _entries_text(
            _bundle_head("batch-response", {}),
            [_batch_entry(session, access, entry, base) for entry in entries],
        )
    return _entries_text(
        _bundle_head("transaction-response", {}), _transaction(session, access, entries, base)
    )


def _batch_entry(session: Session, access: FhirAccess, entry: _Entry, base: str) -> str:
    try:
        with session.begin_nested():
            return _run_entry(session, access, entry, base, {})
    except MachiError as exc:
        outcome = json.dumps(operation_outcome(exc.status_code, exc.detail), ensure_ascii=False)
        return (
            '{"response":'
            + json.dumps(
                {"status": str(exc.status_code), "outcome": json.loads(outcome)}, ensure_ascii=False
            )
            + "}"
        )


def _transaction(
    session: Session, access: FhirAccess, entries: list[_Entry], base: str
) -> list[str]:
    mapping: dict[str, str] = {}
    new_ids: dict[int, str] = {}
    for entry in entries:
        res_type, res_id, _ = _split_url(entry.url)
        if entry.method == "POST":
            criteria = entry.request.get("ifNoneExist")
            existing = None
            if criteria:
                with _blame(entry):
                    spec = store.spec_for(res_type)
                    existing = store.conditional_match(session, access, spec, criteria)
            if existing is None:
                new_ids[entry.index] = str(uuid.uuid4())
            target = existing.res_id if existing is not None else new_ids[entry.index]
            if entry.full_url:
                mapping[entry.full_url] = f"{res_type}/{target}"
        elif entry.method == "PUT" and res_id and entry.full_url:
            mapping[entry.full_url] = f"{res_type}/{res_id}"
    conditional: dict[str, str] = {}
    for entry in entries:
        if entry.resource is not None:
            with _blame(entry):
                _conditional_references(session, access, entry.resource, conditional)
            entry.resource = _rewrite_references(entry.resource, {**mapping, **conditional})
    results: dict[int, str] = {}
    for entry in sorted(entries, key=lambda e: _ORDER[e.method]):
        with _blame(entry):
            results[entry.index] = _run_entry(session, access, entry, base, new_ids)
    return [results[i] for i in range(len(entries))]


@contextmanager
def _blame(entry: _Entry) -> Iterator[None]:
    """A failure aborts the whole transaction, saying which entry failed and where."""
    try:
        yield
    except MachiError as exc:
        issues = issues_of(exc.status_code, exc.detail)
        prefix = f"Bundle.entry[{entry.index}]"
        for item in issues:
            where = [_entry_path(w) for w in item.get("expression") or [""]]
            item["expression"] = [prefix + (f".{w}" if w else "") for w in where]
            item["diagnostics"] = (
                f"entry {entry.index} ({entry.method} {entry.url}): {item['diagnostics']}"
            )
        raise type(exc)(issues, status_code=exc.status_code) from None


def _entry_path(expression: str) -> str:
    """`Observation.status` inside an entry is `resource.status` from the Bundle's view."""
    head, dot, rest = expression.partition(".")
    if head in SPECS:
        return "resource" + (dot + rest if rest else "")
    return expression
