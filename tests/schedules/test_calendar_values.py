"""Cell parsing: what spreadsheets write for dates, times, JP and links."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from schedules.calendar_values import (
    CellError,
    parse_date,
    parse_date_time,
    parse_jp,
    parse_time,
    parse_url,
)


@pytest.mark.parametrize(("cell", "expected"), [
    ("2026-11-23", date(2026, 11, 23)),
    ("23/11/2026", date(2026, 11, 23)),
    ("3/1/2027", date(2027, 1, 3)),
    ("03-01-2027", date(2027, 1, 3)),
    ("23.11.2026", date(2026, 11, 23)),
    ("2026-11-23 00:00:00", date(2026, 11, 23)),
    (date(2026, 11, 23), date(2026, 11, 23)),
    (46349, date(2026, 11, 23)),  # an Excel serial number
])
def test_dates(cell: object, expected: date) -> None:
    assert parse_date(cell) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["", None, "2026-13-01", "29/02/2026", "11/2026", "Senin"])
def test_bad_dates(cell: object) -> None:
    with pytest.raises(CellError):
        parse_date(cell)  # type: ignore[arg-type]


@pytest.mark.parametrize(("cell", "expected"), [
    ("09:00", time(9)), ("9.30", time(9, 30)), ("13:00:00", time(13)), (time(7, 30), time(7, 30)),
    (0.5, time(12)), ("00:00", time(0)), ("23:59", time(23, 59)),
])
def test_times(cell: object, expected: time) -> None:
    assert parse_time(cell) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["24:00", "9", "09:60", "jam 9", "9:5", 1.5])
def test_bad_times(cell: object) -> None:
    with pytest.raises(CellError):
        parse_time(cell)  # type: ignore[arg-type]


def test_date_time() -> None:
    day = date(2026, 11, 23)
    assert parse_date_time("16:00", day) == datetime(2026, 11, 23, 16)  # noqa: DTZ001
    assert parse_date_time("24/11/2026 08.00", day) == datetime(2026, 11, 24, 8)  # noqa: DTZ001
    assert parse_date_time("2026-11-24T08:00", day) == datetime(2026, 11, 24, 8)  # noqa: DTZ001


@pytest.mark.parametrize(("cell", "expected"), [
    ("2", 2.0), ("1,5", 1.5), ("1.25", 1.25), (3, 3.0), ("", 0.0), (None, 0.0), ("10", 10.0),
])
def test_jp(cell: object, expected: float) -> None:
    assert parse_jp(cell) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["-1", "10,5", "1,125", "nan", "satu"])
def test_bad_jp(cell: str) -> None:
    with pytest.raises(CellError):
        parse_jp(cell)


def test_urls() -> None:
    assert parse_url(" https://zoom.us/j/81234567890?pwd=x ", "z") == (
        "https://zoom.us/j/81234567890?pwd=x"
    )
    assert parse_url("", "z") is None
    for bad in ("zoom.us/j/1", "https://", "https://zoom", "ftp://zoom.us/j/1",
                "https://zoom.us/j/1 2", "javascript:alert(1)", "https://[::1"):
        with pytest.raises(CellError):
            parse_url(bad, "tautan_zoom")
