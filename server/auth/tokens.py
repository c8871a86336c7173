"""Access tokens: issuing and verifying JWTs, and turning a bearer token into a Principal."""

from fastapi import Request
from sqlmodel import Session

from server.auth.access import Principal
from server.core.errors import Unauthorized


def principal_from_request(request: Request, session: Session) -> Principal:
    raise Unauthorized("sign in first")
