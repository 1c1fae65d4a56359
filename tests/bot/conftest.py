"""Fixtures for the outbox tests: the calendar tests' database per test, SQLite and PostgreSQL."""

from __future__ import annotations

# Shared with tests/schedules until those fixtures move to tests/conftest.py.
import logging
import sys
import threading
import warnings
from collections.abc import Iterator

import pytest

from tests.schedules.conftest import migrated_db, pg_template, sessions

__all__ = ["migrated_db", "pg_template", "sessions"]


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
