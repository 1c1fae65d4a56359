"""Shared fixtures: a migrated database per test, a fixed clock, a built runtime.

The test database is SQLite unless `TEST_DATABASE_URL` names a PostgreSQL server (any database
on it, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres): then every test gets a
database of its own on that server, copied from one migrated once (`CREATE DATABASE ...
TEMPLATE`), and tests marked `sqlite_only` are skipped. `.ci/run` runs the suite both ways.

`DATABASE_URL_PG` (a PostgreSQL server too) adds a PostgreSQL variant to the tests that take
the parametrised `sessions` fixture, on a SQLite run: one pass covers both for a developer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import threading
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, load_settings
from core.clock import FixedClock
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade

# python-telegram-bot 22 warns when it builds a RetryAfter unless time periods are timedeltas;
# the bot sets this at start too (bot/cli.py).
os.environ.setdefault("PTB_TIMEDELTA", "1")

OWNER_ID = "9001"
# Monday 23 November 2026, 08:00 WIB.
MONDAY_MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

_TEST_DB = os.environ.get("TEST_DATABASE_URL") or None
ON_POSTGRES = _TEST_DB is not None and make_url(_TEST_DB).get_backend_name() == "postgresql"
if _TEST_DB is not None and not ON_POSTGRES:
    raise pytest.UsageError("TEST_DATABASE_URL must name a PostgreSQL server "
                            "(SQLite is the default)")
# The PostgreSQL server the tests may use: the test database's, or DATABASE_URL_PG beside SQLite.
PG_SERVER = _TEST_DB if ON_POSTGRES else os.environ.get("DATABASE_URL_PG") or None
# What the parametrised `sessions` fixture runs on.
BACKENDS = (["postgres"] if ON_POSTGRES else
            ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)]
                         if PG_SERVER else [])])


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip tests marked `sqlite_only` on a PostgreSQL run."""
    if ON_POSTGRES and item.get_closest_marker("sqlite_only") is not None:
        pytest.skip("SQLite only (TEST_DATABASE_URL is PostgreSQL)")


# --- PostgreSQL: a migrated template, a database per test ------------------------------


async def _pg_admin(statements: list[str]) -> None:
    assert PG_SERVER is not None
    engine = create_async_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def pg_url(database: str) -> str:
    """The URL of `database` on the tests' PostgreSQL server."""
    assert PG_SERVER is not None
    return make_url(PG_SERVER).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A PostgreSQL database upgraded to head once per test run (None without a server)."""
    if PG_SERVER is None:
        yield None
        return
    # A name of its own: two test runs may share one server.
    name = f"dahar_template_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin([f"CREATE DATABASE {name}"]))
    upgrade(pg_url(name))
    yield name
    asyncio.run(_pg_admin([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"]))


async def new_pg_database(template: str) -> str:
    """A fresh database copied from the migrated template; return its name."""
    name = f"dahar_test_{uuid.uuid4().hex[:12]}"
    await _pg_admin([f"CREATE DATABASE {name} TEMPLATE {template}"])
    return name


async def drop_pg_database(name: str) -> None:
    """Drop a test database, closing what a test left connected."""
    await _pg_admin([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


# --- SQLite: a migrated file, copied per test --------------------------------------------


_postgres_passed: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the tests that ran on PostgreSQL (for the line at the end)."""
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say whether the PostgreSQL tests ran: CI's log shows it, even with -q."""
    if ON_POSTGRES:
        where = make_url(PG_SERVER or "").render_as_string(hide_password=True)
        terminalreporter.write_line(f"PostgreSQL: the whole suite ran on {where}")
    elif PG_SERVER:
        where = make_url(PG_SERVER).render_as_string(hide_password=True)
        terminalreporter.write_line(
            f"PostgreSQL: {len(_postgres_passed)} tests passed on {where}")
    else:
        terminalreporter.write_line(
            "PostgreSQL: not tested (set TEST_DATABASE_URL or DATABASE_URL_PG)")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The command line's `main` sets up logging for the process: undo it after each test,
    or its handler keeps writing to a captured stream that is closed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook, warnings.showwarning)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook, sys.unraisablehook, warnings.showwarning = hooks


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_copy(template_db: Path, folder: Path, name: str = "bot.db") -> str:
    """A copy of the migrated SQLite database in `folder`; return its URL."""
    target = folder / name
    shutil.copy(template_db, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def db_url(tmp_path: Path, template_db: Path, pg_template: str | None
                 ) -> AsyncIterator[str]:
    """A fresh, migrated database for one test: SQLite, or PostgreSQL on a PostgreSQL run."""
    if not ON_POSTGRES:
        yield sqlite_copy(template_db, tmp_path)
        return
    assert pg_template is not None
    name = await new_pg_database(pg_template)
    try:
        yield pg_url(name)
    finally:
        await drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path, template_db: Path, pg_template: str | None
) -> AsyncIterator[Sessions]:
    """The session factory of a fresh, migrated database, on each backend of this run."""
    if request.param == "sqlite":
        engine = create_engine(sqlite_copy(template_db, tmp_path, "test.db"))
        try:
            yield create_sessions(engine)
        finally:
            await engine.dispose()
        return
    assert pg_template is not None
    name = await new_pg_database(pg_template)
    engine = create_engine(pg_url(name))
    try:
        yield create_sessions(engine)
    finally:
        await engine.dispose()
        await drop_pg_database(name)


@pytest.fixture
def clock() -> FixedClock:
    """The injected clock, on a Monday morning unless a test moves it."""
    return FixedClock(MONDAY_MORNING)


@pytest.fixture
def make_settings(db_url: str) -> Callable[..., Settings]:
    """Settings for a test: the test database, one owner, plus overrides."""

    def make(extra: Mapping[str, str] | None = None) -> Settings:
        # The konsol's internal listener starts with every `run`: on any free port here,
        # so that tests (and other checkouts on this machine) never fight over 8081.
        env = {"DATABASE_URL": db_url, "ADMIN_TELEGRAM_IDS": OWNER_ID,
               "ADMIN_HTTP_HOST": "127.0.0.1", "ADMIN_HTTP_PORT": "0", **(extra or {})}
        return load_settings(env)

    return make


@pytest.fixture
async def runtime(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[
    Runtime
]:
    """The composed core on the test database (sample calendar loaded)."""
    rt = await build_runtime(make_settings(), clock, migrate=False)
    yield rt
    await rt.close()
