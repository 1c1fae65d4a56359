"""The five weekday programmes of ASN Dahar Ngopi and which one runs on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "PROGRAMMES",
    "Programme",
    "by_key",
    "find_programme",
    "next_working_day",
    "programme_for",
]


@dataclass(frozen=True)
class Programme:
    """One weekday programme."""

    key: str
    weekday: int  # 0 = Monday
    name: str
    description: str
    emoji: str
    # The evaluation its sessions ask for unless the calendar's `evaluasi` says otherwise:
    # ya (offered), tidak (none) or wajib (required for the certificate).
    evaluation: str = "tidak"


PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "forum-berbagi-ilmu", 0, "Forum ASN Berbagi Ilmu",
        "Forum berbagi pengetahuan: ASN berbagi cara menjalankan tugas agar kinerja "
        "unggul cepat direplikasi.", "🤝", "ya",
    ),
    Programme(
        "asn-bertanya", 1, "ASN Bertanya, BPSDM Menjawab",
        "Tanya jawab seputar isu pengembangan kompetensi terkini bersama BPSDM.", "💬",
    ),
    Programme(
        "asn-mengaji", 2, "ASN Mengaji",
        "Kesalehan sosial dan wawasan spiritual: kajian keislaman terkini yang dekat "
        "dengan keseharian ASN.", "📖",
    ),
    Programme(
        "asn-belajar", 3, "ASN Belajar",
        "Webinar kompetensi manajerial, teknis, fungsional dan sosial kultural, "
        "lewat Zoom Meeting dan YouTube BPSDM Jatim.", "🎓", "ya",
    ),
    Programme(
        "asn-sehat-bugar", 4, "ASN Sehat dan Bugar",
        "Hidup sehat dan kebugaran jasmani bersama.", "💪",
    ),
)

_BY_KEY = {p.key: p for p in PROGRAMMES}


def by_key(key: str) -> Programme:
    """The programme with this key (KeyError if none)."""
    return _BY_KEY[key]


def find_programme(text: str) -> Programme | None:
    """The programme named by its key or its name, case and spacing ignored."""
    wanted = " ".join(text.lower().replace("-", " ").split())
    for p in PROGRAMMES:
        if wanted in (p.key.replace("-", " "), p.name.lower()):
            return p
    return None


def programme_for(day: date) -> Programme | None:
    """The programme of a date's weekday, or None on Saturday and Sunday."""
    wd = day.weekday()
    return PROGRAMMES[wd] if wd < 5 else None


def next_working_day(day: date) -> date:
    """The first Monday-to-Friday date after `day` (holidays are the calendar's concern)."""
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += timedelta(days=1)
    return nxt
