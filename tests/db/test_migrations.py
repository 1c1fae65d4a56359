"""The schema's history: one line of migrations, and the models match its head."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from db.base import Base
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


def test_the_models_match_the_migrated_schema(template_db: Path) -> None:
    engine = create_engine(f"sqlite:///{template_db}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
