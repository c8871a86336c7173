"""Accounts: creation, passwords (argon2id), lock-out, TOTP two-factor login, recovery codes."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from server.auth.access import STAFF_ROLES, Role
from server.auth.models import LoginThrottle, RecoveryCode, User, new_id
from server.core.errors import Conflict, InvalidInput, MachiError, NotFound
from server.core.settings import Settings

MIN_PASSWORD_LENGTH = 10
RECOVERY_CODES = 8
# Per source address, on top of the per-account lock-out: slows spraying one password
# over many accounts.
SOURCE_MAX_FAILURES = 30
SOURCE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("not a real password, only spends the same time")


class TooManyAttempts(MachiError):
    status_code = 429
    error = "too_many_attempts"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are shown once and never stored."""
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all():
        session.delete(old)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw)))
    session.flush()
    return codes


@dataclass
class NewAccount:
    user: User
    totp_uri: str | None = None
    recovery_codes: list[str] = field(default_factory=list)


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    password: str,
    display_name: str = "",
    patient_id: str | None = None,
) -> NewAccount:
    """A new account; residents get a FHIR Patient id, staff a TOTP secret and recovery codes."""
    username = username.strip()
    if not username or len(username) > 100:
        raise InvalidInput("a user name needs 1 to 100 characters")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"user name {username!r} is taken")
    if role is Role.RESIDENT and not patient_id:
        patient_id = new_id()
    if role is not Role.RESIDENT and patient_id:
        raise InvalidInput("only residents are linked to a FHIR Patient")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        patient_id=patient_id,
        password_hash=hash_password(password),
    )
    account = NewAccount(user=user)
    if role in STAFF_ROLES:
        user.totp_secret = pyotp.random_base32()
        account.totp_uri = pyotp.TOTP(user.totp_secret).provisioning_uri(
            name=username, issuer_name="machi"
        )
    session.add(user)
    session.flush()
    if role in STAFF_ROLES:
        account.recovery_codes = new_recovery_codes(session, user)
    return account


def get_by_username(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(col(User.role), col(User.username))).all()


def set_disabled(session: Session, username: str, disabled: bool = True) -> User:
    user = get_by_username(session, username)
    user.disabled = disabled
    session.add(user)
    return user


def reset_password(session: Session, username: str, password: str) -> User:
    """New password; also lifts a lock-out."""
    user = get_by_username(session, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None  # a message for the person signing in
    needs_totp: bool = False


def _throttle(session: Session, source: str, now: datetime) -> LoginThrottle:
    row = session.get(LoginThrottle, source)
    if row is None:
        row = LoginThrottle(source=source, window_start=now, failures=0)
    elif now - _aware(row.window_start) > SOURCE_WINDOW:
        row.window_start = now
        row.failures = 0
    return row


def authenticate(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    totp_code: str = "",
    source: str = "unknown",
) -> LoginResult:
    """Check a sign-in. Failures are counted in `session` and returned, not raised, so the
    caller's transaction commits the count (a raised error would roll it back)."""
    now = utcnow()
    throttle = _throttle(session, source[:100], now)
    if throttle.failures >= SOURCE_MAX_FAILURES:
        return LoginResult(None, "too many failed sign-ins from this device; wait 15 minutes")
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user and user.locked_until and _aware(user.locked_until) > now:
        minutes = max(1, int((_aware(user.locked_until) - now).total_seconds() // 60) + 1)
        return LoginResult(
            None,
            f"this account is locked after {settings.login_max_failures} failed sign-ins; "
            f"try again in {minutes} minutes or ask the city office to reset it",
        )
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        throttle.failures += 1
        session.add(throttle)
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                user.failed_logins = 0
            session.add(user)
        return LoginResult(None, "wrong user name or password")
    if user.disabled:
        return LoginResult(None, "this account is disabled")
    if Role(user.role) in STAFF_ROLES:
        if not totp_code.strip():
            return LoginResult(None, "enter the 6-digit code from your authenticator app", True)
        if not _check_second_factor(session, user, totp_code):
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                user.failed_logins = 0
            session.add(user)
            return LoginResult(None, "the code is wrong or expired", True)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    return LoginResult(user)


def _check_second_factor(session: Session, user: User, code: str) -> bool:
    code = code.strip().replace(" ", "")
    if code.isdigit() and user.totp_secret:
        return bool(pyotp.TOTP(user.totp_secret).verify(code, valid_window=1))
    row = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
    ).first()
    if row is None:
        return False
    row.used_at = utcnow()
    session.add(row)
    return True
