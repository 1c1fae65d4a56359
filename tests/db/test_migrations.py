"""The schema's history: one line of migrations, and the models match its head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.base import Base
from db.engine import create_engine
from db.migrate import alembic_config


def test_alembic_has_exactly_one_head() -> None:
    # Two branches of work that each add a migration on the same parent fork the schema;
    # this fails until one of them is rebased onto the other.
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = script.get_heads()
    assert len(heads) == 1, f"migration heads: {heads}"
    # And every revision is on the one line from the first to the head.
    assert len(list(script.walk_revisions())) == len(list(script.iterate_revisions(heads[0],
                                                                                    "base")))


async def test_the_models_match_the_migrated_schema(db_url: str) -> None:
    # On the test run's database: SQLite, or PostgreSQL on the second pass.
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata))
    finally:
        await engine.dispose()
    assert diff == []
