"""The profile fields a person fills in: how each is asked, checked and stored.

Registration and profile editing share these, so a field behaves the same in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import esc
from core.types import Reply
from db.certificates import request_check
from db.people import person_by_nip
from db.regions import suggest_tz
from handlers.nip import NipError, parse_nip
from handlers.router import Context

__all__ = [
    "EDIT_LABELS",
    "FIELDS",
    "FieldResult",
    "RegionPick",
    "SkipNip",
    "TzPick",
    "TzSure",
    "accept",
    "ask",
    "check_instansi",
    "check_name",
    "problems",
    "summary",
]

FIELDS = ("name", "nip", "instansi", "region", "tz")
# The /profil buttons (NIP and OPD are written in capitals).
EDIT_LABELS = {
    "name": "✏️ Ubah nama",
    "nip": "✏️ Ubah NIP",
    "instansi": "✏️ Ubah instansi / OPD",
    "region": "✏️ Ubah kabupaten/kota",
    "tz": "✏️ Ubah zona waktu",
}
SKIP_WORDS = {"lewati", "skip", "lewat", "nanti"}
ZONE_LABELS = {"WIB": "UTC+7", "WITA": "UTC+8", "WIT": "UTC+9"}
# A name is letters, with the spaces and marks of academic degrees and of names themselves:
# "Dr. Sri Wahyuni, S.Kom., M.M.", "Ni Luh Putu Ayu", "Ma'ruf", "Siti Nur-Aini".
_NAME_MARKS = set(" .,'’‘`-()")
BAD_NAME = (
    "Mohon ketik nama lengkap dengan huruf (3–120 karakter). Gelar, titik, koma, tanda "
    "hubung dan tanda petik boleh, misalnya <i>Dr. Sri Wahyuni, S.Kom., M.M.</i>"
)
BAD_INSTANSI = (
    "Mohon ketik nama instansi / OPD dengan huruf (3–160 karakter), misalnya "
    "<i>Dinas Pendidikan Kab. Sidoarjo</i>."
)


@dataclass(frozen=True)
class RegionPick(CallbackData):
    """A kabupaten/kota chosen from the search results."""

    prefix: ClassVar[str] = "rgr"
    code: str


@dataclass(frozen=True)
class TzPick(CallbackData):
    """A time zone chosen with a button."""

    prefix: ClassVar[str] = "rgt"
    tz: str


@dataclass(frozen=True)
class TzSure(CallbackData):
    """A time zone kept after being told the kabupaten/kota usually uses another."""

    prefix: ClassVar[str] = "rgz"
    tz: str


@dataclass(frozen=True)
class SkipNip(CallbackData):
    """Register without a NIP."""

    prefix: ClassVar[str] = "rgs"


@dataclass(frozen=True)
class FieldResult:
    """The outcome of a person's answer: stored (ok) or a reply explaining what to fix."""

    ok: bool
    reply: Reply | None = None


def ask(ctx: Context, field: str, *, editing: bool = False) -> Reply:
    """The question for a field."""
    cancel = "\n\nKetik /batal untuk membatalkan."
    if field == "name":
        return Reply("Silakan ketik <b>nama lengkap</b> Bapak/Ibu (boleh dengan gelar)." + cancel)
    if field == "nip":
        text = (
            "Silakan ketik <b>NIP</b> Bapak/Ibu (18 digit).\n"
            "NIP diperlukan agar kehadiran tercatat sebagai JP. Jika belum ingin mengisinya, "
            "ketik <i>lewati</i>." + cancel
        )
        return Reply(text, buttons=[[ctx.button("Lewati (tanpa NIP)", SkipNip())]])
    if field == "instansi":
        return Reply(
            "Silakan ketik nama <b>instansi / OPD</b> tempat Bapak/Ibu bertugas "
            "(contoh: Dinas Pendidikan Kab. Sidoarjo)." + cancel
        )
    if field == "region":
        return Reply(
            "Di <b>kabupaten/kota</b> mana Bapak/Ibu bertugas? Ketik sebagian namanya "
            "(contoh: <i>Sby</i>, <i>Malang</i>, <i>Banyuwangi</i>), lalu pilih dari tombol."
            + cancel
        )
    if field == "tz":
        return _ask_tz(ctx)
    raise ValueError(field)


def _ask_tz(ctx: Context) -> Reply:
    """The zones, the one of the person's kabupaten/kota first and marked."""
    region = ctx.deps.regions.get(ctx.person.region_code)
    hint = suggest_tz(region) if region is not None else None
    zones = sorted(ZONE_LABELS, key=lambda z: z != hint)
    buttons = [
        [ctx.button(f"✅ {z} (disarankan)" if z == hint else f"{z} ({ZONE_LABELS[z]})",
                    TzPick(z))]
        for z in zones
    ]
    text = "Pilih <b>zona waktu</b> Bapak/Ibu, agar jam sesi ditampilkan sesuai waktu setempat."
    if region is not None and hint is not None:
        text += (f"\nUntuk {esc(region.name)} disarankan <b>{hint}</b> "
                 f"({ZONE_LABELS[hint]}).")
    return Reply(text, buttons=buttons)


def check_name(text: str) -> str | None:
    """What is wrong with a name, or None."""
    if not 3 <= len(text) <= 120 or sum(c.isalpha() for c in text) < 2:
        return BAD_NAME
    if any(not (c.isalpha() or c in _NAME_MARKS) for c in text):
        return BAD_NAME
    return None


