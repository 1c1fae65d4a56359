"""After the session, in the konsol: a session's evaluation summary and its file, the SIASN
export, a sample certificate from the Jadwal page, a person's certificates and quizzes on
their profile; files read back, every export audited, refusals without a session."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bot.settings import Settings
from core.clock import FixedClock
from db.certificates import Issuer, issue, revoke
from db.learning import questions_of, rate, record_answer, replace_questions, set_comment
from db.models import Attendance, AuditEntry, Certificate, LearningSession
from handlers.export_files import EVALUATION_COLUMNS, SIASN_COLUMNS
from tests.auxil.pdf import pdf_text
from tests.bot.web.konsol_client import KonsolClient, konsol_client
from tests.bot.web.seed import add_people

PUBLIC = "https://dahar-ngopi.example.go.id"
THURSDAY = date(2026, 11, 5)  # ASN Belajar, 3 JP, in the sample calendar
TITLE = "Kepemimpinan Adaptif di Era Transformasi Digital"
ISSUER = Issuer("BPSDM Provinsi Jawa Timur", "Dr. Kepala Badan", "Kepala BPSDM")


@pytest.fixture
def cert_konsol(make_settings: Callable[..., Settings], clock: FixedClock) -> Iterator[
    KonsolClient
]:
    """The konsol with certificates on (PUBLIC_URL set)."""
    yield from konsol_client(make_settings({"TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
                                            "PUBLIC_URL": PUBLIC}), clock)


async def _session_on(konsol: KonsolClient, day: date) -> LearningSession:
    async with konsol.rt.sessions() as db:
        s = await db.scalar(select(LearningSession).where(LearningSession.day == day))
        assert s is not None
        return s


async def _attend(konsol: KonsolClient, ids: list[int], day: date = THURSDAY) -> int:
    s = await _session_on(konsol, day)
    async with konsol.rt.sessions() as db, db.begin():
        for pid in ids:
            db.add(Attendance(person_id=pid, session_id=s.id, reported_at=s.starts_at,
                              channel="telegram", source="self"))
    return s.id


async def _audit(konsol: KonsolClient, action: str) -> list[tuple[str, str, int]]:
    async with konsol.rt.sessions() as db:
        rows = await db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id))
        return [(a.actor, a.detail, a.rows) for a in rows]


async def _evaluate(konsol: KonsolClient, sid: int, ids: list[int]) -> None:
    """Three complete evaluations (materi 5/4/4, narasumber 4/4/3, manfaat 5/5/5), one
    started only; comments from two people (one with markup in it)."""
    now = konsol.rt.clock.now()
    async with konsol.rt.sessions() as db, db.begin():
        for pid, scores in zip(ids, ((5, 4, 5), (4, 4, 5), (4, 3, 5), (0, 0, 0)), strict=True):
            for aspect, score in enumerate(scores):
                await rate(db, person_id=pid, session_id=sid, aspect=aspect, score=score,
                           now=now)
        await set_comment(db, ids[0], sid, "Materinya <b>sangat</b> relevan & praktis")
        await set_comment(db, ids[1], sid, "Mohon rekamannya dibagikan")


def test_the_session_page_shows_its_evaluations_and_exports_them(
    konsol: KonsolClient,
) -> None:
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 4)
    sid = konsol.run(_attend, konsol, ids)
    konsol.run(_evaluate, konsol, sid, ids)
    konsol.login()
    page = konsol.get(f"/konsol/kehadiran/sesi/{sid}")
    assert page.status_code == 200
    assert "3 evaluasi lengkap (dari 4 dimulai)" in page.text
    assert "Materi 4,3 · Narasumber 3,7 · Manfaat 5,0" in page.text
    assert "Materinya &lt;b&gt;sangat&lt;/b&gt; relevan &amp; praktis" in page.text  # no markup
    assert "ditawarkan setelah presensi" in page.text  # ASN Belajar's default: evaluasi ya
    assert f"/konsol/kehadiran/sesi/{sid}/evaluasi/ekspor?format=xlsx" in page.text

    book = konsol.client.get(f"/konsol/kehadiran/sesi/{sid}/evaluasi/ekspor?format=xlsx")
    assert book.status_code == 200
    assert f'filename="evaluasi_sesi_{sid}.xlsx"' in book.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True)
    assert wb.sheetnames == ["Ringkasan", "Evaluasi"]
    rows = list(wb["Evaluasi"].iter_rows(values_only=True))
    assert rows[0] == EVALUATION_COLUMNS
    assert [r[:4] for r in rows[1:]] == [
        (5, 4, 5, "Materinya <b>sangat</b> relevan & praktis"),
        (4, 4, 5, "Mohon rekamannya dibagikan"), (4, 3, 5, None), (None, None, None, None)]
    summary = {r[0]: r[1] for r in wb["Ringkasan"].iter_rows(values_only=True)}
    assert summary["Sesi"] == TITLE and summary["Evaluasi"] == 4
    assert summary["Rata-rata narasumber"] == pytest.approx(3.67)

    semi = konsol.client.get(f"/konsol/kehadiran/sesi/{sid}/evaluasi/ekspor?format=csv&sep=;")
    table = list(csv.reader(io.StringIO(semi.content.decode("utf-8-sig")), delimiter=";"))
    assert tuple(table[0]) == EVALUATION_COLUMNS and len(table) == 5
    assert table[1][:3] == ["5", "4", "5"]
    audited = konsol.run(_audit, konsol, "evaluation_export")
    assert [(actor, rows) for actor, _d, rows in audited] == [("telegram:9001", 4)] * 2
    assert audited[0][1].startswith(f"konsol: evaluasi sesi {sid}, xlsx ")
    assert audited[1][1].startswith(f"konsol: evaluasi sesi {sid}, csv ")
    # No identity in the file: neither names nor NIPs.
    assert "Peserta" not in semi.content.decode("utf-8-sig")


def test_a_session_without_evaluations_says_so_and_offers_no_file(
    konsol: KonsolClient,
) -> None:
    s = konsol.run(_session_on, konsol, date(2026, 11, 6))  # ASN Sehat dan Bugar: evaluasi tidak
    konsol.login()
    page = konsol.get(f"/konsol/kehadiran/sesi/{s.id}")
    assert "Belum ada evaluasi untuk sesi ini." in page.text
    assert "tidak ditawarkan" in page.text
    assert "evaluasi/ekspor" not in page.text
    assert konsol.get("/konsol/kehadiran/sesi/99999/evaluasi/ekspor").status_code == 404
    assert konsol.run(_audit, konsol, "evaluation_export") == []


async def _certify(konsol: KonsolClient, pairs: list[tuple[int, int]]) -> list[Certificate]:
    async with konsol.rt.sessions() as db, db.begin():
        return await issue(db, pairs, issuer=ISSUER, now=konsol.rt.clock.now())


def test_the_siasn_export_writes_the_clis_files_and_is_audited(
    cert_konsol: KonsolClient,
) -> None:
    konsol = cert_konsol
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 3)
    thursday = konsol.run(_attend, konsol, ids)
    friday = konsol.run(_attend, konsol, ids[:1], date(2026, 11, 6))  # 1 JP
    [cert] = konsol.run(_certify, konsol, [(ids[0], thursday)])
    konsol.login()
    index = konsol.get("/konsol/kehadiran?bulan=2026-11")
    assert index.text.count('action="/konsol/kehadiran/siasn"') == 1
    assert "<title>Kehadiran November 2026 · Konsol Dahar Ngopi</title>" in index.text
    assert '<option value="2026" selected>2026</option>' in index.text

    book = konsol.client.get("/konsol/kehadiran/siasn?tahun=2026&format=xlsx")
    assert book.status_code == 200
    assert 'filename="siasn_kursus_2026.xlsx"' in book.headers["content-disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(book.content)).active
                .iter_rows(values_only=True))
    assert rows[0] == SIASN_COLUMNS
    thursday_row = ("ASN Belajar: " + TITLE, "BPSDM Provinsi Jawa Timur", "Webinar", 3,
                    "05-11-2026", "05-11-2026", 2026)
    assert rows[1] == ("198507142010011000", *thursday_row, cert.number, None, None, None, None)
    assert rows[2][:2] == ("198507142010011000", "ASN Sehat dan Bugar: Senam Aerobik Low "
                                                 "Impact untuk Pemula")
    assert rows[3] == ("198507142010011001", *thursday_row, None, None, None, None, None)
    assert len(rows) == 5 and friday

    plain = konsol.client.get("/konsol/kehadiran/siasn?tahun=2026&format=csv")
    assert 'filename="siasn_kursus_2026.csv"' in plain.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(plain.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == SIASN_COLUMNS
    assert table[1][:5] == ["198507142010011000", "ASN Belajar: " + TITLE,
                            "BPSDM Provinsi Jawa Timur", "Webinar", "3"]
    assert table[1][8] == cert.number and len(table) == 5  # NIPs as bare digits
    audited = konsol.run(_audit, konsol, "siasn_export")
    assert [(a, r) for a, _d, r in audited] == [("telegram:9001", 4)] * 2
    assert audited[0][1].startswith("konsol: SIASN 2026, xlsx ")

    future = konsol.get("/konsol/kehadiran/siasn?tahun=2027&format=xlsx")
    assert future.status_code == 422 and "Pilih tahun antara 2000 dan 2026" in future.text
    assert len(konsol.run(_audit, konsol, "siasn_export")) == 2


def test_a_sample_certificate_from_the_jadwal_page(cert_konsol: KonsolClient) -> None:
    konsol = cert_konsol
    s = konsol.run(_session_on, konsol, date(2026, 11, 26))  # Thursday: not yet held
    konsol.login()
    form = konsol.get(f"/konsol/jadwal/sesi/{s.id}")
    link = f"/konsol/jadwal/sesi/{s.id}/contoh-sertifikat"
    assert f'href="{link}"' in form.text and "15 menit setelah sesi selesai" in form.text
    pdf = konsol.client.get(link)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert ('filename="Contoh_Sertifikat_DN-2026-CONTOH_Etika-Pelayanan-Publik-dan-Wawasan.pdf"'
            in pdf.headers["content-disposition"])
    text = " ".join(pdf_text(pdf.content).split())
    assert "CONTOH" in text
    assert "Etika Pelayanan Publik dan Wawasan Kebangsaan" in text
    assert "DN/2026/CONTOH" in text and "Nama Peserta Contoh" in text


def test_a_session_without_jp_or_cancelled_has_no_sample(cert_konsol: KonsolClient) -> None:
    konsol = cert_konsol

    async def change() -> int:
        async with konsol.rt.sessions() as db, db.begin():
            s = await db.scalar(select(LearningSession)
                                .where(LearningSession.day == date(2026, 11, 27)))
            assert s is not None
            s.jp = 0
            return s.id

    sid = konsol.run(change)
    konsol.login()
    form = konsol.get(f"/konsol/jadwal/sesi/{sid}")
    assert "Sesi tanpa JP tidak mendapat sertifikat" in form.text
    assert f'href="/konsol/jadwal/sesi/{sid}/contoh-sertifikat"' not in form.text
    refused = konsol.get(f"/konsol/jadwal/sesi/{sid}/contoh-sertifikat")
    assert refused.status_code == 409 and "Sesi tanpa JP" in refused.text
    assert konsol.get("/konsol/jadwal/sesi/99999/contoh-sertifikat").status_code == 404


def test_without_public_url_the_sample_is_politely_declined(konsol: KonsolClient) -> None:
    s = konsol.run(_session_on, konsol, date(2026, 11, 26))
    konsol.login()
    form = konsol.get(f"/konsol/jadwal/sesi/{s.id}")
    assert "Sertifikat elektronik belum aktif" in form.text and "PUBLIC_URL" in form.text
    assert "contoh-sertifikat\"" not in form.text
    refused = konsol.get(f"/konsol/jadwal/sesi/{s.id}/contoh-sertifikat")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("text/html")
    assert "Mohon hubungi operator server" in refused.text


async def _quiz(konsol: KonsolClient, pid: int, sid: int, choices: list[int]) -> None:
    """Three questions (right answers B, C, A) answered with `choices` in one attempt."""
    now = konsol.rt.clock.now()
    async with konsol.rt.sessions() as db, db.begin():
        await replace_questions(db, sid, [
            ("Arsip aktif disimpan di mana?", ["Gudang", "Unit pengolah"], 1, ""),
            ("JP minimal setahun?", ["10", "15", "20"], 2, ""),
            ("1 JP berapa menit?", ["45", "60"], 0, ""),
        ])
        for question, choice in zip(await questions_of(db, sid), choices, strict=True):
            await record_answer(db, person_id=pid, question=question, attempt=1,
                                choice=choice, now=now, review_days=1)


async def _many_certificates(konsol: KonsolClient, pid: int, count: int) -> None:
    """`count` more valid certificates, as rows (for the profile's pages)."""
    now = konsol.rt.clock.now()
    async with konsol.rt.sessions() as db, db.begin():
        s = await _session_on(konsol, date(2026, 11, 2))
        for n in range(count):
            db.add(Certificate(
                year=2025, seq=n + 1, number=f"DN/2025/{n + 1:06d}", code=f"OLDCODE{n:09d}",
                person_id=pid, session_id=s.id, holder_name="Peserta 1",
                holder_nip="198507142010011000", holder_instansi="Dinas", programme="Forum",
                title=f"Sesi lama {n + 1}", day=date(2025, 1, 6) + timedelta(days=7 * n),
                jp=2, organiser="BPSDM", signer_name="Dr. Kepala Badan", signer_position="K",
                issued_at=now, revoked_at=now, revoke_reason="data diubah"))


def test_a_profile_lists_certificates_and_quizzes_under_the_profiles_audit(
    cert_konsol: KonsolClient,
) -> None:
    konsol = cert_konsol
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 2)
    thursday = konsol.run(_attend, konsol, ids)
    [kept, dropped] = konsol.run(_certify, konsol, [(ids[0], thursday), (ids[1], thursday)])
    konsol.run(_quiz, konsol, ids[0], thursday, [1, 2, 1])  # two of three right: passed

    async def revoke_second() -> None:
        async with konsol.rt.sessions() as db, db.begin():
            cert = await db.get(Certificate, dropped.id)
            assert cert is not None
            await revoke(db, cert, reason="kehadiran dihapus melalui koreksi",
                         now=konsol.rt.clock.now())

    konsol.run(revoke_second)
    konsol.login()
    mine = konsol.get(f"/konsol/peserta/{ids[0]}")
    assert kept.number in mine.text and TITLE in mine.text
    assert f'href="{PUBLIC}/verifikasi/{kept.code}"' in mine.text
    assert "5 November 2026" in mine.text and '<span class="badge done">sah</span>' in mine.text
    assert "2 dari 3 benar" in mine.text and '<span class="badge done">lulus</span>' in mine.text
    other = konsol.get(f"/konsol/peserta/{ids[1]}")
    assert dropped.number in other.text and "dicabut" in other.text
    assert "kehadiran dihapus melalui koreksi" in other.text
    assert "Belum mengerjakan kuis pada 2026." in other.text
    views = konsol.run(_audit, konsol, "view_person")
    assert [d for _a, d, _r in views] == [f"konsol: profil person:{ids[0]}",
                                          f"konsol: profil person:{ids[1]}"]

    konsol.run(_many_certificates, konsol, ids[0], 11)
    first = konsol.get(f"/konsol/peserta/{ids[0]}")
    assert "1–10 dari 12" in first.text and f"/konsol/peserta/{ids[0]}?sert=2" in first.text
    assert first.text.index(kept.number) < first.text.index("DN/2025/")  # valid first
    second = konsol.get(f"/konsol/peserta/{ids[0]}?sert=2")
    assert "11–12 dari 12" in second.text and kept.number not in second.text
    assert len(konsol.run(_audit, konsol, "view_person")) == 4


