"""Announcement queries on SQLite (and PostgreSQL when DATABASE_URL_PG is set): segments,
rows written once, figures, reasons, stop and finish."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from core.types import Reply
from db.engine import Sessions
from db.models import Announcement, OutboxMessage
from schedules.announcements import (
    confirm,
    create_announcement,
    enqueue_announcement,
    failure_reasons,
    figures,
    finish_if_drained,
    request_stop,
)
from schedules.segments import Segment
from tests.auxil.channels import CHANNELS
from tests.auxil.outbox import add_people, rows

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def _announcement(sessions: Sessions, segment: Segment) -> int:
    async with sessions() as s, s.begin():
        ann = await create_announcement(s, created_by="telegram:9001", person_id=1,
                                        text="<b>Uji</b>", media=None, now=NOW, segment=segment)
        ann.progress_channel, ann.progress_chat_id = "telegram", "9001"
        assert await confirm(s, ann.id, at=NOW, now=NOW, audience=0)
        assert not await confirm(s, ann.id, at=NOW, now=NOW, audience=0)  # only once
        await s.execute(update(Announcement).where(Announcement.id == ann.id)
                        .values(status="running", started_at=NOW))
        return ann.id


async def test_segments_rows_figures_and_finish(sessions: Sessions) -> None:
    await add_people(sessions, 1, first_chat=9001)  # the admin
    await add_people(sessions, 6, first_chat=1000, region_code="3515",
                     instansi="Dinas Pendidikan")
    await add_people(sessions, 3, first_chat=2000, region_code="3578",
                     instansi="Dinas_Kesehatan")
    await add_people(sessions, 2, first_chat=3000, channel="whatsapp",
                     preferred_channel="whatsapp", region_code="3515")
    both = ["telegram", "whatsapp"]
    async with sessions() as s:
        assert await Segment(region="3515").count(s, both) == {"telegram": 6, "whatsapp": 2}
        assert await Segment(instansi="s_k").count(s, both) == {"telegram": 3}
    ann_id = await _announcement(sessions, Segment(region="3515"))
    infos = [CHANNELS[c] for c in both]
    assert await enqueue_announcement(sessions, ann_id, channels=infos, now=NOW,
                                      batch_size=3) == 8
    assert await enqueue_announcement(sessions, ann_id, channels=infos, now=NOW) == 0
    written = await rows(sessions, ref_type="announcement")
    assert len(written) == 8 and {r.channel for r in written} == {"telegram", "whatsapp"}
    assert len({r.payload_id for r in written}) == 2  # one body per channel
    ids = [r.id for r in written if r.channel == "telegram"]
    outcomes = {ids[0]: ("sent", None), ids[1]: ("failed", "blocked: Forbidden"),
                ids[2]: ("skipped", "recipient unreachable"),
                ids[3]: ("failed", "permanent: Chat not found"),
                ids[4]: ("failed", "permanent: Chat not found"),
                ids[5]: ("skipped", "expired")}
    async with sessions() as s, s.begin():
        for rid, (status, error) in outcomes.items():
            await s.execute(update(OutboxMessage).where(OutboxMessage.id == rid)
                            .values(status=status, last_error=error))
    async with sessions() as s:
        fig = await figures(s, ann_id)
        assert (fig.sent, fig.blocked, fig.failed, fig.pending) == (1, 2, 3, 2)
        assert fig.remaining_by_channel == {"whatsapp": 2}
        assert await failure_reasons(s, ann_id) == [("permanent: Chat not found", 2),
                                                     ("expired", 1)]
    async with sessions() as s, s.begin():
        stop = await request_stop(s, ann_id, by="telegram:9001", now=NOW)
    assert (stop.what, stop.cancelled) == ("stopping", 2)

    def report(ann: Announcement, f: object, reasons: object, now: datetime) -> Reply:
        return Reply(f"laporan #{ann.id}")

    assert await finish_if_drained(sessions, ann_id, now=NOW, report=report)
    assert not await finish_if_drained(sessions, ann_id, now=NOW, report=report)
    async with sessions() as s:
        ann = await s.get(Announcement, ann_id)
        assert ann is not None and ann.status == "stopped"
        assert (ann.total, ann.sent, ann.blocked, ann.failed, ann.cancelled) == (8, 1, 2, 3, 2)
    (sent_report,) = await rows(sessions, kind="reply")
    assert sent_report.chat_id == "9001" and sent_report.idem_key == f"ann-report:{ann_id}"
