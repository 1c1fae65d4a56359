"""`dahar-ngopi umumkan`: queue an announcement from the command line, follow it, list them."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import mimetypes
import shutil
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.runtime import Runtime
from core.channels import ChannelInfo
from core.html_check import check_html, visible_text
from db.heartbeats import alive
from db.models.announcements import Announcement
from db.models.processes import ProcessHeartbeat
from schedules.announcement_text import format_count, format_duration, format_when
from schedules.announcement_time import WhenError, parse_when
from schedules.announcements import (
    Figures,
    Media,
    channel_rates,
    confirm,
    create_announcement,
    estimate_seconds,
    figures,
    finish_if_drained,
    recent,
    start_due,
)
from schedules.segments import Segment, SegmentError, parse_segment

__all__ = ["add_parser", "announce_cmd", "status_cmd"]

_PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
DELIVERERS = ("run", "worker")  # the processes whose outbox workers send
CHECK_EVERY = 5.0  # seconds between looks at the heartbeats while following
NOBODY = (
    "Tidak ada proses yang mengirim: `dahar-ngopi run` maupun `dahar-ngopi worker` tidak "
    "berjalan pada database ini. Jalankan salah satunya (misalnya `dahar-ngopi worker` di "
    "samping bot, dengan DATABASE_URL yang sama); pengumuman yang tertunda terkirim begitu "
    "ia berjalan."
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `umumkan` to the CLI."""
    p = sub.add_parser(
        "umumkan", help="queue an announcement for the running bot; `umumkan status` lists them",
        description="Queue an announcement in the outbox (the running bot or worker delivers "
                    "it), or show the figures of recent ones with `umumkan status`.",
    )
    p.add_argument("action", nargs="?", choices=["status"], help="show recent announcements")
    p.add_argument("--text", default="", help="the text (Telegram HTML allowed)")
    p.add_argument("--file", type=Path, help="a photo (JPEG/PNG) or document sent with the text")
    p.add_argument("--at", help='send at "YYYY-MM-DD HH:MM" in TIMEZONE (default: now)')
    p.add_argument("--segment", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="region=…, instansi=…, channel=telegram|whatsapp, programme=…")
    p.add_argument("--wait", action="store_true", help="show progress until delivery ends")
    p.add_argument("--limit", type=int, default=10, help="how many to list (status)")


def _fail(console: Console, message: str) -> int:
    console.print(f"[red]dahar-ngopi umumkan:[/red] {message}", highlight=False)
    return 2


