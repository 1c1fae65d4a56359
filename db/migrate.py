"""Apply the Alembic migrations (at start, and by `dahar-ngopi db upgrade`); read the revision."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import create_engine

__all__ = ["alembic_config", "current_revision", "head_revision", "revision_of", "upgrade",
           "upgrade_async"]

_HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` (blocking; run outside the event loop)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Upgrade from inside a running event loop (Alembic runs its own loop in a thread)."""
    await asyncio.to_thread(upgrade, url, revision)


def head_revision() -> str | None:
    """The revision this code's models need."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def revision_of(db: AsyncSession) -> str | None:
    """The revision the database behind this session is at."""
    return await db.run_sync(lambda sync: _revision_of(sync.connection()))


async def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at (None: no migrations applied, e.g. empty).

    Connects without creating anything; for SQLite, check first that the file exists
    (connecting creates it)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_revision_of)
    finally:
        await engine.dispose()
