"""Apply the Alembic migrations (at start, and by `dahar-ngopi db upgrade`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "upgrade", "upgrade_async"]

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