def test_the_profile_without_public_url_has_no_verification_link(konsol: KonsolClient) -> None:
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 1)
    thursday = konsol.run(_attend, konsol, ids)
    [cert] = konsol.run(_certify, konsol, [(ids[0], thursday)])
    konsol.login()
    page = konsol.get(f"/konsol/peserta/{ids[0]}")
    assert cert.number in page.text and "/verifikasi/" not in page.text
    assert "halaman verifikasi publik belum dapat dibuka" in page.text


@pytest.mark.parametrize("path", [
    "/konsol/kehadiran/sesi/1/evaluasi/ekspor?format=xlsx",
    "/konsol/kehadiran/siasn?tahun=2026&format=xlsx",
    "/konsol/jadwal/sesi/1/contoh-sertifikat",
])
def test_nothing_is_served_without_a_session(cert_konsol: KonsolClient, path: str) -> None:
    refused = cert_konsol.get(path)
    assert refused.status_code == 401 and "Silakan masuk" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    for action in ("evaluation_export", "siasn_export"):
        assert cert_konsol.run(_audit, cert_konsol, action) == []


def test_an_admin_who_is_not_an_owner_exports_too(cert_konsol: KonsolClient) -> None:
    from db.people import add_admin

    konsol = cert_konsol

    async def add() -> None:
        async with konsol.rt.sessions() as db, db.begin():
            await add_admin(db, "telegram", "777", "9001", konsol.rt.clock.now())

    konsol.run(add)
    konsol.login("telegram:777")
    assert konsol.get("/konsol/kehadiran/siasn?tahun=2026").status_code == 200
    assert [a for a, _d, _r in konsol.run(_audit, konsol, "siasn_export")] == ["telegram:777"]
