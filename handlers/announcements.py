"""/umumkan: admins compose an announcement (text, or a photo/document with a caption),
choose its audience, preview it, and send it now or later; a button stops it."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from pathlib import Path

from core.channels import ChannelInfo
from core.html_check import check_html
from core.text import esc
from core.types import Attachment, Reply
from handlers.announcement_audience import audience_question, typed
from handlers.announcement_buttons import (
    FLOW,
    AnnCancel,
    AnnConfirm,
    AnnStop,
    current_draft,
    delivery_channels,
)
from handlers.announcement_preview import audience_counts, preview
from handlers.router import Context, Replies, Router
from schedules.announcement_text import format_count, format_duration, format_when, tz_label
from schedules.announcement_time import WhenError, parse_when
from schedules.announcements import (
    Media,
    confirm,
    create_announcement,
    estimate_seconds,
    request_stop,
)
from schedules.segments import Segment

__all__ = ["router"]

log = logging.getLogger(__name__)

router = Router("announce", admin=True)

# A bound for the command's argument; the channels' own limits are checked on the draft.
MAX_DRAFT = 20_000
INTRO = (
    "📣 <b>Pengumuman baru</b>\n\n"
    "Kirim teks pengumuman. Format HTML Telegram boleh dipakai: &lt;b&gt;tebal&lt;/b&gt;, "
    "&lt;i&gt;miring&lt;/i&gt;, &lt;u&gt;garis bawah&lt;/u&gt;, &lt;s&gt;coret&lt;/s&gt;, "
    "&lt;a href=\"https://…\"&gt;tautan&lt;/a&gt;, &lt;code&gt;, &lt;pre&gt;, "
    "&lt;blockquote&gt;, &lt;tg-spoiler&gt;.\n"
    "Atau kirim <b>foto</b> atau <b>dokumen</b> dengan keterangan (caption).\n\n"
    "Ketik /batal untuk membatalkan."
)
STALE = "Tombol ini sudah tidak berlaku."


def _wake(ctx: Context) -> None:
    if ctx.deps.announcer is not None:
        ctx.deps.announcer.wake()


async def _discard_draft(ctx: Context) -> None:
    old = await current_draft(ctx)
    if old is not None:
        await ctx.db.delete(old)


@router.command("umumkan", description="Kirim pengumuman ke pelanggan", max_len=MAX_DRAFT,
                args=r"\S.*")
async def umumkan(ctx: Context) -> Replies:
    """Start composing; `/umumkan TEKS` goes straight to the preview for everyone."""
    await _discard_draft(ctx)
    inc = ctx.incoming
    if inc.photo is not None or inc.document is not None:
        return await _content(ctx, ctx.args, inc.photo or inc.document, straight=False)
    if ctx.args:
        return await _content(ctx, ctx.args, None, straight=True)
    await ctx.set_state(FLOW, "content", {})
    return Reply(INTRO)


@router.document()
async def media_received(ctx: Context) -> Replies:
    """A photo or document while the admin composes an announcement."""
    state = ctx.state
    if state is None or state.flow != FLOW or state.step != "content":
        return None
    inc = ctx.incoming
    return await _content(ctx, inc.text or "", inc.photo or inc.document, straight=False)


@router.flow(FLOW)
async def flow_step(ctx: Context) -> Replies:
    """A text typed during the conversation."""
    assert ctx.state is not None
    step = ctx.state.step
    if step == "content":
        return await _content(ctx, ctx.incoming.text or "", None, straight=False)
    if step in ("region", "instansi"):
        return await typed(ctx, step)
    if step == "when":
        return await _when_typed(ctx)
    if step == "audience":
        ann = await current_draft(ctx)
        if ann is not None:
            return [Reply("Silakan pilih penerima dengan tombol, atau ketik /batal."),
                    audience_question(ctx, ann.id)]
    if step == "confirm":
        return Reply("Silakan tekan tombol <b>Kirim sekarang</b> atau <b>Kirim nanti</b> di "
                     "atas, atau ketik /batal untuk membatalkan.")
    await ctx.clear_state()
    return Reply("Percakapan pengumuman sudah berakhir. Ketik /umumkan untuk memulai lagi.")


def _errors_reply(errors: list[str]) -> Reply:
    items = "\n".join(f"• {esc(e)}" for e in errors[:8])
    return Reply("❌ <b>Teks belum dapat dikirim</b> — format HTML-nya belum benar:\n"
                 f"{items}\n\nPerbaiki lalu kirim ulang teksnya, atau ketik /batal.")


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def _local_copy(ctx: Context, att: Attachment) -> str | None:
    """Keep a copy of the file for channels that cannot reuse this channel's file id."""
    others = set(delivery_channels(ctx)) - {ctx.incoming.channel}
    if not others or ctx.fetch_file is None:
        return None
    try:
        data = await ctx.fetch_file(att)
    except Exception:
        log.exception("downloading an announcement file failed")
        return None
    digest = hashlib.sha256(data).hexdigest()[:16]
    name = _SAFE.sub("_", Path(att.filename).name).strip("._") or "berkas"
    folder = Path(ctx.deps.config.announcement_media_dir) / digest
    path = folder / name

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    await asyncio.to_thread(write)
    return str(path.resolve())


