"""10,000 e-certificates for one webinar: issued, then rendered as the outbox worker does.

A fresh SQLite database (migrated) gets one ASN Belajar webinar with JP and N attendees with
NIPs (seeded in SQL). In one process, on one core:

1. the certificate sweep issues them (numbers under the year's lock, outbox rows written);
2. each outbox row's PDF is made exactly as at delivery (`schedules.certificate_delivery.
   DocumentMaker`: the certificate row read, the PDF drawn in a worker thread), one after
   the other, with a JPEG background, the TrueType font and the vector QR code.

3. with `--deliver N`: N of them are delivered by the outbox worker (rendered at delivery,
   uploaded with `sendDocument`) to the fake Telegram server in its own process, limits
   lifted; then N plain texts through the same worker, to the same chats, in the same run
   (what the worker does without a document: the ceiling for this comparison).

Reported: wall time and rate, process CPU per certificate, peak RSS (ru_maxrss: the whole
process) and RSS after each tenth (no growth with the count), PDF sizes; and, for contrast,
the renderer alone (no database). The process is pinned to one core. Run from the repository
root::

    .venv/bin/python -m bench.certificates_bench --count 10000 --deliver 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THURSDAY = date(2026, 11, 26)
PUBLIC_URL = "https://dahar-ngopi.bpsdm.jatimprov.go.id"

__all__ = ["main", "seed"]


def _rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(path: Path, n: int) -> None:
    """One webinar with JP 2 and n attendees with NIPs and a Telegram chat, in SQL."""
    con = sqlite3.connect(path)
    con.executescript(f"""
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=OFF;
        INSERT INTO programmes (key, weekday, name, description)
        VALUES ('asn-belajar', 3, 'ASN Belajar', '-');
        INSERT INTO learning_sessions (code, day, programme_key, title, speaker, starts_at,
                                       ends_at, jp, status, updated_at, evaluation)
        VALUES ('bench-webinar', '2026-11-26', 'asn-belajar',
                'Transformasi Digital Layanan Publik: Arsip Elektronik yang Tertib dan Aman',
                'Narasumber', '2026-11-26 02:00:00.000000', '2026-11-26 04:00:00.000000',
                2, 'aktif', '2026-01-01 00:00:00.000000', 'tidak');
        WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})
        INSERT INTO people (id, full_name, nip, instansi, tz, subscribed, reachable,
                            registered_at, created_at, preferences)
        SELECT i, 'Peserta Webinar Nomor ' || i || ', S.Kom., M.Si.',
               '19850714' || (2010 + ((i / 1998) % 132) / 12)
                 || printf('%02d', 1 + ((i / 1998) % 132) % 12) || (1 + (i / 999) % 2)
                 || printf('%03d', 1 + i % 999),
               'Dinas Komunikasi dan Informatika Kabupaten Sidoarjo', 'WIB', 1, 1,
               '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', '{{}}'
        FROM seq;
        INSERT INTO identities (person_id, channel, external_id, chat_id, created_at)
        SELECT id, 'telegram', CAST(100000000 + id AS TEXT), CAST(100000000 + id AS TEXT),
               '2026-01-01 00:00:00.000000' FROM people;
        INSERT INTO attendance (person_id, session_id, reported_at, channel, source)
        SELECT id, 1, '2026-11-26 03:30:00.000000', 'telegram', 'self' FROM people;
    """)
    con.commit()
    con.close()


def _background(folder: Path) -> Path:
    """A JPEG background (A4 landscape at 150 dpi, a soft gradient with a border)."""
    from PIL import Image, ImageDraw

    width, height = 1754, 1240
    image = Image.new("RGB", (width, height), (251, 248, 241))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 4):
        shade = 235 + int(16 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade, shade - 4, shade - 14), width=4)
    draw.rectangle([30, 30, width - 30, height - 30], outline=(22, 50, 92), width=14)
    path = folder / "background.jpg"
    image.save(path, "JPEG", quality=85)
    return path


async def _issue(db_url: str, config: Any) -> dict[str, Any]:
    from db.engine import create_engine, create_sessions
    from schedules.certificates import CertificateSweep

    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    start, cpu = time.perf_counter(), time.process_time()
    report = await CertificateSweep(sessions, config, ["telegram"]).run(
        datetime(2026, 11, 26, 5, 0, tzinfo=UTC))
    out = {"issued": report.issued, "seconds": round(time.perf_counter() - start, 2),
           "cpu_seconds": round(time.process_time() - cpu, 2)}
    await engine.dispose()
    return out


async def _render_all(db_url: str, config: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from core.clock import FixedClock
    from core.types import Reply
    from db.engine import create_engine, create_sessions
    from db.models import OutboxMessage, OutboxPayload
    from schedules.certificate_delivery import DocumentMaker

    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    async with sessions() as db:
        ids = list((await db.execute(
            select(OutboxMessage.id, OutboxMessage.person_id)
            .where(OutboxMessage.kind == "certificate").order_by(OutboxMessage.id))).all())

    async def bodies(chunk: list[Any]) -> list[tuple[int, Any]]:
        # As the worker claims: a batch of rows at a time, their payloads read with them.
        async with sessions() as db:
            found = dict((await db.execute(
                select(OutboxMessage.id, OutboxPayload.body)
                .join(OutboxPayload, OutboxPayload.id == OutboxMessage.payload_id)
                .where(OutboxMessage.id.in_([i for i, _ in chunk])))).all())
        return [(pid, found[i]) for i, pid in chunk]

    maker = DocumentMaker(sessions, config, FixedClock(datetime(2026, 11, 26, 5, tzinfo=UTC)))
    [(first_person, first_body)] = await bodies(ids[:1])
    await maker(Reply.from_dict(first_body), first_person)  # fonts registered, images read
    sizes: list[int] = []
    rss: list[float] = []
    tenth = max(1, len(ids) // 10)
    start, cpu = time.perf_counter(), time.process_time()
    done = 0
    for at in range(0, len(ids), 500):
        for person_id, body in await bodies(ids[at:at + 500]):
            made = await maker(Reply.from_dict(body), person_id)
            assert made.document is not None and made.document.content is not None
            sizes.append(len(made.document.content))
            done += 1
            if done % tenth == 0:
                rss.append(round(_rss_mb(), 1))
    wall, cpu_used = time.perf_counter() - start, time.process_time() - cpu
    await engine.dispose()
    return {
        "rendered": done, "seconds": round(wall, 2), "per_second": round(done / wall, 1),
        "cpu_ms_per_certificate": round(cpu_used / done * 1000, 2),
        "pdf_kb_median": round(statistics.median(sizes) / 1024, 1),
        "rss_mb_each_tenth": rss,
    }


def _renderer_alone(count: int, background: Path) -> dict[str, Any]:
    from schedules.certificate_pdf import Design, render_certificate

    design = Design(background=background)
    render_certificate(_text(0), design)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        render_certificate(_text(i), design)
    wall, cpu_used = time.perf_counter() - start, time.process_time() - cpu
    return {"rendered": count, "per_second": round(count / wall, 1),
            "cpu_ms_per_certificate": round(cpu_used / count * 1000, 2)}


def _text(i: int) -> Any:
    from schedules.certificate_pdf import CertificateText

    return CertificateText(
        number=f"DN/2026/{i + 1:06d}", name=f"Peserta Webinar Nomor {i}, S.Kom., M.Si.",
        nip="198507142010012003", instansi="Dinas Kominfo Kabupaten Sidoarjo",
        programme="ASN Belajar", title="Transformasi Digital Layanan Publik", day=THURSDAY,
        jp=2, organiser="BPSDM Provinsi Jawa Timur", signer_name="Dr. Kepala Badan",
        signer_position="Kepala BPSDM Provinsi Jawa Timur", issued_on=THURSDAY,
        verify_url=f"{PUBLIC_URL}/verifikasi/K7QX2M9PA4HTRW{i % 100:02d}")


async def _keep_first(sessions: Any, kind: str, n: int) -> None:
    """Cancel the pending rows of `kind` after the first n."""
    from sqlalchemy import select, update

    from db.models import OutboxMessage

    first = (select(OutboxMessage.id).where(OutboxMessage.kind == kind)
             .order_by(OutboxMessage.id).limit(n))
    async with sessions() as db, db.begin():
        await db.execute(update(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.id.not_in(first))
            .values(status="cancelled"))


async def _deliver(db_url: str, config: Any, n: int) -> dict[str, Any]:
    """N certificates, then N texts, through the outbox worker to the fake server."""
    from telegram import Bot

    from bench.fake_ceiling import start_fake_server_process
    from bot.delivery import PermanentFailure
    from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
    from bot.telegram.request import AiohttpRequest
    from bot.telegram.send import TelegramSender
    from core.clock import FixedClock
    from core.outbox import enqueue_audience, payload_body, store_payload
    from core.types import Reply
    from db.engine import create_engine, create_sessions
    from schedules.audience import recipients
    from schedules.certificate_delivery import DocumentGone, DocumentMaker

    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    clock = FixedClock(datetime(2026, 11, 26, 5, 0, tzinfo=UTC))
    maker = DocumentMaker(sessions, config, clock)

    async def prepare(reply: Reply, person_id: int | None) -> Reply:
        try:
            return await maker(reply, person_id)
        except DocumentGone as exc:
            raise PermanentFailure(str(exc)) from exc

    await _keep_first(sessions, "certificate", n)
    out: dict[str, Any] = {}
    with start_fake_server_process() as server:
        mine, every = os.sched_getaffinity(0), set(range(os.cpu_count() or 1))
        if every - mine:  # the fake inherited our pinning: give it the other core(s)
            os.sched_setaffinity(server.pid, every - mine)
        for label in ("certificates", "texts"):
            if label == "texts":
                async with sessions() as db, db.begin():
                    pid = await store_payload(db, payload_body(Reply(
                        "📜 Sertifikat Bapak/Ibu telah terbit (teks pembanding)")), now=clock.now())
                first = await enqueue_audience(
                    sessions, audience=recipients(["telegram"], subscribed_only=False),
                    key_prefix="bench-text:", kind="reply", payload_id=pid, now=clock.now(),
                    batch_size=n)
                await _keep_first(sessions, "reply", n)  # n of them, like the certificates
                assert first >= n
            bot = Bot(server.token, base_url=f"{server.url}/bot",
                      request=AiohttpRequest(connection_pool_size=64, pool_timeout=60))
            await bot.initialize()
            worker = OutboxWorker(
                sessions, clock, [TelegramSender(bot)],
                limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                config=WorkerConfig(lease=timedelta(minutes=5)), prepare=prepare)
            start, cpu = time.perf_counter(), time.process_time()
            await worker.run_until_idle(limit=3600)
            wall, cpu_used = time.perf_counter() - start, time.process_time() - cpu
            await bot.shutdown()
            if worker.stats.sent != n:
                raise RuntimeError(f"{label}: sent {worker.stats.sent} of {n}")
            out[label] = {"sent": n, "per_second": round(n / wall, 1),
                          "cpu_ms_each": round(cpu_used / n * 1000, 2)}
    await engine.dispose()
    return out


async def _run(count: int, folder: Path, deliver: int) -> dict[str, Any]:
    from core.config import CertificateConfig, CoreConfig
    from db.migrate import upgrade_async

    load = os.getloadavg()
    path = folder / "bench.db"
    db_url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(db_url)
    seed(path, count)
    background = _background(folder)
    config = CoreConfig(certificates=CertificateConfig(
        public_url=PUBLIC_URL, signer_name="Dr. Kepala Badan", background=background))
    baseline = round(_rss_mb(), 1)
    issued = await _issue(db_url, config)
    rendered = await _render_all(db_url, config)
    alone = _renderer_alone(min(count, 2000), background)
    peak = round(_peak_mb(), 1)  # before the delivery step (its HTTP client adds its own)
    delivered = await _deliver(db_url, config, deliver) if deliver else None
    return {"count": count, "load_before": load, "rss_mb_before": baseline,
            "issue": issued, "render_at_delivery": rendered, "renderer_alone": alone,
            "peak_rss_mb_issue_and_render": peak, "delivery": delivered,
            "load_after": os.getloadavg(), "cpus": os.cpu_count(),
            "python": sys.version.split()[0]}


def main() -> None:
    """Parse the arguments, run, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--deliver", type=int, default=0,
                        help="also deliver this many through the outbox to the fake server")
    args = parser.parse_args()
    # One core, as the target says (the worker thread that draws runs on it too).
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory(prefix="cert-bench-") as folder:
        print(json.dumps(asyncio.run(_run(args.count, Path(folder), args.deliver)), indent=2))


if __name__ == "__main__":
    main()
