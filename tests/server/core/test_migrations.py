"""The migrations build exactly the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from server.core.migrate import MIGRATIONS_DIR
from server.models import metadata


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_every_revision_is_reachable_from_the_initial_one() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    bases = script.get_bases()

    assert bases == ["0001_initial"]
    for head in script.get_heads():
        chain = [rev.revision for rev in script.walk_revisions("base", head)]
        assert "0001_initial" in chain
