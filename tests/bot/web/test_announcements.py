"""Pengumuman in the konsol: compose, audience count, preview per channel, send, progress,
stop, the list."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Announcement, AuditEntry, OutboxMessage
from schedules.announcements import start_due
from tests.bot.web.konsol_client import KonsolClient
from tests.bot.web.seed import add_people


def _seed(konsol: KonsolClient) -> None:
    now = konsol.rt.clock.now()
    konsol.run(add_people, konsol.rt.sessions, now, 3)
    konsol.run(add_people, konsol.rt.sessions, now, 2, region="3578",
               instansi="Bappeda Kota Surabaya", first_id=7345124000, name="Warga",
               nip_from=500)


async def _announcements(konsol: KonsolClient) -> list[Announcement]:
    async with konsol.rt.sessions() as db:
        return list(await db.scalars(select(Announcement).order_by(Announcement.id)))


def test_compose_refuses_bad_html_and_counts_the_audience(konsol: KonsolClient) -> None:
    _seed(konsol)
    konsol.login()
    page = konsol.get("/konsol/pengumuman/baru")
    assert page.status_code == 200 and "Kab. Sidoarjo" in page.text
    bad = konsol.post("/konsol/pengumuman/baru", {"teks": "<b>Halo", "kepada": "semua"})
    assert bad.status_code == 422 and "Format" in bad.text
    counted = konsol.get("/konsol/pengumuman/hitung?kepada=wilayah&wilayah=Kab.+Sidoarjo")
    assert "<strong>3</strong> penerima" in counted.text
    everyone = konsol.get("/konsol/pengumuman/hitung?kepada=semua")
    assert "<strong>5</strong> penerima" in everyone.text
    unknown = konsol.get("/konsol/pengumuman/hitung?kepada=wilayah&wilayah=Atlantis")
    assert "tidak ditemukan" in unknown.text


def test_preview_send_progress_and_stop(konsol: KonsolClient) -> None:
    _seed(konsol)
    konsol.login()
    draft = konsol.post("/konsol/pengumuman/baru", {
        "teks": '<b>Webinar</b> besok, <a href="https://bpsdm.jatimprov.go.id">daftar</a>',
        "kepada": "wilayah", "wilayah": "Kab. Sidoarjo"})
    assert draft.status_code == 200 and "Pratinjau" in draft.text
    assert '<strong>Webinar</strong>' in draft.text and 'id="jumlah-penerima">3<' in draft.text
    ann = konsol.run(_announcements, konsol)[0]
    assert ann.status == "draft" and ann.created_by == "telegram:9001"
    late = konsol.post(f"/konsol/pengumuman/{ann.id}/kirim",
                       {"kapan": "nanti", "waktu": "2020-01-01T10:00"})
    assert "sudah lewat" in late.text
    sent = konsol.post(f"/konsol/pengumuman/{ann.id}/kirim", {"kapan": "sekarang"})
    assert sent.status_code == 200 and "hentikan" in sent.text.lower()
    konsol.run(start_due, konsol.rt.sessions, now=konsol.rt.clock.now(),
               channels=[konsol.rt.deps.channels["telegram"]])
    progress = konsol.get(f"/konsol/pengumuman/{ann.id}/progres")
    assert 'id="sisa">3<' in progress.text and 'hx-trigger="every 2s"' in progress.text
    stopped = konsol.post(f"/konsol/pengumuman/{ann.id}/hentikan")
    assert stopped.status_code == 200

    async def statuses() -> list[str]:
        async with konsol.rt.sessions() as db:
            return list(await db.scalars(select(OutboxMessage.status)))

    assert konsol.run(statuses) == ["cancelled"] * 3
    listed = konsol.get("/konsol/pengumuman")
    assert f"#{ann.id}" in listed.text and "1–1 dari 1" in listed.text

    async def actions() -> list[str]:
        async with konsol.rt.sessions() as db:
            return list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))

    assert konsol.run(actions)[-2:] == ["announce", "announce_stop"]


def test_a_photo_with_a_caption_is_previewed(konsol: KonsolClient, tmp_path: object) -> None:
    _seed(konsol)
    konsol.login()
    konsol.get("/konsol/pengumuman/baru")
    png = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    made = konsol.remember(konsol.client.post(
        "/konsol/pengumuman/baru", data={"csrf": konsol.csrf, "teks": "Poster webinar",
                                         "kepada": "semua"},
        files={"berkas": ("poster.png", png, "image/png")}))
    assert made.status_code == 200 and "foto pengumuman" in made.text
    ann = konsol.run(_announcements, konsol)[0]
    assert ann.media_kind == "photo" and ann.media_path
    served = konsol.client.get(f"/konsol/pengumuman/{ann.id}/berkas")
    assert served.status_code == 200 and served.content == png
