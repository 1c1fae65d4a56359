"""The read queries the menu and the scheduler use, and the programmes table."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.programme import PROGRAMMES
from db.engine import Sessions
from db.models.calendar import Programme
from schedules.calendar import (
    calendar_is_empty,
    ensure_programmes,
    session_by_code,
    sessions_between,
    sessions_on,
)
from tests.schedules.calendar_helpers import BELAJAR, FORUM, HEADER, csv_bytes, run_import


async def test_ensure_programmes_is_idempotent(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        assert await ensure_programmes(s) == 5
        assert await ensure_programmes(s) == 0
        row = await s.get(Programme, "asn-belajar")
        assert row is not None
        row.name = "Nama lama"
    async with sessions() as s, s.begin():
        assert await ensure_programmes(s) == 1
        rows = list(await s.scalars(select(Programme).order_by(Programme.weekday)))
    assert [(p.key, p.name) for p in rows] == [(p.key, p.name) for p in PROGRAMMES]


async def test_sessions_on_between_and_by_code(sessions: Sessions) -> None:
    async with sessions() as s:
        assert await calendar_is_empty(s)
    header = HEADER + ",status"
    await run_import(sessions, csv_bytes(
        BELAJAR + ",aktif",
        "2026-11-26,ASN Belajar,Sesi pagi,X,07:00,08:00,1,,,,,aktif",
        "2026-11-26,ASN Belajar,Sesi batal,X,13:00,14:00,1,,,,,batal",
        FORUM + ",aktif",
        header=header,
    ))
    async with sessions() as s:
        assert not await calendar_is_empty(s)
        on = await sessions_on(s, date(2026, 11, 26))
        assert [x.title for x in on] == ["Sesi pagi", "Etika Pelayanan Publik"]
        assert await sessions_on(s, date(2026, 11, 27)) == []
        week = await sessions_between(s, date(2026, 11, 23), date(2026, 11, 27))
        assert [x.title for x in week] == [
            "Mal Pelayanan Publik", "Sesi pagi", "Etika Pelayanan Publik"
        ]
        every = await sessions_between(s, date(2026, 11, 23), date(2026, 11, 27),
                                       include_cancelled=True)
        assert len(every) == 4
        found = await session_by_code(s, " 20261126-asn-belajar-1300 ")
        assert found is not None and found.status == "batal"
        assert await session_by_code(s, "tidak-ada") is None
