"""Jadwal in the konsol: the month, the session form with the import's checks, two admins
saving the same session, a file's dry run and import, export."""

from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEntry, LearningSession
from tests.bot.web.konsol_client import KonsolClient

NEW = {"tanggal": "2026-11-26", "program": "ASN Belajar", "judul": "Etika Digital ASN",
       "narasumber": "Dr. Ani", "mulai": "13:00", "selesai": "15:00", "jp": "2",
       "status": "aktif"}


async def _session(konsol: KonsolClient, title: str) -> LearningSession:
    async with konsol.rt.sessions() as db:
        found = await db.scalar(select(LearningSession).where(LearningSession.title == title))
        assert found is not None
        return found


def test_the_month_shows_the_sample_sessions(konsol: KonsolClient) -> None:
    konsol.login()
    page = konsol.get("/konsol/jadwal?bulan=2026-11")
    assert page.status_code == 200
    assert "November 2026" in page.text and "Inovasi Sapa Warga" in page.text
    assert "Tambah sesi" in page.text


def test_a_new_session_is_checked_as_the_import_checks_it(konsol: KonsolClient) -> None:
    konsol.login()
    bad = konsol.post("/konsol/jadwal/sesi/baru", {**NEW, "mulai": "11:00", "selesai": "10:00"})
    assert bad.status_code == 422
    assert "jam selesai (10:00) harus sesudah jam mulai (11:00)" in bad.text
    saved = konsol.post("/konsol/jadwal/sesi/baru", NEW)
    assert saved.status_code == 200 and "Tersimpan" in saved.text
    s = konsol.run(_session, konsol, "Etika Digital ASN")
    assert s.starts_at.hour == 6  # 13:00 WIB
    twin = konsol.post("/konsol/jadwal/sesi/baru", {**NEW, "judul": "Lain"})
    assert twin.status_code == 422 and "sudah ada sesi" in twin.text
    actions = konsol.run(_audit, konsol)
    assert actions[-1].startswith("session_add")


async def _audit(konsol: KonsolClient) -> list[str]:
    async with konsol.rt.sessions() as db:
        rows = await db.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [f"{a.action} {a.actor} {a.detail}" for a in rows]


def test_the_second_of_two_admins_saving_a_session_is_refused(konsol: KonsolClient) -> None:
    konsol.login()
    konsol.post("/konsol/jadwal/sesi/baru", NEW)
    s = konsol.run(_session, konsol, "Etika Digital ASN")
    form = {**NEW, "versi": str(s.version)}
    first = konsol.post(f"/konsol/jadwal/sesi/{s.id}", {**form, "mulai": "13:30"})
    assert first.status_code == 200 and "Tersimpan" in first.text
    second = konsol.post(f"/konsol/jadwal/sesi/{s.id}", {**form, "judul": "Judul lain"})
    assert second.status_code == 409 and "sudah diubah oleh admin lain" in second.text
    after = konsol.run(_session, konsol, "Etika Digital ASN")
    assert after.version == s.version + 1 and after.starts_at.minute == 30


def test_moving_and_cancelling_a_session(konsol: KonsolClient) -> None:
    konsol.login()
    konsol.post("/konsol/jadwal/sesi/baru", NEW)
    s = konsol.run(_session, konsol, "Etika Digital ASN")
    moved = konsol.post(f"/konsol/jadwal/sesi/{s.id}",
                        {**NEW, "tanggal": "2026-11-27", "versi": str(s.version)})
    assert moved.status_code == 200
    s = konsol.run(_session, konsol, "Etika Digital ASN")
    assert s.day.isoformat() == "2026-11-27" and s.code.startswith("20261126")
    cancelled = konsol.post(f"/konsol/jadwal/sesi/{s.id}/batal", {"versi": str(s.version)})
    assert cancelled.status_code == 200
    assert konsol.run(_session, konsol, "Etika Digital ASN").status == "batal"
    assert any(a.startswith("session_cancel") for a in konsol.run(_audit, konsol))


BAD_FILE = (
    "tanggal,program,judul,narasumber,mulai,selesai\n"
    "2026-12-01,ASN Bertanya,Menulis Laporan Kinerja,Tim BPSDM,13:00,14:00\n"
    "2026-12-03,ASN Belajar,Analisis Jabatan,Dr. Budi,25:00,12:00\n"
)


def test_a_file_is_dry_run_first_then_imported(konsol: KonsolClient) -> None:
    konsol.login()
    konsol.get("/konsol/jadwal/impor")
    refused = konsol.client.post(
        "/konsol/jadwal/impor", data={"csrf": konsol.csrf},
        files={"berkas": ("jadwal.csv", BAD_FILE.encode(), "text/csv")})
    assert refused.status_code == 422
    assert "Baris" in refused.text and ">3<" in refused.text and "mulai" in refused.text
    good = BAD_FILE.replace("25:00", "09:00")
    preview = konsol.remember(konsol.client.post(
        "/konsol/jadwal/impor", data={"csrf": konsol.csrf},
        files={"berkas": ("jadwal.csv", good.encode(), "text/csv")}))
    assert preview.status_code == 200 and "Pratinjau" in preview.text
    assert konsol.run(_count, konsol, "Analisis Jabatan") == 0  # nothing saved yet
    kept = preview.text.split('name="data" value="')[1].split('"')[0]
    done = konsol.post("/konsol/jadwal/impor", {"data": kept, "nama": "jadwal.csv",
                                                 "simpan": "1"})
    assert done.status_code == 200 and "Jadwal diimpor" in done.text
    assert konsol.run(_count, konsol, "Analisis Jabatan") == 1
    assert any(a.startswith("calendar_import") for a in konsol.run(_audit, konsol))


async def _count(konsol: KonsolClient, title: str) -> int:
    async with konsol.rt.sessions() as db:
        return len(list(await db.scalars(
            select(LearningSession).where(LearningSession.title == title))))


def test_export_with_a_semicolon_for_indonesian_excel(konsol: KonsolClient) -> None:
    konsol.login()
    got = konsol.client.get("/konsol/jadwal/ekspor?format=csv&sep=;&bulan=2026-11")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    text = got.content.decode("utf-8-sig")
    assert text.startswith("kode_sesi;tanggal;hari;program") and "Inovasi Sapa Warga" in text
    xlsx = konsol.client.get("/konsol/jadwal/ekspor?format=xlsx")
    assert xlsx.content.startswith(b"PK")
