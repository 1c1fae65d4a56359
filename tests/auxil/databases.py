"""Whole databases for tests that need URLs (backups, restores): SQLite files, and PostgreSQL
databases on the tests' PostgreSQL server (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from db.backup import server_major
from db.backup_pg import PgToolError, find_tool
from db.migrate import upgrade_async
from tests.conftest import PG_SERVER, _pg_admin, drop_pg_database, pg_url

__all__ = ["BACKENDS", "PG_URL", "database", "need_pg_tools"]

# The tests' PostgreSQL server (TEST_DATABASE_URL, or DATABASE_URL_PG beside SQLite): these
# tests make whole databases of their own on it, on both backends whenever it is there.
PG_URL = PG_SERVER
BACKENDS: list[Any] = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)]
                                   if PG_URL else [])]


@asynccontextmanager
async def database(
    backend: str, tmp_path: Path, *, migrated: bool = True, template: Path | None = None
) -> AsyncIterator[str]:
    """A database of its own for the test: migrated to head, or empty (`migrated=False`).

    SQLite: a file in `tmp_path` (a copy of `template` if given); PostgreSQL: a database
    created on the server and dropped after the test."""
    if backend == "sqlite":
        path = tmp_path / f"db-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite+aiosqlite:///{path}"
        if migrated and template is not None:
            await asyncio.to_thread(shutil.copy, template, path)
        elif migrated:
            await upgrade_async(url)
        yield url
        return
    assert PG_URL is not None
    name = f"dahar_ops_{uuid.uuid4().hex[:12]}"
    await _pg_admin([f"CREATE DATABASE {name}"])
    url = pg_url(name)
    try:
        if migrated:
            await upgrade_async(url)
        yield url
    finally:
        await drop_pg_database(name)


async def need_pg_tools(url: str) -> None:
    """Skip the test when pg_dump, pg_restore and psql of the server's version are absent."""
    major = await server_major(url)
    try:
        for tool in ("pg_dump", "pg_restore", "psql"):
            await asyncio.to_thread(find_tool, tool, major)
    except PgToolError as exc:
        pytest.skip(str(exc))
