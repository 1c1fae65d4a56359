"""Days and periods people name in chat ("besok", "kamis depan", "tgl 3 des", "minggu lalu")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.timezones import format_date

__all__ = ["MONTHS", "WEEKDAYS", "When", "ahead", "merge_hints", "read_when", "slash_dates"]

WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "sabtu": 5, "minggu": 6,
    "ahad": 6,
}
MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "agus": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12,
}
_MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                "September", "Oktober", "November", "Desember")
_PAST = {"kemarin", "lalu", "kemaren", "wingi"}
_NEXT = {"depan"}
_THIS = {"ini", "nanti", "besok"}  # "kamis ini", "kamis nanti", "kamis besok": the coming one
_DAY_WORDS = {"hari", "tanggal"}
# "26/11", "3-12-2026", "26.11": the day first, as Indonesians write it.
_SLASHED = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?\b")


@dataclass(frozen=True)
class When:
    """A day or a period someone named, in their own zone.

    `past` means they look back ("kemarin", "minggu lalu"); `upcoming` means "the next one"
    ("selanjutnya", "berikutnya", "lagi"); `last` means "the latest one" ("terakhir").
    """

    start: date | None = None
    end: date | None = None
    label: str = ""
    past: bool = False
    upcoming: bool = False
    last: bool = False
    bare_day: bool = False  # "tgl 17": a day of no named month (this month's, or the next)

    @property
    def named(self) -> bool:
        """Whether a day or a period was named (not only "next" or "latest")."""
        return self.start is not None

    @property
    def one_day(self) -> bool:
        """Whether it is a single day."""
        return self.start is not None and self.start == self.end


def _day(d: date, label: str | None = None, *, past: bool = False) -> When:
    return When(d, d, label or format_date(d), past=past)


def _week(today: date, shift: int, label: str) -> When:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
    return When(monday, monday + timedelta(days=6), label, past=shift < 0)


def _month(today: date, shift: int, label: str | None = None) -> When:
    y, m = today.year, today.month + shift
    while m > 12:
        y, m = y + 1, m - 12
    while m < 1:
        y, m = y - 1, m + 12
    first = date(y, m, 1)
    last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    return When(first, last, label or f"{_MONTH_NAMES[m - 1]} {y}", past=shift < 0)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def dated(today: date, day: int, month: int | None, year: int | None) -> date | None:
    """Day `day` of `month` (this month when not given): the next such date from a little
    before today, so "tgl 26" late in a month still means this month's 26th."""
    if year is not None:
        return _safe_date(year if year > 99 else 2000 + year, month or today.month, day)
    if month is None:
        found = _safe_date(today.year, today.month, day)
        if found is not None and found >= today - timedelta(days=14):
            return found
        nxt = _month(today, 1).start
        assert nxt is not None
        return _safe_date(nxt.year, nxt.month, day)
    found = _safe_date(today.year, month, day)
    if found is not None and found < today - timedelta(days=180):
        return _safe_date(today.year + 1, month, day)
    return found


def slash_dates(text: str, today: date) -> tuple[str, When | None]:
    """Take a "26/11"-style date out of raw text: the text without it, and the day."""
    m = _SLASHED.search(text)
    if m is None:
        return text, None
    d, mo = int(m.group(1)), int(m.group(2))
    year = int(m.group(3)) if m.group(3) else None
    if not 1 <= mo <= 12:
        return text, None
    found = dated(today, d, mo, year)
    if found is None:
        return text, None
    return text[: m.start()] + " " + text[m.end():], _day(found)


def _weekday(today: date, wd: int, modifier: str | None) -> When:
    delta = (wd - today.weekday()) % 7
    if modifier in _PAST:
        back = (today.weekday() - wd) % 7 or 7
        return _day(today - timedelta(days=back), past=True)
    if modifier in _NEXT:
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
        return _day(monday + timedelta(days=wd))
    return _day(today + timedelta(days=delta))


