"""Fixtures for the calendar tests: a migrated SQLite database per test (moves to tests/ later)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database upgraded to head once; each test gets a copy (migrating costs ~0.5 s)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def sessions(migrated_db: Path, tmp_path: Path) -> AsyncIterator[Sessions]:
    """The session factory of a fresh, migrated database."""
    path = tmp_path / "test.db"
    shutil.copy(migrated_db, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield create_sessions(engine)
    finally:
        await engine.dispose()
