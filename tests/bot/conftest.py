"""Fixtures for the outbox tests: the calendar tests' database per test, SQLite and PostgreSQL."""

from __future__ import annotations

# Shared with tests/schedules until those fixtures move to tests/conftest.py.
from tests.schedules.conftest import migrated_db, pg_template, sessions

__all__ = ["migrated_db", "pg_template", "sessions"]
