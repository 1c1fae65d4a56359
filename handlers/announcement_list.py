"""/pengumuman: recent and scheduled announcements with their figures (admins)."""

from __future__ import annotations

from core.types import Button, Reply
from handlers.announcement_buttons import AnnStop
from handlers.router import Context, Replies, Router
from schedules.announcement_text import list_line
from schedules.announcements import figures, recent

__all__ = ["router"]

router = Router("announce-list", admin=True)


@router.command("pengumuman", description="Daftar pengumuman terbaru dan terjadwal")
async def list_announcements(ctx: Context) -> Replies:
    """Scheduled ones (with a cancel button) and the latest ones (running: stop button)."""
    anns = await recent(ctx.db, limit=10)
    if not anns:
        return Reply("Belum ada pengumuman. Ketik /umumkan untuk membuat pengumuman.")
    tz, regions = ctx.deps.config.tz, ctx.deps.regions
    lines = ["📣 <b>Pengumuman</b>", ""]
    buttons: list[list[Button]] = []
    for ann in anns:
        if ann.status == "running":
            # Stored counts lag by a few seconds; count live for the list.
            fig = await figures(ctx.db, ann.id)
            ann.sent, ann.blocked, ann.failed, ann.cancelled = (fig.sent, fig.blocked,
                                                                 fig.failed, fig.cancelled)
            ann.total = max(ann.total, fig.total)
            buttons.append([ctx.button(f"⏹ Hentikan #{ann.id}", AnnStop(ann.id))])
        elif ann.status == "scheduled":
            buttons.append([ctx.button(f"🗑 Batalkan jadwal #{ann.id}", AnnStop(ann.id))])
        lines.append(list_line(ann, tz=tz, regions=regions, channels=ctx.deps.channels))
    return Reply("\n".join(lines), buttons=buttons)
