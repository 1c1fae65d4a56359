"""Pengumuman: compose (text, or a photo/document with a caption), the audience with its live
count, a preview as each channel shows it, send now or later, live progress, stop, reports."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from bot.web.konsol import MAX_UPLOAD, Konsol, Who, int_arg, text_of, upload_of
from bot.web.preview import telegram_bubble, whatsapp_bubble
from core.channels import ChannelInfo
from core.html_check import check_html
from core.programme import PROGRAMMES
from db.models.announcements import Announcement
from db.paging import page_of
from schedules.announcement_progress import progress_of
from schedules.announcement_text import format_count, format_duration
from schedules.announcement_time import WhenError, parse_when
from schedules.announcements import (
    Media,
    announcement_reply,
    announcement_template,
    channel_rates,
    confirm,
    create_announcement,
    estimate_seconds,
    request_stop,
)
from schedules.segments import Segment, SegmentError, checked_segment

__all__ = ["routes"]

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PHOTO = (".jpg", ".jpeg", ".png", ".webp")
KINDS = {"semua": "Semua pelanggan", "wilayah": "Kabupaten/kota", "instansi": "Instansi",
         "kanal": "Kanal", "program": "Program"}
_KEYS = {"wilayah": "region", "instansi": "instansi", "kanal": "channel", "program": "programme"}


def _delivering(k: Konsol) -> dict[str, float]:
    return channel_rates(k.deps.channels.values())


def _segment(k: Konsol, form: Any) -> Segment:
    """The audience chosen on the form (SegmentError with an Indonesian message)."""
    kind = str(form.get("kepada") or "semua")
    if kind == "semua" or kind not in _KEYS:
        return Segment()
    value = " ".join(str(form.get(kind) or "").split())
    if not value:
        raise SegmentError(f"Isi {KINDS[kind].lower()} penerima, atau pilih semua pelanggan.")
    if kind == "instansi" and len(value) < 3:
        raise SegmentError("Tulis nama instansi paling sedikit 3 huruf.")
    return checked_segment({_KEYS[kind]: value}, k.deps.regions, k.deps.channels)


async def _counts(k: Konsol, segment: Segment) -> dict[str, int]:
    async with k.sessions() as db:
        return await segment.count(db, list(_delivering(k)))


def _compose(k: Konsol, request: Request, who: Who, *, errors: list[str], values: dict[str, str],
             status: int = 200) -> Response:
    return k.render(request, "announce_new.html", who, errors=errors, values=values,
                    kinds=KINDS, programmes=PROGRAMMES, status=status,
                    regions=sorted({r.name for r in k.deps.regions.all()}),
                    channels=[k.deps.channels[c] for c in _delivering(k)])


async def compose(k: Konsol, request: Request, who: Who) -> Response:
    """The composer."""
    return _compose(k, request, who, errors=[], values={"kepada": "semua"})


async def count(k: Konsol, request: Request, who: Who) -> Response:
    """The audience's size as the form stands (an htmx fragment)."""
    try:
        segment = _segment(k, request.query_params)
    except SegmentError as exc:
        return k.render(request, "_audience.html", who, error=str(exc), counts={}, total=0)
    counts = await _counts(k, segment)
    return k.render(request, "_audience.html", who, error="", counts=counts,
                    total=sum(counts.values()),
                    who_text=segment.describe(k.deps.regions, k.deps.channels))


def _limit(k: Konsol, caption: bool) -> int:
    infos = [k.deps.channels[c] for c in _delivering(k)] or [ChannelInfo("", "")]
    return min(i.caption_limit if caption else i.text_limit for i in infos)


