"""Every feature's tables, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from server.auth.models import (
    AuditChainHead,
    AuditRecord,
    AuthorizationCode,
    CareTeam,
    CareTeamMember,
    Consent,
    Invitation,
    LoginThrottle,
    OAuthClient,
    RecoveryCode,
    RefreshToken,
    SigningKey,
    User,
)
from server.core.models import SystemFact
from server.transit.models import TransitFeed, TransitStop, TransitTranslation

metadata = SQLModel.metadata

__all__ = [
    "AuditChainHead",
    "AuditRecord",
    "AuthorizationCode",
    "CareTeam",
    "CareTeamMember",
    "Consent",
    "Invitation",
    "LoginThrottle",
    "OAuthClient",
    "RecoveryCode",
    "RefreshToken",
    "SigningKey",
    "SystemFact",
    "TransitFeed",
    "TransitStop",
    "TransitTranslation",
    "User",
    "metadata",
]
