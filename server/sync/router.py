"""HTTP routes of the sync protocol: POST /api/v1/sync/push, GET /api/v1/sync/pull."""

from typing import Annotated

from fastapi import APIRouter, Query

from server.auth.access import CurrentPrincipal
from server.core.db import SessionDep
from server.sync import builtin, service
from server.sync.schemas import DEFAULT_PAGE, MAX_PAGE, PullResponse, PushRequest, PushResponse

_BUILTIN = builtin.DIARY_ENTRIES, builtin.CARE_NOTES  # importing registers them

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("/push")
def push(body: PushRequest, session: SessionDep, principal: CurrentPrincipal) -> PushResponse:
    """Apply a device's writes in order; each answered applied, duplicate, conflict or rejected.

    The answers are committed before this returns; a retry with the same idempotency keys gets
    the same answers (as `duplicate`) and changes nothing.
    """
    return PushResponse(results=service.push(session, principal, body.mutations))


@router.get("/pull")
def pull(
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> PullResponse:
    """Changes since `cursor` within what the caller may see now; purges for what they lost."""
    return service.pull(session, principal, cursor, limit)
