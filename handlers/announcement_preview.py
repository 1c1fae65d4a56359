"""The preview of an announcement, exactly as recipients get it, and the confirm question."""

from __future__ import annotations

from core.text import esc
from core.types import Reply
from db.models.announcements import Announcement
from handlers.announcement_buttons import (
    FLOW,
    AnnAudience,
    AnnCancel,
    AnnConfirm,
    delivery_channels,
)
from handlers.router import Context
from schedules.announcement_text import format_count, format_duration
from schedules.announcements import announcement_reply, estimate_seconds
from schedules.segments import Segment

__all__ = ["audience_counts", "preview"]


async def audience_counts(ctx: Context, segment: Segment) -> dict[str, int]:
    """Recipients per channel (counted by the database, never loaded)."""
    return await segment.count(ctx.db, list(delivery_channels(ctx)))


def _rate_note(ctx: Context, rates: dict[str, float]) -> str:
    parts = [f"{ctx.deps.channels.label(c)} {r:g} pesan/detik" for c, r in rates.items()]
    return ", ".join(parts)


async def preview(ctx: Context, ann: Announcement) -> list[Reply]:
    """Show the announcement as recipients will see it, with the audience size and the
    buttons to send now, later, change the audience or cancel."""
    rates = delivery_channels(ctx)
    segment = Segment.from_json(ann.segment)
    counts = await audience_counts(ctx, segment)
    total = sum(counts.values())
    await ctx.set_state(FLOW, "confirm", {"ann": ann.id})
    who = esc(segment.describe(ctx.deps.regions, ctx.deps.channels))
    lines = [f"👥 <b>Penerima:</b> {format_count(total)} — {who}"]
    if len(counts) > 1:
        lines.append(" · ".join(f"{ctx.deps.channels.label(c)} {format_count(n)}"
                                for c, n in sorted(counts.items())))
    change = ctx.button("👥 Ubah penerima", AnnAudience(ann.id, "menu"))
    cancel = ctx.button("❌ Batal", AnnCancel(ann.id))
    if total == 0:
        lines.append("\nTidak ada pelanggan yang cocok. Silakan ubah penerima.")
        question = Reply("\n".join(lines), buttons=[[change], [cancel]])
    else:
        seconds = estimate_seconds(counts, rates)
        lines.append(f"⏱ Perkiraan lama pengiriman: ± {format_duration(seconds)} "
                     f"({esc(_rate_note(ctx, rates))}; pesan lain seperti pengingat didahulukan)")
        lines.append("\nKirim pengumuman ini? Atau ketik /batal.")
        question = Reply("\n".join(lines), buttons=[
            [ctx.button("✅ Kirim sekarang", AnnConfirm(ann.id, "now")),
             ctx.button("🕒 Kirim nanti", AnnConfirm(ann.id, "later"))],
            [change, cancel],
        ])
    head = Reply("👀 <b>Pratinjau</b> — persis seperti yang akan diterima peserta:")
    return [head, announcement_reply(ann, ctx.deps.channels[ctx.incoming.channel]), question]
