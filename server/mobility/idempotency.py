"""Idempotency-Key handling (draft-ietf-httpapi-idempotency-key-header-07) for unsafe requests.

The key is claimed by inserting its row first, in the request's own transaction: a concurrent
request with the same key waits on (PostgreSQL) or is serialised behind (SQLite) that insert and
then fails on the primary key, so the work behind one key is done at most once. A failed request
rolls its claim back with everything else, so a retry after an error runs again.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.core.errors import Conflict, InvalidInput
from server.mobility.models import IdempotencyRecord

M = TypeVar("M", bound=BaseModel)

MAX_KEY_LENGTH = 255


def fingerprint(request: str, body: BaseModel | dict[str, Any] | None) -> str:
    """A digest of what was asked: the method and path, and the body in canonical JSON."""
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request}\n{canonical}".encode()).hexdigest()


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput(
            "this request needs an Idempotency-Key header (a fresh UUID per action; "
            "send the same key again when you retry)"
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters")
    return key


def once(
    session: Session,
    *,
    subject: str,
    key: str | None,
    request: str,
    body: BaseModel | dict[str, Any] | None,
    model: type[M],
    run: Callable[[], M],
) -> M:
    """Run `run` once per (caller, key); a retry gets the first answer back unchanged."""
    key = check_key(key)
    digest = fingerprint(request, body)
    existing = session.get(IdempotencyRecord, (subject, key))
    if existing is not None:
        if existing.fingerprint != digest:
            raise InvalidInput(
                "this Idempotency-Key was already used for a different request; "
                "use a new key for a new action"
            )
        return model.model_validate_json(existing.response)
    record = IdempotencyRecord(
        subject=subject, key=key, fingerprint=digest, status_code=0, response="{}"
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "a request with this Idempotency-Key is being processed; retry in a moment"
        ) from None
    result = run()
    record.status_code = 200
    record.response = result.model_dump_json()
    session.add(record)
    session.flush()
    return result
