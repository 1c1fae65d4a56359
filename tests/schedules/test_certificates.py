"""Issuing certificates (SQLite, and PostgreSQL when DATABASE_URL_PG is set): after the delay,
one per person and session, numbers gap-free per year under two racing processes and a
restart; later NIPs, corrections, changed names and sessions; a required evaluation."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from core.clock import FixedClock
from core.config import CertificateConfig, CoreConfig
from core.types import Reply
from db.attendance import record_attendance, record_many, remove_attendance
from db.certificates import (
    forget_holder,
    request_check,
    revoke,
    revoke_for_attendance,
)
from db.engine import Sessions
from db.learning import rate
from db.models import Certificate, LearningSession, OutboxMessage, OutboxPayload, Person
from schedules.calendar_report import SessionChange
from schedules.certificate_delivery import DocumentGone, DocumentMaker
from schedules.certificates import CertificateSweep, check_changed_sessions
from schedules.transcripts import TranscriptPlanner
from tests.auxil.pdf import pdf_text
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib

CONFIG = CoreConfig(certificates=CertificateConfig(public_url="https://dn.example.id",
                                                   signer_name="Dr. Kepala"))
NIP_A, NIP_B, NIP_C = "198507142010012003", "199001012015031001", "197805122003122002"


def _sweep(sessions: Sessions, *, batch: int = 500) -> CertificateSweep:
    return CertificateSweep(sessions, CONFIG, ["telegram"], batch=batch)


async def _attend(sessions: Sessions, pid: int, sid: int, at: datetime) -> None:
    async with sessions() as s, s.begin():
        await record_attendance(s, person_id=pid, session_id=sid, now=at, channel="telegram")


async def _certs(sessions: Sessions) -> list[Certificate]:
    async with sessions() as s:
        return list(await s.scalars(select(Certificate).order_by(Certificate.id)))


async def _rows(sessions: Sessions, prefix: str) -> list[OutboxMessage]:
    async with sessions() as s:
        return list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.idem_key.startswith(prefix)).order_by(OutboxMessage.id)))


async def _body(sessions: Sessions, row: OutboxMessage) -> dict[str, object]:
    async with sessions() as s:
        payload = await s.get(OutboxPayload, row.payload_id)
    assert payload is not None
    return payload.body


async def test_issued_after_the_delay_once_with_its_snapshot(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="C1", start=(9, 0), hours=2, jp=2, title="Arsip")
    siti = await add_person(sessions, "1", nip=NIP_A, name="Siti Aminah")
    budi = await add_person(sessions, "2", name="Budi")  # no NIP
    zero = await add_session(sessions, code="C0", start=(13, 0), hours=1, jp=0)
    for pid in (siti, budi):
        await _attend(sessions, pid, sid, wib(MONDAY, 10, 30))
    await _attend(sessions, siti, zero, wib(MONDAY, 13, 30))
    sweep = _sweep(sessions)
    assert (await sweep.run(wib(MONDAY, 11, 14))).issued == 0  # 14 minutes after the end
    report = await sweep.run(wib(MONDAY, 11, 15))
    assert report.issued == 1 and report.notices == 1
    [cert] = await _certs(sessions)
    assert (cert.number, cert.person_id, cert.session_id) == ("DN/2026/000001", siti, sid)
    assert (cert.holder_name, cert.holder_nip, cert.title, cert.jp) == (
        "Siti Aminah", NIP_A, "Arsip", 2.0)
    assert (cert.programme, cert.signer_name, cert.organiser) == (
        "Forum ASN Berbagi Ilmu", "Dr. Kepala", "BPSDM Provinsi Jawa Timur")
    assert len(cert.code) == 16 and cert.code.isalnum()
    [row] = await _rows(sessions, "certificate:")
    assert (row.idem_key, row.person_id, row.kind, row.ref_type, row.ref_id) == (
        f"certificate:{cert.id}", siti, "certificate", "certificate", cert.id)
    body = await _body(sessions, row)
    document = body["document"]
    assert isinstance(document, dict) and document["source"] == f"certificate:{cert.id}"
    assert document["filename"] == "Sertifikat_DN-2026-000001_Arsip.pdf"
    assert f"https://dn.example.id/verifikasi/{cert.code}" in str(body["text"])
    [nip_notice] = await _rows(sessions, "certificate-nip:")
    assert nip_notice.person_id == budi
    assert "NIP Bapak/Ibu belum diisi" in str((await _body(sessions, nip_notice))["text"])
    # Again, and after a "restart" (a new sweep object): nothing new.
    assert (await sweep.run(wib(MONDAY, 11, 16))).issued == 0
    assert (await _sweep(sessions).run(wib(MONDAY, 12, 0))).issued == 0
    assert len(await _certs(sessions)) == 1
    assert len(await _rows(sessions, "certificate")) == 2


async def test_later_attendance_and_a_nip_added_later(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="C2", start=(9, 0), hours=2, jp=3)
    late = await add_person(sessions, "3", nip=NIP_A)
    nipless = await add_person(sessions, "4")
    sweep = _sweep(sessions)
    await sweep.run(wib(MONDAY, 11, 20))
    await _attend(sessions, late, sid, wib(MONDAY, 19, 0))
    await _attend(sessions, nipless, sid, wib(MONDAY, 19, 0))
    assert (await sweep.run(wib(MONDAY, 19, 1))).issued == 1
    # The next day, attendance closed: the session is swept no more...
    await sweep.run(wib(MONDAY + timedelta(days=1), 9))
    async with sessions() as s, s.begin():
        person = await s.get(Person, nipless)
        assert person is not None
        person.nip = NIP_B
    assert (await sweep.run(wib(MONDAY + timedelta(days=1), 9, 1))).issued == 0
    # ...until the person's NIP asks for a check.
    async with sessions() as s, s.begin():
        await request_check(s, "person", nipless, wib(MONDAY + timedelta(days=1), 9, 1))
    report = await sweep.run(wib(MONDAY + timedelta(days=1), 9, 2))
    assert (report.issued, report.checks) == (1, 1)
    assert [c.number for c in await _certs(sessions)] == ["DN/2026/000001", "DN/2026/000002"]


async def test_corrections_revoke_and_replace(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="C3", start=(9, 0), hours=2, jp=2, title="Lama")
    a = await add_person(sessions, "5", nip=NIP_A, name="Siti")
    b = await add_person(sessions, "6", nip=NIP_B, name="Budi")
    for pid in (a, b):
        await _attend(sessions, pid, sid, wib(MONDAY, 10))
    sweep = _sweep(sessions)
    await sweep.run(wib(MONDAY, 11, 15))
    first_a, first_b = await _certs(sessions)
    now = wib(MONDAY, 12)
    # An attendance corrected away: revoked at once (as /koreksi hapus does).
    async with sessions() as s, s.begin():
        assert await remove_attendance(s, person_id=b, session_id=sid)
        assert await revoke_for_attendance(s, b, sid, reason="kehadiran dihapus", now=now)
    # A changed name: revoked and replaced with a new number.
    async with sessions() as s, s.begin():
        await s.execute(update(Person).where(Person.id == a).values(full_name="Siti Aminah"))
        await request_check(s, "person", a, now)
    report = await sweep.run(now)
    assert (report.revoked, report.issued) == (1, 1)
    certs = {c.id: c for c in await _certs(sessions)}
    assert certs[first_a.id].revoked_at == now and certs[first_b.id].revoke_reason == (
        "kehadiran dihapus")
    [new_a] = [c for c in certs.values() if c.revoked_at is None]
    assert (new_a.number, new_a.holder_name) == ("DN/2026/000003", "Siti Aminah")
    [replacement] = await _rows(sessions, f"certificate:{new_a.id}")
    assert "Menggantikan sertifikat nomor DN/2026/000001" in str(
        (await _body(sessions, replacement))["text"])
    # A changed title (a calendar import): every certificate of the session is replaced.
    async with sessions() as s, s.begin():
        await s.execute(update(LearningSession).where(LearningSession.id == sid)
                        .values(title="Baru"))
    change = SessionChange(kind="updated", session_id=sid, code="C3", day=MONDAY,
                           programme_key="forum-berbagi-ilmu", title="Baru", fields=("title",))
    assert await check_changed_sessions(sessions, [change], now) == 1
    await sweep.run(now + timedelta(minutes=1))
    valid = [c for c in await _certs(sessions) if c.revoked_at is None]
    assert [(c.number, c.title) for c in valid] == [("DN/2026/000004", "Baru")]


async def test_a_required_evaluation_comes_first(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="C4", start=(9, 0), hours=2, jp=2,
                            evaluation="wajib")
    pid = await add_person(sessions, "7", nip=NIP_A)
    await _attend(sessions, pid, sid, wib(MONDAY, 10))
    sweep = _sweep(sessions)
    report = await sweep.run(wib(MONDAY, 11, 15))
    assert (report.issued, report.notices) == (0, 1)
    [asked] = await _rows(sessions, "certificate-evaluation:")
    body = await _body(sessions, asked)
    assert "evaluasi singkat" in str(body["text"]) and body["sign_buttons"] is True
    async with sessions() as s, s.begin():
        for aspect in range(3):
            await rate(s, person_id=pid, session_id=sid, aspect=aspect, score=4,
                       now=wib(MONDAY, 11, 20))
    assert (await sweep.run(wib(MONDAY, 11, 21))).issued == 1


async def test_erasure_keeps_the_certificate_without_its_holder(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="C5", start=(9, 0), hours=2, jp=2)
    pid = await add_person(sessions, "8", nip=NIP_A)
    await _attend(sessions, pid, sid, wib(MONDAY, 10))
    await _sweep(sessions).run(wib(MONDAY, 11, 15))
    async with sessions() as s, s.begin():
        assert await forget_holder(s, pid, wib(MONDAY, 12)) == 1
    [cert] = await _certs(sessions)
    assert (cert.holder_name, cert.holder_nip, cert.holder_instansi) == (None, None, None)
    assert cert.holder_erased_at == wib(MONDAY, 12) and cert.revoked_at is None


async def test_two_processes_issue_each_certificate_once_without_gaps(
    sessions: Sessions,
) -> None:
    sid = await add_session(sessions, code="C6", start=(9, 0), hours=2, jp=2)
    other = await add_session(sessions, code="C7", start=(13, 0), hours=1, jp=1)
    people = []
    async with sessions() as s, s.begin():
        for i in range(300):
            person = Person(full_name=f"Peserta {i}", nip=f"19900101201503{1000 + i:04d}",
                            tz="WIB", registered_at=wib(MONDAY, 8), subscribed=True,
                            reachable=True, preferences={}, created_at=wib(MONDAY, 8))
            s.add(person)
            await s.flush()
            people.append(person.id)
        await record_many(s, [(p, sid) for p in people] + [(p, other) for p in people[:100]],
                          now=wib(MONDAY, 10), channel="telegram")
    bind = sessions.kw["bind"]
    url = bind.url.render_as_string(hide_password=False)
    at = wib(MONDAY, 14, 30).isoformat()

    async def child() -> dict[str, int]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.schedules.certificate_child", "--db", url, "--at", at,
            "--batch", "40", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 90)
        assert proc.returncode == 0, err.decode()[-2000:]
        return dict(json.loads(out))

    first, second = await asyncio.gather(child(), child())
    assert first["issued"] + second["issued"] == 400
    assert (await child())["issued"] == 0  # a restart issues nothing again
    certs = await _certs(sessions)
    assert sorted(c.seq for c in certs) == list(range(1, 401))  # gap-free, each number once
    assert len({(c.person_id, c.session_id) for c in certs}) == 400
    async with sessions() as s:
        rows = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "certificate"))
    assert rows == 0  # people without a channel identity: issued, nothing to deliver to


async def test_year_end_transcript_and_documents_made_when_sent(
    sessions: Sessions,
) -> None:
    sid = await add_session(sessions, code="C8", start=(9, 0), hours=2, jp=2, title="Arsip")
    pid = await add_person(sessions, "9", nip=NIP_A, name="Siti Aminah")
    await add_person(sessions, "10", nip=NIP_B)  # attended nothing: no transcript
    await _attend(sessions, pid, sid, wib(MONDAY, 10))
    await _sweep(sessions).run(wib(MONDAY, 11, 15))
    planner = TranscriptPlanner(sessions, CONFIG, ["telegram"])
    assert await planner.run(wib(date(2026, 12, 31), 13, 59)) == []  # 15.59 WIT
    outcomes = await planner.run(wib(date(2026, 12, 31), 16, 0))
    assert [(o.key, o.status, o.recipients) for o in outcomes] == [
        ("transcript:2026:WIB", "planned", 1), ("transcript:2026:WITA", "planned", 0),
        ("transcript:2026:WIT", "planned", 0)]
    assert (await planner.run(wib(date(2027, 1, 2), 9, 0)))[0].status == "exists"
    [row] = await _rows(sessions, "transcript:2026:")
    assert row.person_id == pid and row.kind == "certificate"
    maker = DocumentMaker(sessions, CONFIG, FixedClock(wib(date(2026, 12, 31), 16, 1)))
    reply = await maker(Reply.from_dict(await _body(sessions, row)), pid)
    assert reply.document is not None and reply.document.content is not None
    assert reply.document.filename == "Rekap-JP_2026_Siti-Aminah.pdf"
    text = pdf_text(reply.document.content)
    assert "Arsip" in text and "DN/2026/000001" in text and "Total: 2 JP" in text
    # The certificate's own row renders its PDF; once revoked, it cannot be made any more.
    [cert_row] = await _rows(sessions, "certificate:")
    cert_reply = await maker(Reply.from_dict(await _body(sessions, cert_row)), pid)
    assert cert_reply.document is not None and cert_reply.document.content is not None
    assert "Siti Aminah" in pdf_text(cert_reply.document.content)
    async with sessions() as s, s.begin():
        cert = (await s.scalars(select(Certificate))).one()
        await revoke(s, cert, reason="uji", now=wib(MONDAY, 12))
    with pytest.raises(DocumentGone):
        await maker(Reply.from_dict(await _body(sessions, cert_row)), pid)


async def test_a_correction_on_a_required_evaluation_asks_for_it(
    sessions: Sessions,
) -> None:
    sid = await add_session(sessions, code="C9", start=(9, 0), hours=2, jp=2,
                            evaluation="wajib")
    pid = await add_person(sessions, "11", nip=NIP_A)
    sweep = _sweep(sessions)
    tuesday = wib(MONDAY + timedelta(days=1), 9)
    await sweep.run(tuesday)  # swept: nobody attended
    async with sessions() as s, s.begin():  # /koreksi tambah the next day
        await record_attendance(s, person_id=pid, session_id=sid, now=tuesday,
                                channel="admin", source="correction")
        await request_check(s, "person", pid, tuesday)
    report = await sweep.run(tuesday + timedelta(minutes=1))
    assert (report.issued, report.notices) == (0, 1)
    [asked] = await _rows(sessions, "certificate-evaluation:")
    assert asked.idem_key == f"certificate-evaluation:{sid}:{pid}"
    async with sessions() as s, s.begin():
        for aspect in range(3):
            await rate(s, person_id=pid, session_id=sid, aspect=aspect, score=5, now=tuesday)
        await request_check(s, "person", pid, tuesday)
    assert (await sweep.run(tuesday + timedelta(minutes=2))).issued == 1
