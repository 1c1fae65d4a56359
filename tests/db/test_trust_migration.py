"""Migration 0008 on data a release stored: NIPs of unfinished registrations wait in their
conversation, and audit entries name people by id (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from db.engine import create_engine
from db.migrate import upgrade_async
from db.models import AuditEntry, ConversationState, Person
from tests.conftest import BACKENDS, PG_SERVER, _pg_admin, pg_url

AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend (the migrations create everything)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    assert PG_SERVER is not None
    name = f"dahar_mig_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin([f"CREATE DATABASE {name}"]))
    try:
        yield pg_url(name)
    finally:
        asyncio.run(_pg_admin([f"DROP DATABASE {name}"]))


def _person(pid: int, nip: str, registered: bool) -> dict[str, object]:
    return {"id": pid, "full_name": f"P{pid}", "nip": nip, "tz": "WIB", "subscribed": True,
            "reachable": True, "channel_pinned": False, "preferences": {}, "created_at": AT,
            "registered_at": AT if registered else None}


async def test_0008_moves_unfinished_nips_and_names_audited_people_by_id(url: str) -> None:
    await upgrade_async(url, "0007")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Person), [
                _person(1, "198507142010011003", registered=False),  # typing the next field
                _person(2, "198507142010011004", registered=True),
                _person(3, "198507142010011005", registered=False),  # gave up: /batal
            ])
            await conn.execute(insert(ConversationState), [
                {"person_id": 1, "flow": "registration", "step": "instansi",
                 "data": {"kept": 1}, "updated_at": AT}])
            await conn.execute(insert(AuditEntry), [
                {"at": AT, "actor": "telegram:9001", "action": "correction_add", "rows": 1,
                 "detail": "NIP 198507142010011004, sesi 3 FBI-2026-11-23: hadir via Zoom"}])
        await upgrade_async(url)
        async with engine.connect() as conn:
            nips = dict((await conn.execute(select(Person.id, Person.nip))).all())
            data = (await conn.execute(select(ConversationState.data))).scalar_one()
            detail = (await conn.execute(select(AuditEntry.detail))).scalar_one()
    finally:
        await engine.dispose()
    assert nips == {1: None, 2: "198507142010011004", 3: None}
    assert data == {"kept": 1, "nip": "198507142010011003"}
    assert detail == "person:2, sesi 3 FBI-2026-11-23: hadir via Zoom"
