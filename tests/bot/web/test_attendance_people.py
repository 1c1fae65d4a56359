"""Kehadiran, Peserta, Admin and Audit in the konsol: lists and charts, exports that open,
corrections, JP per person, a profile, erasure, admins, and the audit of every view."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
from sqlalchemy import select

from db.models import Attendance, AuditEntry, LearningSession, Person
from db.people import add_admin
from tests.bot.web.konsol_client import KonsolClient
from tests.bot.web.seed import add_people


async def _attend(konsol: KonsolClient, ids: list[int]) -> int:
    """Everyone attended the 2026-11-05 session; returns its id."""
    async with konsol.rt.sessions() as db, db.begin():
        s = await db.scalar(select(LearningSession).where(LearningSession.day == date(2026, 11, 5)))
        assert s is not None
        for pid in ids:
            db.add(Attendance(person_id=pid, session_id=s.id, reported_at=s.starts_at,
                              channel="telegram", source="self"))
        return s.id


async def _audit(konsol: KonsolClient) -> list[tuple[str, str]]:
    async with konsol.rt.sessions() as db:
        rows = await db.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(a.action, a.detail) for a in rows]


def test_attendance_lists_charts_and_exports_that_open(konsol: KonsolClient) -> None:
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 3)
    sid = konsol.run(_attend, konsol, ids)
    konsol.login()
    month = konsol.get("/konsol/kehadiran?bulan=2026-11")
    assert month.status_code == 200 and f"/konsol/kehadiran/sesi/{sid}" in month.text
    chart = konsol.client.get("/konsol/kehadiran/grafik.png?bulan=2026-11")
    assert chart.headers["content-type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    one = konsol.get(f"/konsol/kehadiran/sesi/{sid}")
    assert "Peserta 1" in one.text and "198507142010011000" not in one.text  # NIP masked
    views = [d for a, d in konsol.run(_audit, konsol) if a == "view_attendance"]
    assert views and f"person:{ids[0]}" in views[0]
    assert konsol.client.get(f"/konsol/kehadiran/sesi/{sid}/grafik.png").content[:4] == b"\x89PNG"
    semi = konsol.client.get(f"/konsol/kehadiran/ekspor?sesi={sid}&format=csv&sep=;")
    rows = list(csv.reader(io.StringIO(semi.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["NIP", "Nama"] and len(rows) == 4
    book = konsol.client.get("/konsol/kehadiran/ekspor?dari=2026-11-01&sampai=2026-11-30"
                             "&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True)
    assert "Ringkasan" in sheet.sheetnames
    exports = [d for a, d in konsol.run(_audit, konsol) if a == "export"]
    assert len(exports) == 2
    jp = konsol.get("/konsol/kehadiran/jp?tahun=2026")
    assert "Peserta 1" in jp.text and "view_jp" in [a for a, _d in konsol.run(_audit, konsol)]
    jp_file = konsol.client.get("/konsol/kehadiran/jp/ekspor?tahun=2026&format=csv&sep=,")
    assert jp_file.content.decode("utf-8-sig").startswith("NIP,Nama")


def test_a_correction_needs_a_reason_and_is_audited(konsol: KonsolClient) -> None:
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 2)
    sid = konsol.run(_attend, konsol, ids[:1])
    konsol.login()
    short = konsol.post(f"/konsol/kehadiran/sesi/{sid}/koreksi",
                        {"nip": "198507142010011001", "aksi": "tambah", "alasan": "x"})
    assert "minimal 5 karakter" in short.text
    added = konsol.post(f"/konsol/kehadiran/sesi/{sid}/koreksi",
                        {"nip": "198507142010011001", "aksi": "tambah",
                         "alasan": "hadir via Zoom, nama tidak terbaca"})
    assert "Presensi ditambahkan" in added.text
    corrections = [d for a, d in konsol.run(_audit, konsol) if a == "correction_add"]
    assert corrections == [f"person:{ids[1]}, sesi {sid} 20261105-asn-belajar-0900: "
                           "hadir via Zoom, nama tidak terbaca"]
    assert "198507142010011001" not in corrections[0]


def test_people_search_profile_and_erasure(konsol: KonsolClient) -> None:
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 30)
    konsol.login()
    first = konsol.get("/konsol/peserta")
    assert "1–25 dari 30" in first.text
    second = konsol.get("/konsol/peserta?hal=2")
    assert "26–30 dari 30" in second.text
    by_nip = konsol.get("/konsol/peserta?q=198507142010011007")
    assert "Peserta 8" in by_nip.text and "1–1 dari 1" in by_nip.text
    profile = konsol.get(f"/konsol/peserta/{ids[7]}")
    assert "198507142010011007" in profile.text
    assert ("view_person", f"konsol: profil person:{ids[7]}") in konsol.run(_audit, konsol)
    unconfirmed = konsol.post(f"/konsol/peserta/{ids[7]}/hapus", {"yakin": "ya"})
    assert unconfirmed.status_code == 422
    erased = konsol.post(f"/konsol/peserta/{ids[7]}/hapus", {"yakin": "HAPUS"})
    assert "telah dihapus" in erased.text

    async def person() -> Person | None:
        async with konsol.rt.sessions() as db:
            return await db.get(Person, ids[7])

    gone = konsol.run(person)
    assert gone is not None and gone.nip is None and gone.erased_at is not None
    assert "Peserta 8" not in konsol.get("/konsol/peserta?q=Peserta").text


def test_only_owners_manage_admins_and_read_the_audit(konsol: KonsolClient) -> None:
    konsol.login()
    added = konsol.post("/konsol/admin/tambah", {"akun": "telegram:777"})
    assert "kini admin" in added.text
    bad = konsol.post("/konsol/admin/tambah", {"akun": "fax:1"})
    assert "Tulis ID beserta kanalnya" in bad.text
    assert "admin_add" in konsol.get("/konsol/audit").text
    konsol.post("/konsol/keluar")
    konsol.login("telegram:777")
    assert konsol.get("/konsol/admin").status_code == 403
    assert konsol.get("/konsol/audit").status_code == 403
    assert konsol.post("/konsol/admin/hapus", {"akun": "telegram:777"}).status_code == 403
    assert konsol.get("/konsol/").status_code == 200


def test_removing_an_admin_in_the_konsol_ends_their_sessions(konsol: KonsolClient) -> None:
    async def add() -> None:
        async with konsol.rt.sessions() as db, db.begin():
            await add_admin(db, "telegram", "777", "9001", konsol.rt.clock.now())

    konsol.run(add)
    konsol.login("telegram:777")
    other = konsol.client.cookies.get("konsol_sesi")
    konsol.client.cookies.clear()
    konsol.login()
    removed = konsol.post("/konsol/admin/hapus", {"akun": "telegram:777"})
    assert "1 sesi konsol diakhiri" in removed.text
    konsol.client.cookies.clear()
    konsol.client.cookies.set("konsol_sesi", other or "", path="/konsol")
    assert konsol.client.get("/konsol/").status_code == 401
