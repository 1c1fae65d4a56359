"""Whole databases for tests that need URLs (backups, restores): SQLite files, and PostgreSQL
databases on the server DATABASE_URL_PG names."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.backup import server_major
from db.backup_pg import PgToolError, find_tool
from db.migrate import upgrade_async

__all__ = ["BACKENDS", "PG_URL", "database", "need_pg_tools"]

PG_URL = os.environ.get("DATABASE_URL_PG")
BACKENDS: list[Any] = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)]
                                   if PG_URL else [])]


async def _pg_admin(*statements: str) -> None:
    assert PG_URL is not None
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


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
    await _pg_admin(f"CREATE DATABASE {name}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            await upgrade_async(url)
        yield url
    finally:
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def need_pg_tools(url: str) -> None:
    """Skip the test when pg_dump, pg_restore and psql of the server's version are absent."""
    major = await server_major(url)
    try:
        for tool in ("pg_dump", "pg_restore", "psql"):
            await asyncio.to_thread(find_tool, tool, major)
    except PgToolError as exc:
        pytest.skip(str(exc))