def _file_size(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None


def _store_file(source: Path, media_dir: str) -> tuple[str, str, str | None, str]:
    """Copy the file where the bot's senders read it; (kind, path, mime, name)."""
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = Path(media_dir) / digest / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(source, target)
    mime = mimetypes.guess_type(source.name)[0]
    kind = "photo" if mime in _PHOTO_TYPES else "document"
    return kind, str(target.resolve()), mime, source.name


async def _deliverers(rt: Runtime) -> list[ProcessHeartbeat]:
    """The `run` and `worker` processes alive now (their heartbeats are fresh)."""
    async with rt.sessions() as s:
        return await alive(s, rt.clock.now(), roles=DELIVERERS)


def _who(processes: list[ProcessHeartbeat]) -> str:
    return ", ".join(f"{p.role} di {p.host} (pid {p.pid})" for p in processes)


async def announce_cmd(rt: Runtime, args: argparse.Namespace,
                       console: Console | None = None) -> int:
    """Check, create and queue an announcement; with --wait, follow it to the end."""
    console = console or Console()
    settings = rt.settings
    text = (args.text or "").strip()
    if not text and args.file is None:
        return _fail(console, "give --text, --file, or both")
    check = check_html(text)
    if not check.ok:
        return _fail(console, "the text is not valid Telegram HTML:\n  - "
                     + "\n  - ".join(check.errors))
    # What every channel it goes to takes: message and caption length, file size.
    infos = [rt.deps.channels[c] for c in rt.deps.channels.delivering()] or [ChannelInfo("", "")]
    limit = min(i.caption_limit if args.file is not None else i.text_limit for i in infos)
    max_file = min(i.upload_limit for i in infos)
    if check.visible_length > limit:
        return _fail(console, f"the text has {check.visible_length} characters; the limit is "
                     f"{limit}" + (" for a caption" if args.file is not None else ""))
    rates = channel_rates(rt.deps.channels.values())
    if not rates:
        return _fail(console, "no channel configured (TELEGRAM_BOT_TOKEN, WhatsApp settings)")
    try:
        segment = parse_segment(args.segment, rt.deps.regions, rt.deps.channels)
    except SegmentError as exc:
        return _fail(console, str(exc))
    now = rt.clock.now()
    at = now
    if args.at:
        try:
            at = parse_when(args.at, now=now, tz=settings.tz)
        except WhenError as exc:
            return _fail(console, f"--at {args.at!r}: {exc}")
    media = None
    if args.file is not None:
        source: Path = args.file
        size = await asyncio.to_thread(_file_size, source)
        if size is None:
            return _fail(console, f"no such file: {source}")
        if size > max_file:
            return _fail(console, f"the file is larger than {max_file // 2**20} MB")
        kind, path, mime, name = await asyncio.to_thread(
            _store_file, source, settings.announcement_media_dir)
        media = Media(kind=kind, channel=None, file_id=None, filename=name, mime_type=mime,
                      path=path)
    async with rt.sessions() as s, s.begin():
        counts = await segment.count(s, list(rates))
        total = sum(counts.values())
        if total == 0:
            return _fail(console, "no subscriber matches this segment")
        ann = await create_announcement(s, created_by="cli", person_id=None, text=check.text,
                                        media=media, now=now, segment=segment)
        await confirm(s, ann.id, at=at, now=now, audience=total)
        ann_id = ann.id
    who = segment.describe(rt.deps.regions, rt.deps.channels)
    console.print(f"Pengumuman #{ann_id}: {format_count(total)} penerima ({who}), perkiraan "
                  f"± {format_duration(estimate_seconds(counts, rates))}.", highlight=False)
    if args.at:
        console.print(f"Dijadwalkan {format_when(at, settings.tz)}; bot yang berjalan akan "
                      "mengirimnya.", highlight=False)
    else:
        with console.status("Menulis daftar penerima ke outbox…"):
            await start_due(rt.sessions, now=now, channels=[rt.deps.channels[c] for c in rates],
                            only=ann_id)
        console.print("Masuk antrean; bot yang berjalan mengirimnya.", highlight=False)
    if not await _deliverers(rt):
        console.print(f"[yellow]Perhatian:[/yellow] {NOBODY}", highlight=False)
        return 1 if args.wait else 0
    if args.wait:
        return await _follow(rt, ann_id, console)
    return 0


async def _follow(rt: Runtime, ann_id: int, console: Console, poll: float = 1.0) -> int:
    """A progress bar until the announcement is done or stopped (or until no process is
    left to deliver it: then 1)."""
    loop = asyncio.get_running_loop()
    checked = loop.time()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("terkirim {task.fields[sent]} · diblokir {task.fields[blocked]} · "
                          "gagal {task.fields[failed]}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("menunggu jadwal", total=None, sent=0, blocked=0, failed=0)
        while True:
            async with rt.sessions() as s:
                ann = await s.get(Announcement, ann_id)
                assert ann is not None
                status = ann.status
                fig = await figures(s, ann_id)
                total = ann.total if ann.queued_at is not None else max(ann.audience, fig.total)
            bar.update(task, description="mengirim" if status == "running" else status,
                       total=total or None, completed=fig.done, sent=format_count(fig.sent),
                       blocked=format_count(fig.blocked), failed=format_count(fig.failed))
            if status in ("done", "stopped"):
                break
            # The bot's announcer records the end too; whichever looks first does it, once.
            await finish_if_drained(rt.sessions, ann_id, now=rt.clock.now())
            if loop.time() - checked >= CHECK_EVERY:
                checked = loop.time()
                if not await _deliverers(rt):
                    bar.stop()
                    console.print(f"[yellow]Berhenti menunggu:[/yellow] {NOBODY}",
                                  highlight=False)
                    return 1
            await asyncio.sleep(poll)
    async with rt.sessions() as s:
        ann = await s.get(Announcement, ann_id)
        assert ann is not None
    word = "selesai" if ann.status == "done" else "dihentikan"
    console.print(f"Pengumuman #{ann_id} {word}: terkirim {format_count(ann.sent)}, diblokir "
                  f"{format_count(ann.blocked)}, gagal {format_count(ann.failed)}, dibatalkan "
                  f"{format_count(ann.cancelled)}.", highlight=False)
    return 0


async def status_cmd(rt: Runtime, args: argparse.Namespace,
                     console: Console | None = None) -> int:
    """A table of scheduled and recent announcements with their figures, and which processes
    deliver them (or that none does)."""
    console = console or Console()
    tz = rt.settings.tz
    table = Table(title="Pengumuman")
    for col in ("#", "status", "waktu", "penerima", "isi", "total", "terkirim", "diblokir",
                "gagal", "batal", "sisa"):
        table.add_column(col, justify="right" if col in ("#", "total", "terkirim", "diblokir",
                                                         "gagal", "batal", "sisa") else "left")
    async with rt.sessions() as s:
        anns = await recent(s, limit=args.limit)
        for ann in anns:
            # A finished one's figures were stored when it finished; its rows may be purged.
            fig = (Figures(sent=ann.sent, blocked=ann.blocked, failed=ann.failed,
                           cancelled=ann.cancelled) if ann.status in ("done", "stopped")
                   else await figures(s, ann.id))
            when = ann.started_at or ann.scheduled_at or ann.created_at
            content = " ".join(visible_text(ann.text).split())[:40] or f"[{ann.media_kind}]"
            table.add_row(
                str(ann.id), ann.status, format_when(when, tz),
                Segment.from_json(ann.segment).describe(rt.deps.regions, rt.deps.channels), content,
                format_count(fig.total or ann.audience), format_count(fig.sent),
                format_count(fig.blocked), format_count(fig.failed),
                format_count(fig.cancelled), format_count(fig.pending),
            )
    if not anns:
        console.print("Belum ada pengumuman.")
    else:
        console.print(table)
    processes = await _deliverers(rt)
    if processes:
        console.print(f"Proses yang mengirim: {_who(processes)}.", highlight=False)
    else:
        console.print(f"[yellow]Perhatian:[/yellow] {NOBODY}", highlight=False)
    return 0