def check_instansi(text: str) -> str | None:
    """What is wrong with an instansi / OPD, or None."""
    if not 3 <= len(text) <= 160 or not _NAME_OK.match(text) or "<" in text or ">" in text:
        return BAD_INSTANSI
    if sum(c.isalpha() for c in text) < 2:
        return BAD_INSTANSI  # an 18-digit number is a NIP, not an office
    return None


_NAME_OK = re.compile(r"^[^\x00-\x1f\x7f]+$")


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.deps.config.tz).date()


def problems(ctx: Context) -> list[tuple[str, str]]:
    """Stored fields that today's checks would refuse (kept, but worth fixing), with why."""
    p = ctx.person
    found: list[tuple[str, str]] = []
    if p.full_name and check_name(p.full_name):
        found.append(("name", "nama memuat tanda selain huruf dan gelar"))
    if p.instansi and check_instansi(p.instansi):
        found.append(("instansi", "instansi / OPD tanpa huruf atau memuat tanda &lt; &gt;"))
    if p.nip:
        try:
            parse_nip(p.nip, _today(ctx))
        except NipError as exc:
            found.append(("nip", esc(str(exc))))
    return found


async def accept(ctx: Context, field: str, text: str, *, sure: bool = False) -> FieldResult:
    """Check and store a typed (or picked) answer for `field`; `sure`: a time zone kept
    after the mismatch question."""
    text = " ".join(text.split())
    person = ctx.person
    if field == "name":
        error = check_name(text)
        if error:
            return FieldResult(False, Reply(error))
        if person.full_name != text and person.registered_at is not None:
            # Certificates carry the name: the next sweep replaces them.
            await request_check(ctx.db, "person", person.id, ctx.now)
        person.full_name = text
        return FieldResult(True)
    if field == "nip":
        if text.lower() in SKIP_WORDS:
            person.nip = None
            return FieldResult(True, Reply(
                "Baik, NIP dilewati. Bapak/Ibu tetap menerima menu harian, namun kehadiran "
                "<b>belum dapat dihitung sebagai JP</b> sampai NIP diisi lewat /profil."
            ))
        try:
            nip = parse_nip(text, _today(ctx))
        except NipError as exc:
            return FieldResult(False, Reply(f"❌ {exc}\nSilakan ketik ulang NIP, atau ketik "
                                            "<i>lewati</i>."))
        other = await person_by_nip(ctx.db, nip)
        if other is not None and other.id != person.id:
            return FieldResult(False, Reply(
                "❌ NIP ini sudah terdaftar atas akun lain. Jika ini NIP Bapak/Ibu, "
                "silakan hubungi admin BPSDM melalui /tanya agar dapat dibantu. "
                "Ketik NIP lain, atau <i>lewati</i>."
            ))
        if person.nip != nip:
            # Attendance waiting for a NIP gets its certificates; a changed NIP, new ones.
            await request_check(ctx.db, "person", person.id, ctx.now)
        person.nip = nip
        return FieldResult(True)
    if field == "instansi":
        error = check_instansi(text)
        if error:
            return FieldResult(False, Reply(error))
        person.instansi = text
        return FieldResult(True)
    if field == "region":
        found = ctx.deps.regions.search(text)
        if not found:
            return FieldResult(False, Reply(
                f"Kabupaten/kota “{esc(text)}” tidak ditemukan. Coba ketik sebagian nama lain "
                "(contoh: <i>Surabaya</i>, <i>Kab. Malang</i>)."
            ))
        buttons = [[ctx.button(r.label[:60], RegionPick(r.code))] for r in found]
        return FieldResult(False, Reply(
            "Pilih kabupaten/kota Bapak/Ibu (atau ketik nama lain untuk mencari lagi):",
            buttons=buttons,
        ))
    if field == "tz":
        return await _accept_tz(ctx, text.upper(), sure)
    raise ValueError(field)


async def _accept_tz(ctx: Context, zone: str, sure: bool) -> FieldResult:
    """Store the zone; one that does not fit the kabupaten/kota is asked about once."""
    if zone not in ZONE_LABELS:
        return FieldResult(False, ask(ctx, "tz"))
    region = ctx.deps.regions.get(ctx.person.region_code)
    hint = suggest_tz(region) if region is not None else zone
    asked = ctx.state.data.get("tz_asked") if ctx.state is not None else None
    if zone != hint and not sure and asked != zone and region is not None:
        if ctx.state is not None:
            await ctx.set_state(ctx.state.flow, ctx.state.step,
                                {**ctx.state.data, "tz_asked": zone})
        return FieldResult(False, Reply(
            f"{esc(region.name)} biasanya memakai <b>{hint}</b> ({ZONE_LABELS[hint]}), "
            f"sedangkan Bapak/Ibu memilih <b>{zone}</b> ({ZONE_LABELS[zone]}). "
            "Jam sesi akan ditampilkan dalam zona yang dipilih. Yakin?",
            buttons=[[ctx.button(f"Ya, pakai {zone}", TzSure(zone))],
                     [ctx.button(f"Pakai {hint}", TzPick(hint))]],
        ))
    ctx.person.tz = zone
    return FieldResult(True)


def summary(ctx: Context) -> str:
    """The stored profile, escaped, one field a line."""
    p = ctx.person
    region = ctx.deps.regions.get(p.region_code)
    nip = p.nip or "— (belum diisi: kehadiran belum dihitung sebagai JP)"
    lines = [
        f"• Nama: {esc(p.full_name or '—')}",
        f"• NIP: {esc(nip)}",
        f"• Instansi / OPD: {esc(p.instansi or '—')}",
        f"• Kabupaten/kota: {esc(region.name if region else '—')}",
        f"• Zona waktu: {esc(p.tz)}",
    ]
    return "\n".join(lines)
