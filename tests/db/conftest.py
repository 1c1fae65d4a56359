"""Fixtures of the db tests: the session factory of a fresh, migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from db.engine import Sessions, create_engine, create_sessions


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    """The session factory of the test's database."""
    engine = create_engine(db_url)
    yield create_sessions(engine)
    await engine.dispose()
