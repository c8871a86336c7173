"""Every feature's tables, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from server.core.models import SystemFact

metadata = SQLModel.metadata

__all__ = ["SystemFact", "metadata"]