def _length_limit(ctx: Context, *, caption: bool) -> int:
    """The most characters every channel it goes to (and the admin's, for the preview)
    takes in one message, or in a caption."""
    names = {*delivery_channels(ctx), ctx.incoming.channel}
    infos = [ctx.deps.channels[n] for n in names if n in ctx.deps.channels]
    return min(i.caption_limit if caption else i.text_limit for i in infos or [ChannelInfo("", "")])


async def _content(ctx: Context, text: str, att: Attachment | None, *, straight: bool) -> Replies:
    """Check the text (and file), create the draft, go on to the audience (or preview)."""
    text = text.strip()
    if not text and att is None:
        return Reply("Mohon kirim teks pengumuman, atau foto/dokumen dengan keterangan.")
    check = check_html(text)
    if not check.ok:
        return _errors_reply(check.errors)
    limit = _length_limit(ctx, caption=att is not None)
    if check.visible_length > limit:
        what = "Keterangan foto/dokumen" if att is not None else "Teks pengumuman"
        return Reply(f"❌ {what} terlalu panjang: {format_count(check.visible_length)} karakter "
                     f"(maksimal {format_count(limit)}). Mohon dipersingkat.")
    media = None
    if att is not None:
        kind = "photo" if ctx.incoming.photo is not None else "document"
        media = Media(kind=kind, channel=ctx.incoming.channel, file_id=att.file_id,
                      filename=att.filename, mime_type=att.mime_type,
                      path=await _local_copy(ctx, att))
    ann = await create_announcement(
        ctx.db, created_by=f"{ctx.incoming.channel}:{ctx.incoming.user_id}",
        person_id=ctx.person.id, text=check.text, media=media, now=ctx.now,
    )
    if straight:
        return await preview(ctx, ann)
    await ctx.set_state(FLOW, "audience", {"ann": ann.id})
    return audience_question(ctx, ann.id)


