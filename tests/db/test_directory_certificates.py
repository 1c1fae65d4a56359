"""The konsol's certificate queries on SQLite (and PostgreSQL when DATABASE_URL_PG is set): a
person's certificates a page at a time, valid first; the calendar's first year."""

from __future__ import annotations

from datetime import date

from db.attendance import record_attendance
from db.certificates import Issuer, issue, revoke
from db.directory import first_session_year, person_certificates_query
from db.engine import Sessions
from db.paging import page_of
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib

ISSUER = Issuer("BPSDM Provinsi Jawa Timur", "Dr. Kepala Badan", "Kepala BPSDM")


async def test_a_persons_certificates_valid_first_then_newest(
    sessions: Sessions,
) -> None:
    async with sessions() as db:
        assert await first_session_year(db) is None
    old = await add_session(sessions, code="OLD", day=date(2025, 3, 3), title="Lama")
    mid = await add_session(sessions, code="MID", day=MONDAY.replace(day=2), title="Tengah")
    new = await add_session(sessions, code="NEW", title="Baru")
    siti = await add_person(sessions, "1", nip="198507142010012003", name="Siti")
    rina = await add_person(sessions, "2", nip="197805122003122002", name="Rina")
    now = wib(MONDAY, 12)
    async with sessions() as db, db.begin():
        for pid, sid in ((siti, old), (siti, mid), (siti, new), (rina, new)):
            await record_attendance(db, person_id=pid, session_id=sid, now=now,
                                    channel="telegram")
        certs = await issue(db, [(siti, old), (siti, mid), (siti, new), (rina, new)],
                            issuer=ISSUER, now=now)
        await revoke(db, next(c for c in certs if c.session_id == new and c.person_id == siti),
                     reason="data diubah", now=now)
    async with sessions() as db:
        first = await page_of(db, person_certificates_query(siti), 1, size=2, scalars=True)
        second = await page_of(db, person_certificates_query(siti), 2, size=2, scalars=True)
        assert await first_session_year(db) == 2025
    assert first.total == 3 and first.pages == 2
    assert [(c.title, c.revoked_at is None) for c in [*first.rows, *second.rows]] == [
        ("Tengah", True), ("Lama", True), ("Baru", False)]
