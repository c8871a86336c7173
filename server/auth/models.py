"""Tables of identity (users, OAuth clients, codes, tokens, keys), consent and the audit chain."""

import uuid
from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class User(SQLModel, table=True):
    """An account. Residents are linked to the FHIR Patient they are (`patient_id`)."""

    __tablename__ = "auth_user"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    username: str = Field(max_length=100, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    patient_id: str | None = Field(default=None, max_length=64, index=True)
    password_hash: str | None = Field(default=None, max_length=200)
    disabled: bool = False
    totp_secret: str | None = Field(default=None, max_length=64)
    failed_logins: int = 0
    locked_until: datetime | None = None
    # Accounts provisioned from an external identity provider (MACHI_OIDC_ISSUER).
    external_issuer: str | None = Field(default=None, max_length=500)
    external_subject: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """A one-time code that replaces a TOTP code when the phone is lost."""

    __tablename__ = "auth_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="auth_user.id", index=True, max_length=64)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = None


class OAuthClient(SQLModel, table=True):
    """A registered OAuth client: the public app (`machi-app`) or a server-to-server integration."""

    __tablename__ = "auth_client"

    client_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(default="", max_length=200)
    secret_hash: str | None = Field(default=None, max_length=200)  # None: public client
    redirect_uris: str = Field(default="", max_length=4000)  # one per line, matched exactly
    grant_types: str = Field(default="authorization_code refresh_token", max_length=200)
    scope: str = Field(default="", max_length=2000)  # the most this client may ask for
    role: str | None = Field(default=None, max_length=20)  # client credentials act as this role
    created_at: datetime = Field(default_factory=utcnow)


class AuthorizationCode(SQLModel, table=True):
    """A one-time authorization code bound to its client, redirect URI and PKCE challenge."""

    __tablename__ = "auth_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=100)
    user_id: str = Field(foreign_key="auth_user.id", max_length=64)
    redirect_uri: str = Field(max_length=2000)
    scope: str = Field(default="", max_length=2000)
    code_challenge: str = Field(max_length=128)
    nonce: str | None = Field(default=None, max_length=200)
    expires_at: datetime
    used_at: datetime | None = None


class RefreshToken(SQLModel, table=True):
    """One link of a rotating refresh-token chain; reusing a spent link revokes the chain."""

    __tablename__ = "auth_refresh_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    chain_id: str = Field(max_length=64, index=True)
    user_id: str = Field(foreign_key="auth_user.id", max_length=64, index=True)
    client_id: str = Field(max_length=100)
    scope: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


class SigningKey(SQLModel, table=True):
    """An RSA key that signs access tokens; published until its last token has expired."""

    __tablename__ = "auth_signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    private_pem: str = Field(max_length=8000)
    created_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per source address, for rate limiting beyond one account's lock-out."""

    __tablename__ = "auth_login_throttle"

    source: str = Field(primary_key=True, max_length=100)
    window_start: datetime = Field(default_factory=utcnow)
    failures: int = 0


class CareTeam(SQLModel, table=True):
    """The people who look after one care receiver (FHIR CareTeam with subject = the patient)."""

    __tablename__ = "care_team"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class CareTeamMember(SQLModel, table=True):
    """A user's membership of a care team; `removed_at` ends it (history is kept)."""

    __tablename__ = "care_team_member"

    id: int | None = Field(default=None, primary_key=True)
    care_team_id: str = Field(foreign_key="care_team.id", index=True, max_length=64)
    user_id: str = Field(foreign_key="auth_user.id", index=True, max_length=64)
    role: str = Field(max_length=20)
    added_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None


class Consent(SQLModel, table=True):
    """A person's permission (FHIR R4 Consent, provision.type=permit) for a user or a care team.

    `categories` is a space-separated list of DataCategory values; `proxy` allows acting on the
    person's behalf (bookings). Revoking sets status "inactive" and keeps the row.
    """

    __tablename__ = "consent"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    grantor_user_id: str | None = Field(default=None, foreign_key="auth_user.id", max_length=64)
    grantee_user_id: str | None = Field(
        default=None, foreign_key="auth_user.id", index=True, max_length=64
    )
    grantee_care_team_id: str | None = Field(
        default=None, foreign_key="care_team.id", index=True, max_length=64
    )
    relationship: str | None = Field(default=None, max_length=20)  # v3-RoleCode, e.g. DAU
    categories: str = Field(max_length=200)
    proxy: bool = False
    status: str = Field(default="active", max_length=20)
    period_start: datetime = Field(default_factory=utcnow)
    period_end: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class Invitation(SQLModel, table=True):
    """A short code a person gives a relative or a care team member to grant them access."""

    __tablename__ = "auth_invitation"

    code_hash: str = Field(primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    created_by: str = Field(foreign_key="auth_user.id", max_length=64)
    categories: str = Field(max_length=200)
    proxy: bool = False
    relationship: str | None = Field(default=None, max_length=20)
    care_team_id: str | None = Field(default=None, foreign_key="care_team.id", max_length=64)
    consent_days: int | None = None
    expires_at: datetime
    accepted_by: str | None = Field(default=None, foreign_key="auth_user.id", max_length=64)
    accepted_at: datetime | None = None


class AuditRecord(SQLModel, table=True):
    """One access decision on health data. Append-only; `hash` chains it to the row before."""

    __tablename__ = "audit_record"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    recorded: datetime
    subject: str = Field(max_length=200, index=True)
    role: str = Field(max_length=20)
    client_id: str = Field(default="", max_length=100)
    action: str = Field(max_length=20)
    patient_id: str | None = Field(default=None, max_length=64, index=True)
    category: str = Field(max_length=30)
    resource: str = Field(default="", max_length=200)
    outcome: str = Field(max_length=10)  # "allowed" | "denied"
    reason: str = Field(default="", max_length=200)
    proxy: bool = False
    source: str | None = Field(default=None, max_length=100)
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The single lock row of the audit chain: the last sequence number and hash.

    Every append updates it first, which serialises appends on SQLite (write lock) and
    PostgreSQL (row lock), and lets `audit verify` detect a removed last row.
    """

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0
    hash: str = Field(max_length=64)