async def _store(k: Konsol, file: UploadFile) -> Media | None:
    """Keep an uploaded file where senders upload it from; None when it is too big."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return None
    name = _SAFE.sub("_", Path(file.filename or "berkas").name).strip("._") or "berkas"
    folder = Path(k.deps.config.announcement_media_dir) / hashlib.sha256(data).hexdigest()[:16]
    path = folder / name

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    await asyncio.to_thread(write)
    photo = name.lower().endswith(_PHOTO) and (file.content_type or "").startswith("image/")
    return Media(kind="photo" if photo else "document", channel=None, file_id=None,
                 filename=name, mime_type=file.content_type, path=str(path.resolve()))


def _problems(k: Konsol, form: FormData, file: UploadFile | None) -> tuple[list[str], str]:
    text = text_of(form, "teks", 20_000)
    errors: list[str] = []
    if not text and file is None:
        errors.append("Tulis teks pengumuman, atau lampirkan foto/dokumen dengan keterangan.")
    check = check_html(text)
    if not check.ok:
        errors += [f"Format: {e}" for e in check.errors]
    limit = _limit(k, caption=file is not None)
    if check.ok and check.visible_length > limit:
        what = "Keterangan foto/dokumen" if file is not None else "Teks pengumuman"
        errors.append(f"{what} terlalu panjang: {format_count(check.visible_length)} karakter "
                      f"(maksimal {format_count(limit)}).")
    return errors, check.text if check.ok else text


async def create(k: Konsol, request: Request, who: Who) -> Response:
    """Check the composer and keep it as a draft; its page previews it."""
    form = await k.form(request)
    values = {name: text_of(form, name) for name in ("teks", "kepada", *_KEYS)}
    file = upload_of(form, "berkas")
    errors, text = _problems(k, form, file)
    segment = Segment()
    try:
        segment = _segment(k, form)
    except SegmentError as exc:
        errors.append(str(exc))
    media = None
    if not errors and file is not None:
        media = await _store(k, file)
        if media is None:
            errors.append("Berkas terlalu besar (maksimal 20 MB).")
    if errors:
        return _compose(k, request, who, errors=errors, values=values, status=422)
    async with k.sessions() as db, db.begin():
        ann = await create_announcement(db, created_by=who.actor, person_id=None, text=text,
                                        media=media, now=k.now(), segment=segment)
    return k.back(f"/konsol/pengumuman/{ann.id}")


def _previews(k: Konsol, ann: Announcement, segment: Segment) -> list[dict[str, Any]]:
    shown = []
    for name in _delivering(k):
        if segment.channel not in (None, name):
            continue
        info = k.deps.channels[name]
        reply = announcement_reply(ann, info)
        bubble = whatsapp_bubble(reply.text) if info.basic_html else telegram_bubble(reply.text)
        template = announcement_template(ann).params[0] if info.templates else None
        shown.append({"info": info, "bubble": bubble, "template": template})
    return shown


async def view(k: Konsol, request: Request, who: Who) -> Response:
    """A draft's preview and send form, or a sent one's progress and report."""
    async with k.sessions() as db:
        ann = await db.get(Announcement, int(request.path_params["aid"]))
        if ann is None:
            return k.problem(request, who, 404, "Pengumuman tidak ditemukan",
                             "Pengumuman ini tidak ada (draf yang dibuang tidak disimpan).")
        segment = Segment.from_json(ann.segment)
        progress = None
        if ann.status != "draft":
            progress = await progress_of(db, ann, now=k.now(), rates=_delivering(k))
    counts = await _counts(k, segment) if ann.status == "draft" else {}
    total = sum(counts.values())
    return k.render(
        request, "announce_view.html", who, ann=ann, progress=progress, counts=counts,
        total=total, previews=_previews(k, ann, segment), error=request.query_params.get("e", ""),
        who_text=segment.describe(k.deps.regions, k.deps.channels),
        estimate=format_duration(estimate_seconds(counts, _delivering(k))),
        format_duration=format_duration,
    )


async def progress_fragment(k: Konsol, request: Request, who: Who) -> Response:
    """The live figures (htmx polls this every 2 s while it runs)."""
    async with k.sessions() as db:
        ann = await db.get(Announcement, int(request.path_params["aid"]))
        if ann is None:
            return Response(status_code=404)
        progress = await progress_of(db, ann, now=k.now(), rates=_delivering(k))
    return k.render(request, "_progress.html", who, ann=ann, progress=progress,
                    format_duration=format_duration)


async def send(k: Konsol, request: Request, who: Who) -> Response:
    """Send the draft now, or at a time (in the agency's zone)."""
    aid = int(request.path_params["aid"])
    form = await k.form(request)
    now = k.now()
    at = now
    if text_of(form, "kapan") == "nanti":
        try:
            at = parse_when(text_of(form, "waktu").replace("T", " "), now=now,
                            tz=k.deps.config.tz)
        except WhenError as exc:
            return k.back(f"/konsol/pengumuman/{aid}?e={_quote(str(exc))}")
    async with k.sessions() as db, db.begin():
        ann = await db.get(Announcement, aid)
        if ann is None or ann.status != "draft":
            return k.back(f"/konsol/pengumuman/{aid}")
        segment = Segment.from_json(ann.segment)
        total = sum((await segment.count(db, list(_delivering(k)))).values())
        if total == 0:
            return k.back(f"/konsol/pengumuman/{aid}?e={_quote('Tidak ada penerima.')}")
        if not await confirm(db, aid, at=at, now=now, audience=total):
            return k.back(f"/konsol/pengumuman/{aid}")  # confirmed by someone else meanwhile
        when = ("sekarang" if at == now
                else f"pada {at.astimezone(k.deps.config.tz):%Y-%m-%d %H:%M}")
        await k.audit(who, "announce", f"konsol: pengumuman #{aid} untuk {total} penerima "
                                       f"({segment.describe(k.deps.regions, k.deps.channels)}), "
                                       f"dikirim {when}", rows=total, db=db)
    if k.deps.announcer is not None:
        k.deps.announcer.wake()
    return k.back(f"/konsol/pengumuman/{aid}")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


async def stop(k: Konsol, request: Request, who: Who) -> Response:
    """Stop a running announcement (unsent rows cancelled) or cancel a scheduled one."""
    aid = int(request.path_params["aid"])
    async with k.sessions() as db, db.begin():
        outcome = await request_stop(db, aid, by=who.actor, now=k.now())
        if outcome.what in ("cancelled", "stopping"):
            await k.audit(who, "announce_stop", f"konsol: pengumuman #{aid} dihentikan "
                                                f"({outcome.cancelled} pesan dibatalkan)",
                          rows=outcome.cancelled, db=db)
    if k.deps.announcer is not None:
        k.deps.announcer.wake()
    return k.back(f"/konsol/pengumuman/{aid}")


async def discard(k: Konsol, request: Request, who: Who) -> Response:
    """Throw a draft away."""
    async with k.sessions() as db, db.begin():
        ann = await db.get(Announcement, int(request.path_params["aid"]))
        if ann is not None and ann.status == "draft":
            await db.delete(ann)
    return k.back("/konsol/pengumuman")


async def media(k: Konsol, request: Request, who: Who) -> Response:
    """The photo or document of an announcement (for its preview)."""
    async with k.sessions() as db:
        ann = await db.get(Announcement, int(request.path_params["aid"]))
    if ann is None or not ann.media_path:
        return Response(status_code=404)
    stored = ann.media_path

    def inside() -> Path | None:
        # Only a file of the media folder is ever served.
        root = Path(k.deps.config.announcement_media_dir).resolve()
        path = Path(stored).resolve()
        return path if root in path.parents and path.is_file() else None

    path = await asyncio.to_thread(inside)
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, media_type=ann.media_mime or None,
                        filename=ann.media_filename or path.name)


