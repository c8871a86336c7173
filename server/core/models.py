"""Tables of the shared core: a small key/value store for system facts (demo data version...)."""

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class SystemFact(SQLModel, table=True):
    """A named fact about this installation, e.g. which demo data version was loaded."""

    __tablename__ = "system_fact"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow)
