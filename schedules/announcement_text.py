"""What the admin reads about an announcement: progress, the final report, list lines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.channels import ChannelInfo
from core.html_check import visible_text
from core.text import esc
from core.timezones import ZONES
from db.models.announcements import Announcement
from db.regions import Regions
from schedules.announcements import Figures
from schedules.segments import Segment

__all__ = [
    "format_count",
    "format_duration",
    "format_when",
    "list_line",
    "progress_text",
    "report_text",
    "tz_label",
]

_STATUS = {
    "draft": "📝 draf",
    "scheduled": "🕒 terjadwal",
    "running": "⏳ sedang dikirim",
    "done": "✅ selesai",
    "stopped": "⏹ dihentikan",
}


def tz_label(tz: ZoneInfo) -> str:
    """WIB, WITA or WIT for Indonesia's zones, else the zone's name."""
    return next((label for label, z in ZONES.items() if z.key == tz.key), tz.key)


def format_count(n: int) -> str:
    """'100.000' (Indonesian thousands separator)."""
    return f"{n:,}".replace(",", ".")


def format_when(at: datetime, tz: ZoneInfo) -> str:
    """'24-11-2026 15.00 WIB' in the agency's time zone."""
    return f"{at.astimezone(tz):%d-%m-%Y %H.%M} {tz_label(tz)}"


def format_duration(seconds: float) -> str:
    """'56 menit', '1 jam 5 menit', 'kurang dari 1 menit'."""
    if seconds < 60:
        return "kurang dari 1 menit" if seconds > 0 else "0 menit"
    minutes = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} jam {minutes} menit"
    return f"{hours} jam" if hours else f"{minutes} menit"


def _title(ann: Announcement) -> str:
    plain = " ".join(visible_text(ann.text).split())
    if not plain:
        plain = {"photo": "[foto]", "document": "[dokumen]"}.get(ann.media_kind or "", "")
    return esc(plain[:60] + ("…" if len(plain) > 60 else ""))


def _figure_lines(fig: Figures) -> list[str]:
    return [
        f"✅ Terkirim: {format_count(fig.sent)}",
        f"🚫 Memblokir bot: {format_count(fig.blocked)}",
        f"⚠️ Gagal: {format_count(fig.failed)}",
    ]


def progress_text(
    ann: Announcement,
    fig: Figures,
    *,
    now: datetime,
    tz: ZoneInfo,
    regions: Regions,
    channels: Mapping[str, ChannelInfo],
    eta_seconds: float | None,
    rate: float | None,
) -> str:
    """The progress message, edited in place while it runs."""
    segment = Segment.from_json(ann.segment).describe(regions, channels)
    head = f"📣 <b>Pengumuman #{ann.id}</b> — {_STATUS.get(ann.status, ann.status)}"
    lines = [head, f"<i>{_title(ann)}</i>", f"Penerima: {format_count(fig.total or ann.audience)}"
             f" ({esc(segment)})", ""]
    if ann.status == "scheduled" and ann.scheduled_at is not None:
        lines.append(f"Dijadwalkan: {format_when(ann.scheduled_at, tz)}")
        return "\n".join(lines)
    if ann.status == "running" and ann.queued_at is None:
        lines.append(f"Menyiapkan daftar penerima… ({format_count(fig.total)} sejauh ini)")
        return "\n".join(lines)
    lines += _figure_lines(fig)
    if fig.cancelled:
        lines.append(f"⛔ Dibatalkan: {format_count(fig.cancelled)}")
    lines.append(f"⏳ Sisa: {format_count(fig.pending)}")
    if ann.stop_requested_at is not None and ann.status == "running":
        lines += ["", "⏹ Dihentikan; menunggu pesan yang sedang dikirim."]
    elif fig.pending and eta_seconds is not None:
        lines.append("")
        if rate:
            lines.append(f"Kecepatan: {rate:.1f} pesan/detik".replace(".", ","))
        finish = now + timedelta(seconds=eta_seconds)
        lines.append(f"Perkiraan selesai: {finish.astimezone(tz):%H.%M} {tz_label(tz)} "
                     f"(± {format_duration(eta_seconds)} lagi)")
    lines.append(f"\nDiperbarui {now.astimezone(tz):%H.%M.%S} {tz_label(tz)}")
    return "\n".join(lines)


def report_text(
    ann: Announcement, fig: Figures, reasons: list[tuple[str, int]], *, tz: ZoneInfo,
    regions: Regions, channels: Mapping[str, ChannelInfo], now: datetime,
) -> str:
    """The final report: delivered, blocked (marked inactive), failed with reasons."""
    stopped = ann.stop_requested_at is not None
    head = "⏹ <b>dihentikan</b>" if stopped else "✅ <b>selesai</b>"
    segment = Segment.from_json(ann.segment).describe(regions, channels)
    lines = [f"📣 <b>Laporan pengumuman #{ann.id}</b> — {head}", f"<i>{_title(ann)}</i>",
             f"Penerima: {format_count(fig.total)} ({esc(segment)})"]
    if ann.started_at is not None:
        took = (now - ann.started_at).total_seconds()
        lines.append(f"Dimulai {format_when(ann.started_at, tz)}, selesai "
                     f"{now.astimezone(tz):%H.%M} ({format_duration(took)})")
    lines += [
        "",
        f"✅ Terkirim: {format_count(fig.sent)}",
        f"🚫 Memblokir bot: {format_count(fig.blocked)} (kini ditandai tidak aktif)",
        f"⚠️ Gagal: {format_count(fig.failed)}",
    ]
    lines += [f"   • {format_count(n)}× {esc(reason)}" for reason, n in reasons]
    if fig.cancelled or stopped:
        lines.append(f"⛔ Dibatalkan (tidak dikirim): {format_count(fig.cancelled)}")
    return "\n".join(lines)


def list_line(
    ann: Announcement, *, tz: ZoneInfo, regions: Regions, channels: Mapping[str, ChannelInfo]
) -> str:
    """One announcement in /pengumuman."""
    segment = Segment.from_json(ann.segment).describe(regions, channels)
    line = f"<b>#{ann.id}</b> {_STATUS.get(ann.status, ann.status)} — <i>{_title(ann)}</i>\n"
    if ann.status == "scheduled" and ann.scheduled_at:
        return line + (f"   {format_when(ann.scheduled_at, tz)}, ± {format_count(ann.audience)} "
                       f"penerima ({esc(segment)})")
    when = ann.started_at or ann.created_at
    return line + (f"   {format_when(when, tz)} · {esc(segment)} · "
                   f"terkirim {format_count(ann.sent)}/{format_count(ann.total)}, "
                   f"diblokir {format_count(ann.blocked)}, gagal {format_count(ann.failed)}"
                   + (f", batal {format_count(ann.cancelled)}" if ann.cancelled else ""))
