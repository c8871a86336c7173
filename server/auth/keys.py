"""Signing keys: RSA keys with a `kid`, rotated on a schedule, published as JWKS until their
last token has expired."""

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc.jwk import KeySet, RSAKey
from sqlmodel import Session, col, or_, select

from server.auth.models import SigningKey
from server.core.settings import Settings

_parsed: dict[str, RSAKey] = {}
_parse_lock = threading.Lock()


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _load(row: SigningKey) -> RSAKey:
    # Parsing a PEM costs about a millisecond; keys never change, so cache them by kid.
    key = _parsed.get(row.kid)
    if key is None:
        with _parse_lock:
            key = RSAKey.import_key(row.private_pem, {"kid": row.kid, "use": "sig", "alg": "RS256"})
            _parsed[row.kid] = key
    return key


def generate(session: Session) -> SigningKey:
    key = RSAKey.generate_key(2048, private=True)
    kid = datetime.now(UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(4)
    pem = key.as_pem(private=True)
    row = SigningKey(kid=kid, private_pem=pem.decode() if isinstance(pem, bytes) else pem)
    session.add(row)
    session.flush()
    return row


def current_key(session: Session, settings: Settings) -> RSAKey:
    """The key to sign with now: the newest active one, or a new one when it is due.

    Due keys are retired, not deleted, so tokens they signed keep verifying until they expire.
    """
    now = datetime.now(UTC)
    active = session.exec(
        select(SigningKey)
        .where(col(SigningKey.retired_at).is_(None))
        .order_by(col(SigningKey.created_at).desc())
    ).all()
    newest = active[0] if active else None
    if newest is None or now - _aware(newest.created_at) > timedelta(
        days=settings.signing_key_rotation_days
    ):
        for old in active:
            old.retired_at = now
            session.add(old)
        newest = generate(session)
    return _load(newest)


def rotate(session: Session) -> SigningKey:
    """Retire every active key and make a new one (an operator's emergency rotation)."""
    now = datetime.now(UTC)
    for old in session.exec(select(SigningKey).where(col(SigningKey.retired_at).is_(None))):
        old.retired_at = now
        session.add(old)
    return generate(session)


def published(session: Session, settings: Settings) -> KeySet:
    """Keys that may have signed a still-valid token: active ones, and retired ones for one
    access-token lifetime (plus a minute of clock skew) after retirement."""
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.access_token_ttl_seconds + 60)
    rows = session.exec(
        select(SigningKey).where(
            or_(col(SigningKey.retired_at).is_(None), col(SigningKey.retired_at) > cutoff)
        )
    ).all()
    return KeySet([_load(row) for row in rows])


def jwks(session: Session, settings: Settings) -> dict[str, Any]:
    return dict(published(session, settings).as_dict(private=False))
