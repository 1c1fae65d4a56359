"""The audience step of /umumkan: everyone, or by kabupaten/kota, instansi, channel, programme."""

from __future__ import annotations

from core.programme import PROGRAMMES
from core.text import esc
from core.types import Reply
from handlers.announcement_buttons import (
    FLOW,
    AnnAudience,
    AnnCancel,
    AnnPick,
    current_draft,
    delivery_channels,
)
from handlers.announcement_preview import audience_counts, preview
from handlers.router import Context, Replies, Router
from schedules.announcement_text import format_count
from schedules.segments import Segment, SegmentError, checked_segment

__all__ = ["audience_question", "router", "typed"]

router = Router("announce-audience", admin=True)

STALE = "Tombol ini sudah tidak berlaku. Ketik /umumkan untuk memulai lagi."


def audience_question(ctx: Context, ann_id: int) -> Reply:
    """Who should receive it."""
    return Reply(
        "👥 <b>Kepada siapa pengumuman ini dikirim?</b>",
        buttons=[
            [ctx.button("👥 Semua pelanggan", AnnAudience(ann_id, "all"))],
            [ctx.button("📍 Per kabupaten/kota", AnnAudience(ann_id, "region")),
             ctx.button("🏢 Per instansi", AnnAudience(ann_id, "instansi"))],
            [ctx.button("💬 Per kanal", AnnAudience(ann_id, "channel")),
             ctx.button("📅 Per program", AnnAudience(ann_id, "programme"))],
            [ctx.button("❌ Batal", AnnCancel(ann_id))],
        ],
    )


@router.callback(AnnAudience)
async def audience_kind(ctx: Context, data: AnnAudience) -> Replies:
    """A way of choosing the audience was picked."""
    ann = await current_draft(ctx, data.ann)
    if ann is None:
        return Reply(notice=STALE)
    if data.kind == "menu":
        await ctx.set_state(FLOW, "audience", {"ann": ann.id})
        return [Reply("👥 Ubah penerima.", edit=True), audience_question(ctx, ann.id)]
    if data.kind == "all":
        ann.segment = {}
        return [Reply("👥 Penerima: semua pelanggan.", edit=True), *await preview(ctx, ann)]
    if data.kind == "region":
        await ctx.set_state(FLOW, "region", {"ann": ann.id})
        return Reply("📍 Ketik nama kabupaten/kota, misalnya <i>Sidoarjo</i> atau "
                     "<i>Kota Malang</i>.", edit=True)
    if data.kind == "instansi":
        await ctx.set_state(FLOW, "instansi", {"ann": ann.id})
        return Reply("🏢 Ketik nama instansi/OPD, atau sebagian namanya (misalnya <i>Dinas "
                     "Pendidikan</i>). Semua pelanggan yang instansinya memuat teks itu akan "
                     "menerima pengumuman.", edit=True)
    if data.kind == "channel":
        buttons = []
        for channel in delivery_channels(ctx):
            n = sum((await audience_counts(ctx, Segment(channel=channel))).values())
            buttons.append([ctx.button(f"{ctx.deps.channels.label(channel)} "
                                       f"({format_count(n)})", AnnPick(ann.id, "channel",
                                                                       channel))])
        buttons.append([ctx.button("⬅️ Kembali", AnnAudience(ann.id, "menu"))])
        return Reply("💬 Pilih kanal (pelanggan yang memilih kanal tersebut):", buttons=buttons,
                     edit=True)
    if data.kind == "programme":
        rows = [[ctx.button(f"{p.emoji} {p.name}", AnnPick(ann.id, "programme", p.key))]
                for p in PROGRAMMES]
        rows.append([ctx.button("⬅️ Kembali", AnnAudience(ann.id, "menu"))])
        return Reply("📅 Pelanggan program mana (yang tidak membisukan program itu)?",
                     buttons=rows, edit=True)
    return Reply(notice=STALE)


@router.callback(AnnPick)
async def picked(ctx: Context, data: AnnPick) -> Replies:
    """A region, channel or programme button."""
    ann = await current_draft(ctx, data.ann)
    if ann is None or data.key not in ("region", "channel", "programme"):
        return Reply(notice=STALE)
    try:
        segment = checked_segment({data.key: data.value}, ctx.deps.regions, ctx.deps.channels)
    except SegmentError:
        return Reply(notice=STALE)
    ann.segment = segment.to_json()
    who = segment.describe(ctx.deps.regions, ctx.deps.channels)
    note = Reply(f"👥 Penerima: {esc(who)}.", edit=True)
    return [note, *await preview(ctx, ann)]


async def typed(ctx: Context, step: str) -> Replies:
    """A region or instansi the admin typed."""
    ann = await current_draft(ctx)
    if ann is None:
        await ctx.clear_state()
        return Reply(STALE)
    text = " ".join((ctx.incoming.text or "").split())
    if step == "region":
        found = ctx.deps.regions.search(text)
        if not found:
            return Reply(f"Kabupaten/kota “{esc(text)}” tidak ditemukan. Coba ketik lagi, "
                         "misalnya <i>Surabaya</i>.")
        rows = [[ctx.button(r.label, AnnPick(ann.id, "region", r.code))] for r in found]
        rows.append([ctx.button("⬅️ Kembali", AnnAudience(ann.id, "menu"))])
        return Reply("📍 Pilih kabupaten/kota:", buttons=rows)
    if len(text) < 3 or len(text) > 160:
        return Reply("Mohon ketik nama instansi (3–160 huruf).")
    ann.segment = Segment(instansi=text).to_json()
    return [Reply(f"🏢 Penerima: instansi memuat “{esc(text)}”."), *await preview(ctx, ann)]
