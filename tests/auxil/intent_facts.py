"""The intent question set's expected facts, worked out from its calendar file.

An item of `tests/data/intent_eval.yaml` names what is asked (`ask`), of which session
(`session`, a kode_sesi or a list of them) and, when there is no such session, which one is
the nearest (`near`). Its `facts` are the strings a right answer contains: the session's date
and its start time in the asker's zone, plus the field asked (link, speaker, recording,
title, JP); for questions about the person, their JP total against 20. This module computes
them from `tests/data/intent_calendar.csv`, so the file's facts can be checked against the
calendar (and rewritten with `python -m tests.auxil.intent_facts` after a calendar edit).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from core.text import jp_text
from core.timezones import format_date, format_time

__all__ = [
    "CALENDAR",
    "EVAL",
    "HOLDOUT",
    "CalendarRow",
    "absent_for",
    "calendar_rows",
    "facts_for",
    "jp_of",
    "load_eval",
]

DATA = Path(__file__).resolve().parents[1] / "data"
CALENDAR = DATA / "intent_calendar.csv"
EVAL = DATA / "intent_eval.yaml"
HOLDOUT = DATA / "intent_holdout.yaml"
AGENCY = ZoneInfo("Asia/Jakarta")
NOT_YET = "belum tersedia"  # a recording that is not (yet) published
NO_SESSION = "tidak ada sesi"
CANCELLED = "dibatalkan"
PERSONAL = {"my-jp", "my-attendance", "my-profile"}
NO_CERTIFICATE = "Belum ada sertifikat"


@dataclass(frozen=True)
class CalendarRow:
    """One session of the eval calendar."""

    code: str
    day: date
    starts_at: datetime
    ends_at: datetime
    title: str
    speaker: str
    jp: float
    zoom: str
    youtube: str
    recording: str
    attendance_code: str


def _at(day: date, hhmm: str) -> datetime:
    hh, mm = hhmm.split(":")
    return datetime.combine(day, time(int(hh), int(mm)), AGENCY)


def calendar_rows() -> dict[str, CalendarRow]:
    """The calendar's sessions by kode_sesi (holidays left out)."""
    out: dict[str, CalendarRow] = {}
    with CALENDAR.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["program"] == "libur":
                continue
            day = date.fromisoformat(r["tanggal"])
            out[r["kode_sesi"]] = CalendarRow(
                r["kode_sesi"], day, _at(day, r["mulai"]), _at(day, r["selesai"]), r["judul"],
                r["narasumber"], float(r["jp"].replace(",", ".")), r["tautan_zoom"],
                r["tautan_youtube"], r["tautan_rekaman"], r["kode_presensi"],
            )
    return out


def load_eval(path: Path = EVAL) -> dict[str, Any]:
    """A question set: its clock, people and items."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def jp_of(person: dict[str, Any], rows: dict[str, CalendarRow]) -> float:
    """A person's JP total from the sessions they attended."""
    return sum(rows[c].jp for c in person.get("attended") or [])


def _when(row: CalendarRow, zone: str) -> list[str]:
    return [format_date(row.day), format_time(row.starts_at, zone)]


def _field(row: CalendarRow, ask: str, zone: str) -> list[str]:
    value = {
        "link": row.zoom or row.youtube,
        "zoom": row.zoom or row.youtube,  # a session without Zoom: its YouTube link
        "youtube": row.youtube,
        "recording": row.recording or NOT_YET,
        "speaker": row.speaker,
        "title": row.title,
        "schedule": row.title,
        "jp": f"{jp_text(row.jp)} JP",
        "end": format_time(row.ends_at, zone),
    }.get(ask)
    return [value] if value else []


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def facts_for(item: dict[str, Any], people: dict[str, Any],
              rows: dict[str, CalendarRow]) -> list[str]:
    """The strings a right answer to `item` contains."""
    ask, who = item["ask"], item["who"]
    zone = people[who]["tz"]
    if ask == "my-certificates":
        # Every session with JP they attended, by its title (the sweep issued them all: the
        # clock is long past each one's end); or that there is none yet.
        titles = [rows[c].title for c in people[who].get("attended") or [] if rows[c].jp]
        return titles or [NO_CERTIFICATE]
    if ask in PERSONAL:
        return [f"{jp_text(jp_of(people[who], rows))} JP dari target 20 JP"]
    if ask in ("none", "cancelled"):
        near = rows[item["near"]]
        return [NO_SESSION if ask == "none" else CANCELLED, *_when(near, zone)]
    facts: list[str] = []
    for code in _codes(item.get("session")):
        row = rows[code]
        facts += [*_when(row, zone), *_field(row, ask, zone)]
    return facts


def absent_for(item: dict[str, Any], rows: dict[str, CalendarRow]) -> list[str]:
    """Strings a right answer must not contain: the attendance code is never revealed."""
    return [rows[c].attendance_code for c in _codes(item.get("session"))
            if item["ask"] == "code"]


def _line(item: dict[str, Any]) -> str:
    return "- " + yaml.safe_dump(item, default_flow_style=True, allow_unicode=True,
                                 sort_keys=False, width=10_000).strip()


def rewrite(path: Path = EVAL) -> None:
    """Recompute every item's facts in place (comments and order kept, one item a line)."""
    data = load_eval(path)
    rows = calendar_rows()
    by_q = {i["q"]: i for i in data["items"]}
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- {"):
            item = yaml.safe_load(line)[0]
            item = dict(by_q[item["q"]])
            item["facts"] = facts_for(item, data["people"], rows)
            absent = absent_for(item, rows)
            item.pop("absent", None)
            if absent:
                item["absent"] = absent
            line = _line(item)
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]) if len(sys.argv) > 1 else EVAL)
