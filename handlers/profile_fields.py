"""The profile fields a person fills in: how each is asked, checked and stored.

Registration and profile editing share these, so a field behaves the same in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import esc
from core.types import Reply
from db.certificates import request_check
from db.people import person_by_nip
from db.regions import suggest_tz
from handlers.nip import NipError, parse_nip
from handlers.router import Context

__all__ = ["FIELDS", "FieldResult", "RegionPick", "SkipNip", "TzPick", "accept", "ask", "summary"]

FIELDS = ("name", "nip", "instansi", "region", "tz")
FIELD_LABELS = {
    "name": "Nama lengkap",
    "nip": "NIP",
    "instansi": "Instansi / OPD",
    "region": "Kabupaten/kota",
    "tz": "Zona waktu",
}
SKIP_WORDS = {"lewati", "skip", "lewat", "nanti"}
# Names may hold any printable text (it is escaped wherever shown); control characters may not.
_NAME_OK = re.compile(r"^[^\x00-\x1f\x7f]+$")


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
        region = ctx.deps.regions.get(ctx.person.region_code)
        hint = suggest_tz(region)
        buttons = [
            [ctx.button(("✅ " if z == hint else "") + label, TzPick(z))]
            for z, label in (
                ("WIB", "WIB (UTC+7)"),
                ("WITA", "WITA (UTC+8)"),
                ("WIT", "WIT (UTC+9)"),
            )
        ]
        return Reply(
            "Pilih <b>zona waktu</b> Bapak/Ibu, agar jam sesi ditampilkan sesuai waktu setempat.",
            buttons=buttons,
        )
    raise ValueError(field)


async def accept(ctx: Context, field: str, text: str) -> FieldResult:
    """Check and store a typed answer for `field`."""
    text = " ".join(text.split())
    person = ctx.person
    if field == "name":
        if not 3 <= len(text) <= 120 or not _NAME_OK.match(text) or text.isdigit():
            return FieldResult(False, Reply(
                "Mohon ketik nama lengkap yang valid (3–120 karakter, bukan hanya angka)."
            ))
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
            nip = parse_nip(text)
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
        if not 3 <= len(text) <= 160 or not _NAME_OK.match(text):
            return FieldResult(False, Reply(
                "Mohon ketik nama instansi / OPD yang valid (3–160 karakter)."
            ))
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
        zone = text.upper()
        if zone not in {"WIB", "WITA", "WIT"}:
            return FieldResult(False, ask(ctx, "tz"))
        person.tz = zone
        return FieldResult(True)
    raise ValueError(field)


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