async def listing(k: Konsol, request: Request, who: Who) -> Response:
    """Every announcement but drafts, newest first, a page at a time."""
    query = select(Announcement).where(Announcement.status != "draft") \
        .order_by(Announcement.id.desc())
    async with k.sessions() as db:
        page = await page_of(db, query, int_arg(request, "hal"), scalars=True)
    return k.render(request, "announce_list.html", who, page=page,
                    describe=lambda a: Segment.from_json(a.segment).describe(
                        k.deps.regions, k.deps.channels))


def routes(k: Konsol) -> list[Route]:
    """The announcement pages."""
    return [
        k.route("/pengumuman", listing),
        k.route("/pengumuman/baru", compose),
        k.route("/pengumuman/baru", create, methods=("POST",)),
        k.route("/pengumuman/hitung", count),
        k.route("/pengumuman/{aid:int}", view),
        k.route("/pengumuman/{aid:int}/progres", progress_fragment),
        k.route("/pengumuman/{aid:int}/berkas", media),
        k.route("/pengumuman/{aid:int}/kirim", send, methods=("POST",)),
        k.route("/pengumuman/{aid:int}/hentikan", stop, methods=("POST",)),
        k.route("/pengumuman/{aid:int}/buang", discard, methods=("POST",)),
    ]
