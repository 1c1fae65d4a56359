"""`dahar-ngopi umumkan`: queue, segment, schedule, follow with --wait, list with status."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from bot.cli import _parser
from bot.cli_announce import announce_cmd, status_cmd
from bot.heartbeat import Heartbeat
from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock, SystemClock
from db.models import Announcement, OutboxMessage, OutboxPayload
from db.purge import purge_old_rows
from tests.auxil.announce_stack import running_stack
from tests.auxil.outbox import RecordingSender, add_people
from tests.fakes.telegram_server import FakeTelegram

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
    "9c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock,
             tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = make_settings({"TELEGRAM_BOT_TOKEN": "123:abc",
                              "ANNOUNCEMENT_MEDIA_DIR": str(tmp_path / "media")})
    rt = await build_runtime(settings, clock, migrate=False)
    yield rt
    await rt.close()


def run(argv: list[str]) -> tuple[Callable[[Runtime], object], io.StringIO]:
    args = _parser().parse_args(["umumkan", *argv])
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False)
    if args.action == "status":
        return (lambda rt: status_cmd(rt, args, console)), out
    return (lambda rt: announce_cmd(rt, args, console)), out


async def test_queue_to_a_segment_and_wait_until_delivered(rt: Runtime) -> None:
    await add_people(rt.sessions, 4, first_chat=1000, region_code="3515",
                     instansi="Dinas Pendidikan Kab. Sidoarjo")
    await add_people(rt.sessions, 3, first_chat=2000, region_code="3515",
                     instansi="Dinas Kesehatan")
    await add_people(rt.sessions, 3, first_chat=3000, region_code="3578",
                     instansi="Dinas Pendidikan Kota Surabaya")
    sender = RecordingSender()
    outbox = OutboxWorker(rt.sessions, rt.clock, [sender],
                              limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                              config=WorkerConfig(poll_interval=0.05))
    worker = Heartbeat(rt.sessions, rt.clock, "worker")  # what `dahar-ngopi worker` writes
    await worker.start()
    outbox.start()
    try:
        cmd, out = run(["--text", "<b>Rapat</b> guru", "--segment", "region=sidoarjo",
                        "instansi=pendidikan", "--wait"])
        assert await cmd(rt) == 0
    finally:
        await outbox.stop()
        await worker.stop()
    text = out.getvalue()
    assert "4 penerima (Kab. Sidoarjo; instansi memuat “pendidikan”)" in text
    assert "selesai: terkirim 4, diblokir 0, gagal 0" in text
    assert sorted(sender.chats()) == ["1000", "1001", "1002", "1003"]
    cmd, out = run(["status"])
    assert await cmd(rt) == 0
    assert "done" in out.getvalue() and "Rapat guru" in out.getvalue()


async def test_at_schedules_without_sending(rt: Runtime) -> None:
    await add_people(rt.sessions, 2)
    cmd, out = run(["--text", "Apel pagi", "--at", "2026-11-24 07:00"])
    assert await cmd(rt) == 0
    assert "Dijadwalkan 24-11-2026 07.00 WIB" in out.getvalue()
    async with rt.sessions() as s:
        ann = (await s.scalars(select(Announcement))).one()
        assert ann.status == "scheduled" and ann.audience == 2
        assert not list(await s.scalars(select(OutboxMessage)))
    cmd, out = run(["status"])
    assert await cmd(rt) == 0
    assert "scheduled" in out.getvalue() and "24-11-2026 07.00 WIB" in out.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--text", "<b>tebal"], "<b> dibuka tetapi tidak ditutup"),
        (["--text", "x", "--segment", "warna=merah"], "tidak dikenal"),
        (["--text", "x", "--at", "2026-11-20 07:00"], "sudah lewat"),
        (["--text", "x", "--segment", "region=atlantis"], "tidak ditemukan"),
        ([], "give --text"),
    ],
)
async def test_refuses_bad_input(rt: Runtime, argv: list[str], message: str) -> None:
    await add_people(rt.sessions, 1)
    cmd, out = run(argv)
    assert await cmd(rt) == 2
    assert message in out.getvalue()
    async with rt.sessions() as s:
        assert not list(await s.scalars(select(Announcement)))


async def test_a_file_is_uploaded_once_then_reused(db_url: str, tmp_path: Path) -> None:
    poster = tmp_path / "poster.png"
    poster.write_bytes(PNG)
    async with FakeTelegram() as tg, running_stack(
        tg, db_url, SystemClock(), extra={"ANNOUNCEMENT_MEDIA_DIR": str(tmp_path / "media")},
    ) as st:
        await add_people(st.rt.sessions, 6, first_chat=5000)
        cmd, out = run(["--text", "Poster <i>baru</i>", "--file", str(poster), "--wait"])
        assert await cmd(st.rt) == 0, out.getvalue()
        photos = [c for c in tg.calls_of("sendPhoto") if c.ok]
        assert len(photos) == 6
        uploads = [c for c in photos if c.photo is not None]
        assert len(uploads) == 1 and uploads[0].photo.content == PNG  # type: ignore[union-attr]
        reused = {c.params["photo"] for c in photos if c.photo is None}
        assert len(reused) == 1
        assert {c.message["caption"] for c in photos if c.message} == {"Poster baru"}
        async with st.rt.sessions() as s:
            body = (await s.scalars(select(OutboxPayload.body))).first()
        assert body is not None
        stored = Path(body["photo"]["filename"])
        assert stored.name == "poster.png" and stored.parent.parent == tmp_path / "media"


async def test_wait_says_at_once_when_no_process_delivers(rt: Runtime) -> None:
    await add_people(rt.sessions, 1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    cmd, out = run(["--text", "Apel pagi", "--wait"])
    assert await asyncio.wait_for(cmd(rt), 10) == 1  # once it waited for ever on 0/1
    assert loop.time() - started < 5
    said = " ".join(out.getvalue().split())
    assert "Tidak ada proses yang mengirim" in said and "`dahar-ngopi worker`" in said
    async with rt.sessions() as s:  # still queued: a worker started later sends it
        assert [m.status for m in await s.scalars(select(OutboxMessage))] == ["pending"]


async def test_wait_stops_when_the_delivering_process_goes_away(
    rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_people(rt.sessions, 1)
    monkeypatch.setattr("bot.cli_announce.CHECK_EVERY", 0.2)
    worker = Heartbeat(rt.sessions, clock, "worker")
    await worker.start()  # alive, but it never sends: then it dies without a clean stop
    cmd, out = run(["--text", "Apel pagi", "--wait"])
    task = asyncio.create_task(cmd(rt))
    await asyncio.sleep(0.5)
    assert not task.done()
    await worker.stop()  # its row is gone, as 15 s after a crash
    assert await asyncio.wait_for(task, 10) == 1
    assert "Berhenti menunggu" in out.getvalue()


async def test_status_names_the_delivering_processes_or_says_there_is_none(
    rt: Runtime,
) -> None:
    cmd, out = run(["status"])
    assert await cmd(rt) == 0
    assert "Belum ada pengumuman" in out.getvalue()
    assert "Tidak ada proses yang mengirim" in " ".join(out.getvalue().split())
    worker = Heartbeat(rt.sessions, rt.clock, "worker")
    await worker.start()
    try:
        cmd, out = run(["status"])
        assert await cmd(rt) == 0
    finally:
        await worker.stop()
    assert f"Proses yang mengirim: worker di {worker.host} (pid {worker.pid})" in out.getvalue()


async def test_status_shows_a_finished_ones_figures_after_its_rows_are_purged(
    rt: Runtime,
) -> None:
    await add_people(rt.sessions, 3, first_chat=1000)
    sender = RecordingSender()
    outbox = OutboxWorker(rt.sessions, rt.clock, [sender],
                          limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                          config=WorkerConfig(poll_interval=0.05))
    beating = Heartbeat(rt.sessions, rt.clock, "worker")  # a delivering process, as run's
    await beating.start()
    outbox.start()
    try:
        cmd, _ = run(["--text", "Info libur", "--wait"])
        assert await cmd(rt) == 0
    finally:
        await outbox.stop()
        await beating.stop()
    later = rt.clock.now() + timedelta(days=91)
    report = await purge_old_rows(rt.sessions, now=later, retention=timedelta(days=90))
    assert report.outbox >= 3
    async with rt.sessions() as s:
        assert await s.scalar(select(func.count()).where(
            OutboxMessage.ref_type == "announcement")) == 0
    cmd, out = run(["status"])
    assert await cmd(rt) == 0
    row = next(line for line in out.getvalue().splitlines() if "Info libur" in line)
    cells = [c.strip() for c in row.split("│")]
    assert cells[2] == "done" and (cells[6], cells[7]) == ("3", "3")  # total, terkirim