@router.callback(AnnConfirm)
async def confirmed(ctx: Context, data: AnnConfirm) -> Replies:
    """Send now, or ask when."""
    ann = await current_draft(ctx, data.ann)
    if ann is None or ctx.state is None or ctx.state.step not in ("confirm", "when"):
        return Reply(notice="Pratinjau ini sudah tidak berlaku.")
    if data.when == "later":
        await ctx.set_state(FLOW, "when", {"ann": ann.id})
        tz = ctx.deps.config.tz
        return Reply(
            f"🕒 Ketik tanggal dan jam pengiriman (zona {tz_label(tz)}), misalnya "
            "<code>24-11-2026 15.00</code>, <code>2026-11-24 15:00</code> atau "
            "<code>besok 07.00</code>.\nKetik /batal untuk membatalkan.", edit=True,
        )
    counts = await audience_counts(ctx, Segment.from_json(ann.segment))
    total = sum(counts.values())
    if total == 0:
        return Reply(notice="Tidak ada penerima. Silakan ubah penerima.")
    progress = (ctx.incoming.channel, ctx.incoming.chat_id, ctx.incoming.message_id)
    if not await confirm(ctx.db, ann.id, at=ctx.now, now=ctx.now, audience=total,
                         progress=progress):
        return Reply(notice="Pengumuman ini sudah diproses.")
    await ctx.clear_state()
    _wake(ctx)
    eta = format_duration(estimate_seconds(counts, delivery_channels(ctx)))
    return Reply(
        f"📣 <b>Pengumuman #{ann.id}</b> — ⏳ memulai pengiriman ke {format_count(total)} "
        f"penerima… (perkiraan ± {eta})\nPesan ini akan diperbarui selama pengiriman.",
        buttons=[[ctx.button("⏹ Hentikan pengiriman", AnnStop(ann.id))]],
        edit=True, notice="Pengiriman dimulai.",
    )


async def _when_typed(ctx: Context) -> Replies:
    ann = await current_draft(ctx)
    if ann is None:
        await ctx.clear_state()
        return Reply("Draf pengumuman tidak ditemukan. Ketik /umumkan untuk memulai lagi.")
    tz = ctx.deps.config.tz
    try:
        at = parse_when(ctx.incoming.text or "", now=ctx.now, tz=tz)
    except WhenError as exc:
        return Reply(f"❌ {esc(exc)}\nCoba lagi, atau ketik /batal.")
    total = sum((await audience_counts(ctx, Segment.from_json(ann.segment))).values())
    inc = ctx.incoming
    if not await confirm(ctx.db, ann.id, at=at, now=ctx.now, audience=total,
                         progress=(inc.channel, inc.chat_id, None)):
        return Reply("Pengumuman ini sudah diproses.")
    await ctx.clear_state()
    _wake(ctx)
    return Reply(
        f"🕒 <b>Pengumuman #{ann.id}</b> dijadwalkan pada <b>{format_when(at, tz)}</b> untuk "
        f"± {format_count(total)} penerima (jumlah dihitung ulang saat dikirim).\n"
        "Lihat semua jadwal dengan /pengumuman.",
        buttons=[[ctx.button("🗑 Batalkan jadwal", AnnStop(ann.id))]],
    )


@router.callback(AnnCancel)
async def cancelled(ctx: Context, data: AnnCancel) -> Replies:
    """Throw the draft away."""
    ann = await current_draft(ctx, data.ann)
    if ann is None:
        return Reply(notice=STALE)
    await ctx.db.delete(ann)
    await ctx.clear_state()
    return Reply("Pengumuman dibatalkan; tidak ada yang dikirim.", edit=True)


@router.callback(AnnStop)
async def stop(ctx: Context, data: AnnStop) -> Replies:
    """Stop a running announcement (unsent messages are cancelled) or cancel a scheduled one."""
    by = f"{ctx.incoming.channel}:{ctx.incoming.user_id}"
    outcome = await request_stop(ctx.db, data.ann, by=by, now=ctx.now)
    _wake(ctx)
    if outcome.what == "cancelled":
        return Reply(f"🗑 Jadwal pengumuman #{data.ann} dibatalkan; tidak ada yang dikirim.",
                     edit=True, notice="Jadwal dibatalkan.")
    if outcome.what == "stopping":
        return Reply(
            f"⏹ <b>Pengumuman #{data.ann} dihentikan.</b> {format_count(outcome.cancelled)} "
            "pesan yang belum terkirim dibatalkan; pesan yang sedang dikirim diselesaikan. "
            "Laporan menyusul.", edit=True, notice="Pengiriman dihentikan.",
        )
    if outcome.what == "finished":
        return Reply(notice="Pengumuman ini sudah selesai.")
    return Reply(notice=STALE)
