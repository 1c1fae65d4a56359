"""Pure parts of announcements: the "send later" time, segments, estimates and texts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.timezones import ZONES
from db.models import Announcement
from db.regions import load_regions
from schedules.announcement_text import format_duration, progress_text, report_text
from schedules.announcement_time import WhenError, parse_when
from schedules.announcements import Figures, estimate_seconds
from schedules.segments import Segment, SegmentError, parse_segment
from tests.auxil.channels import CHANNELS

WIB = ZONES["WIB"]
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 08:00 WIB


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24 15:00", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        ("24-11-2026 15.00", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        ("24/11/2026 pukul 07.30", datetime(2026, 11, 24, 0, 30, tzinfo=UTC)),
        ("besok 07.00", datetime(2026, 11, 24, 0, 0, tzinfo=UTC)),
        ("hari ini 13:00", datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
    ],
)
def test_when_is_read_in_the_agency_zone(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, tz=WIB) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("hari ini 07.00", "sudah lewat"),
        ("31-02-2026 10.00", "tidak valid"),
        ("2027-06-01 10:00", "90 hari"),
        ("nanti sore", "tidak dikenali"),
        ("2026-11-24 25:00", "tidak valid"),
    ],
)
def test_bad_times_are_explained(text: str, error: str) -> None:
    with pytest.raises(WhenError, match=error):
        parse_when(text, now=NOW, tz=WIB)


def test_segments_from_the_command_line() -> None:
    regions = load_regions()
    seg = parse_segment(["kabupaten=Sidoarjo", "opd=Dinas Pendidikan", "kanal=Telegram",
                         "program=asn belajar"], regions, CHANNELS)
    assert seg == Segment(region="3515", instansi="Dinas Pendidikan", channel="telegram",
                          programme="asn-belajar")
    assert Segment.from_json(seg.to_json()) == seg
    assert seg.describe(regions, CHANNELS) == ("Kab. Sidoarjo; instansi memuat “Dinas Pendidikan”; "
                                     "pengguna Telegram; pelanggan ASN Belajar")
    assert parse_segment(["region=3578"], regions, CHANNELS).region == "3578"
    assert Segment().describe(regions, CHANNELS) == "semua pelanggan"
    for bad in (["region"], ["region=malang"], ["channel=sms"], ["programme=catur"],
                ["umur=30"]):
        with pytest.raises(SegmentError):
            parse_segment(bad, regions, CHANNELS)


def test_estimate_100k_at_the_free_telegram_rate_is_about_56_minutes() -> None:
    seconds = estimate_seconds({"telegram": 100_000}, {"telegram": 30.0})
    assert format_duration(seconds) == "56 menit"
    # Channels run side by side: the slowest decides.
    assert estimate_seconds({"telegram": 300, "whatsapp": 1600},
                            {"telegram": 30.0, "whatsapp": 80.0}) == 20.0
    assert format_duration(3 * 3600 + 60) == "3 jam 1 menit"
    assert format_duration(30) == "kurang dari 1 menit"


def _ann(**kw: object) -> Announcement:
    base: dict[str, object] = dict(
        id=7, text="<b>Libur</b> nasional", segment={}, status="running", audience=100_000,
        total=100_000, started_at=NOW, queued_at=NOW, created_at=NOW, media_kind=None,
        stop_requested_at=None,
    )
    return Announcement(**{**base, **kw})


def test_progress_and_report_texts() -> None:
    regions = load_regions()
    fig = Figures(sent=40_000, blocked=120, failed=3, pending=59_877,
                  remaining_by_channel={"telegram": 59_877})
    text = progress_text(_ann(), fig, now=NOW, tz=WIB, regions=regions, channels=CHANNELS,
                         eta_seconds=59_877 / 30, rate=29.96)
    assert "Terkirim: 40.000" in text and "Memblokir bot: 120" in text
    assert "Sisa: 59.877" in text and "Kecepatan: 30,0 pesan/detik" in text
    assert "Perkiraan selesai: 08.33 WIB (± 33 menit lagi)" in text
    done = Figures(sent=99_000, blocked=900, failed=100, cancelled=0)
    report = report_text(_ann(status="done"), done, [("permanent: Chat not found", 100)],
                         tz=WIB, regions=regions, channels=CHANNELS,
                         now=datetime(2026, 11, 23, 1, 56, tzinfo=UTC))
    assert "Terkirim: 99.000" in report
    assert "Memblokir bot: 900 (kini ditandai tidak aktif)" in report
    assert "Gagal: 100" in report and "100× permanent: Chat not found" in report
    assert "(56 menit)" in report and "Dibatalkan" not in report
