"""Shared fixtures: a migrated database per test, a fixed clock, a built runtime."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, load_settings
from core.clock import FixedClock
from db.migrate import upgrade

# python-telegram-bot 22 warns when it builds a RetryAfter unless time periods are timedeltas;
# the bot sets this at start too (bot/cli.py).
os.environ.setdefault("PTB_TIMEDELTA", "1")

OWNER_ID = "9001"
# Monday 23 November 2026, 08:00 WIB.
MONDAY_MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


_postgres_passed: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the tests that ran on PostgreSQL (for the line at the end)."""
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say whether the PostgreSQL tests ran: CI's log shows it, even with -q."""
    url = os.environ.get("DATABASE_URL_PG")
    if url:
        where = make_url(url).render_as_string(hide_password=True)
        terminalreporter.write_line(
            f"PostgreSQL: {len(_postgres_passed)} tests passed on {where}")
    else:
        terminalreporter.write_line("PostgreSQL: not tested (set DATABASE_URL_PG)")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def db_url(tmp_path: Path, template_db: Path) -> str:
    """A fresh, migrated SQLite database for one test."""
    target = tmp_path / "bot.db"
    shutil.copy(template_db, target)
    return f"sqlite+aiosqlite:///{target}"


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
