"""Jitsi Meet video rooms: unguessable room names and per-participant, room-bound JWTs.

Claims follow Jitsi's token plugin (prosody `token/util.lib.lua`): `iss` must be the app id,
`aud` an accepted audience, `room` the room *name* (lower-case), `exp` is enforced; `sub`
(the domain) is checked only with domain verification on, so we set it anyway. Whether
Jitsi enforces `nbf` depends on the version, which is why our own join endpoint checks the
window too before it sends anyone on to the room. Moderation comes from the jitsi-contrib
`token_affiliation` plugin: `context.user.affiliation` "owner" or "member"; every value in
`context.user` must be a string (a null there crashes the plugin).
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlmodel import Session

from server.core.errors import Forbidden
from server.core.models import SystemFact
from server.core.settings import Settings

Affiliation = Literal["owner", "member"]
_ROOM_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_SECRET_FACT = "video_secret"


def new_room_name() -> str:
    """120 random bits, lower-case (Jitsi lower-cases room names), nothing from the booking."""
    return "machi-" + "".join(secrets.choice(_ROOM_ALPHABET) for _ in range(24))


@dataclass(frozen=True)
class JoinWindow:
    opens: datetime
    closes: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens <= moment < self.closes


def join_window(settings: Settings, start: datetime, end: datetime) -> JoinWindow:
    """From `video_join_early_minutes` before the start until the end of the appointment."""
    return JoinWindow(
        opens=aware(start) - timedelta(minutes=settings.video_join_early_minutes),
        closes=aware(end),
    )


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def video_secret(session: Session, settings: Settings) -> str:
    """MACHI_VIDEO_SECRET, or (demo only) a random one kept in the database."""
    if settings.video_secret:
        return settings.video_secret
    fact = session.get(SystemFact, _SECRET_FACT)
    if fact is None:
        fact = SystemFact(key=_SECRET_FACT, value=secrets.token_urlsafe(48))
        session.add(fact)
        session.flush()
    return fact.value


@dataclass(frozen=True)
class Participant:
    user_id: str
    name: str
    affiliation: Affiliation
    email: str = ""


def issue_token(
    secret: str, settings: Settings, *, room: str, window: JoinWindow, who: Participant
) -> str:
    """A token that lets `who` into `room` during `window`, and nowhere else at no other time."""
    claims: dict[str, Any] = {
        "iss": settings.video_app_id,
        "aud": settings.video_audience,
        "sub": settings.video_domain,
        "room": room,
        "nbf": int(window.opens.timestamp()),
        "exp": int(window.closes.timestamp()),
        "iat": int(datetime.now(UTC).timestamp()),
        "context": {
            "user": {
                "id": who.user_id,
                "name": who.name or who.user_id,
                "email": who.email,
                "avatar": "",
                "affiliation": who.affiliation,
                # 8x8 JaaS reads this instead of the affiliation; strings only.
                "moderator": "true" if who.affiliation == "owner" else "false",
            },
            "features": {"lobby-bypass": "true" if who.affiliation == "owner" else "false"},
        },
    }
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(secret))


def room_url(settings: Settings, room: str, token: str) -> str:
    """The Jitsi web link: opens in any browser, nothing to install."""
    return f"https://{settings.video_domain}/{quote(room)}?jwt={token}"


def verify_token(
    secret: str, settings: Settings, token: str, *, room: str, now: datetime
) -> dict[str, Any]:
    """The claims, when the token is ours, for this room, and now is inside its window."""
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=["HS256"])
    except (JoseError, ValueError):
        raise Forbidden("this join link is not valid") from None
    claims = decoded.claims
    if claims.get("iss") != settings.video_app_id or claims.get("aud") != settings.video_audience:
        raise Forbidden("this join link is not valid")
    if str(claims.get("room", "")).lower() != room.lower():
        raise Forbidden("this join link is for another consultation")
    moment = int(aware(now).timestamp())
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not isinstance(nbf, int) or not isinstance(exp, int):
        raise Forbidden("this join link is not valid")
    if moment < nbf:
        opens = datetime.fromtimestamp(nbf, UTC).isoformat()
        raise Forbidden(f"the consultation room opens at {opens}")
    if moment >= exp:
        raise Forbidden("this consultation has ended; the join link has expired")
    return claims