def _relative(word: str, nxt: str | None, today: date) -> tuple[When, int] | None:
    """"hari ini", "besok", "minggu depan", "bulan ini"…: the period and words it used."""
    if word in ("sekarang", "nanti", "tadi") or (word == "hari" and nxt == "ini"):
        return _day(today, "hari ini"), 2 if word == "hari" else 1
    if word == "besok":
        return _day(today + timedelta(days=1), "besok"), 1
    if word == "lusa":
        return _day(today + timedelta(days=2), "lusa"), 1
    if word in ("kemarin", "kemaren", "wingi") and nxt not in WEEKDAYS:
        return _day(today - timedelta(days=1), "kemarin", past=True), 1
    if word in ("minggu", "pekan") and nxt in ("ini", "depan", "lalu", "kemarin"):
        shift = {"ini": 0, "depan": 1}.get(nxt, -1)
        label = {0: "minggu ini", 1: "minggu depan"}.get(shift, "minggu lalu")
        return _week(today, shift, label), 2
    if word == "bulan" and nxt in ("ini", "depan", "lalu", "kemarin"):
        shift = {"ini": 0, "depan": 1}.get(nxt, -1)
        return _month(today, shift), 2
    return None


def _numbered(words: list[str], i: int, today: date) -> tuple[When, int] | None:
    """"tanggal 3 desember 2026", "3 des", "tgl 26": a day of a month."""
    j = i + (words[i] == "tanggal")
    if j >= len(words) or not words[j].isdigit() or not 1 <= int(words[j]) <= 31:
        return None
    month = MONTHS.get(words[j + 1]) if j + 1 < len(words) else None
    if month is None and words[i] != "tanggal":
        return None  # a bare number is not a date
    used = j - i + 1 + (month is not None)
    year = None
    k = i + used
    if month is not None and k < len(words) and re.fullmatch(r"20\d\d", words[k]):
        year, used = int(words[k]), used + 1
    found = dated(today, int(words[j]), month, year)
    if found is None:
        return None
    day = _day(found)
    if month is None:
        day = When(day.start, day.end, day.label, bare_day=True)
    return day, used


def read_when(words: list[str], today: date) -> tuple[When | None, list[bool]]:
    """The day or period named in normalised `words`, and which words named it."""
    used = [False] * len(words)
    found: When | None = None
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        prev = words[i - 1] if i > 0 else None
        hit: tuple[When, int] | None = _relative(w, nxt, today) or _numbered(words, i, today)
        if hit is None and w in WEEKDAYS and not (w == "minggu" and nxt in ("ini", "depan")):
            modifier = nxt if nxt in _PAST | _NEXT | _THIS else None
            if modifier is None and prev in _PAST:
                modifier = prev
                used[i - 1] = True
            hit = _weekday(today, WEEKDAYS[w], modifier), 1 + (modifier == nxt and nxt
                                                                 is not None)
            if prev in _DAY_WORDS:
                used[i - 1] = True
        if hit is None and w in MONTHS and len(w) > 3 and prev != "tanggal":
            month = MONTHS[w]
            shift = (month - today.month) % 12
            hit = _month(today, shift), 1
            if prev == "bulan":
                used[i - 1] = True
        if hit is not None:
            when, n = hit
            # A weekday and a date together ("kamis tgl 26"): the date is the more precise.
            if found is None or (not found.one_day or when.one_day):
                found = when if found is None or when.one_day else found
            for k in range(i, min(i + n, len(words))):
                used[k] = True
            i += n
            continue
        i += 1
    return found, used


def merge_hints(when: When | None, *, upcoming: bool, last: bool) -> When | None:
    """Add "next" / "latest" to what was named."""
    if not upcoming and not last:
        return when
    base = when or When()
    return When(base.start, base.end, base.label, past=base.past or last, upcoming=upcoming,
                last=last)


def ahead(when: When, today: date) -> When:
    """A bare day already past this month ("tgl 17" on the 24th), asked about what is to
    come, is next month's."""
    if not when.bare_day or when.start is None or when.start >= today:
        return when
    nxt = _month(today, 1).start
    assert nxt is not None
    moved = _safe_date(nxt.year, nxt.month, when.start.day)
    return _day(moved) if moved is not None else when
