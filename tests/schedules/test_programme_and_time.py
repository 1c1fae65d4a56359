"""The programme for a date and how times are shown in each zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.programme import find_programme, next_working_day, programme_for
from core.timezones import format_date, format_time, local_today


def test_programme_for_each_weekday() -> None:
    monday = date(2026, 11, 23)
    names = [programme_for(date(2026, 11, 23 + i)) for i in range(7)]
    assert monday.weekday() == 0
    assert [p.name if p else None for p in names] == [
        "Forum ASN Berbagi Ilmu",
        "ASN Bertanya, BPSDM Menjawab",
        "ASN Mengaji",
        "ASN Belajar",
        "ASN Sehat dan Bugar",
        None,
        None,
    ]


def test_find_programme_by_key_or_name() -> None:
    belajar = find_programme("ASN Belajar")
    assert belajar is not None and belajar.key == "asn-belajar"
    assert find_programme("asn-belajar") == belajar
    assert find_programme("  asn   BELAJAR ") == belajar
    assert find_programme("ASN Tidur") is None


def test_next_working_day_skips_weekend() -> None:
    assert next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Friday -> Monday
    assert next_working_day(date(2026, 11, 28)) == date(2026, 11, 30)


def test_times_in_each_zone() -> None:
    at = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 09.00 WIB
    assert format_time(at, "WIB") == "09.00 WIB"
    assert format_time(at, "WITA") == "10.00 WITA"
    assert format_time(at, "WIT") == "11.00 WIT"


def test_today_depends_on_the_zone() -> None:
    at = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 22.30 WIB, 00.30 WIT next day
    assert local_today(at, "WIB") == date(2026, 11, 22)
    assert local_today(at, "WIT") == date(2026, 11, 23)
    assert format_date(date(2026, 11, 23)) == "Senin, 23 November 2026"
