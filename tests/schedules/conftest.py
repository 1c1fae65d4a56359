"""Fixtures for the calendar tests: a migrated database per test (moves to tests/ later).

Every test runs on SQLite; when DATABASE_URL_PG names a PostgreSQL server (any database on it,
e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), it runs on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade

PG_URL = os.environ.get("DATABASE_URL_PG")
BACKENDS = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)] if PG_URL else [])]
PG_TEMPLATE = "dahar_calendar_template"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database upgraded to head once; each test gets a copy (migrating costs ~0.5 s)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _pg_admin(statements: list[str]) -> None:
    assert PG_URL is not None
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _pg_url(database: str) -> str:
    assert PG_URL is not None
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> str | None:
    """A PostgreSQL database upgraded to head once, copied per test with CREATE DATABASE."""
    if PG_URL is None:
        return None
    asyncio.run(_pg_admin([
        f"DROP DATABASE IF EXISTS {PG_TEMPLATE}", f"CREATE DATABASE {PG_TEMPLATE}",
    ]))
    upgrade(_pg_url(PG_TEMPLATE))
    return PG_TEMPLATE


@pytest.fixture(params=BACKENDS)
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_db: Path, pg_template: str | None
) -> AsyncIterator[Sessions]:
    """The session factory of a fresh, migrated database."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(migrated_db, path)
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            yield create_sessions(engine)
        finally:
            await engine.dispose()
        return
    name = f"dahar_test_{uuid.uuid4().hex[:12]}"
    await _pg_admin([f"CREATE DATABASE {name} TEMPLATE {pg_template}"])
    engine = create_engine(_pg_url(name))
    try:
        yield create_sessions(engine)
    finally:
        await engine.dispose()
        await _pg_admin([f"DROP DATABASE {name}"])
