"""Status webhooks: record real delivery on outbox rows, and act on the failures."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import Blocked, OutsideWindow, RateLimited
from bot.whatsapp.client import mask_number
from bot.whatsapp.errors import map_error
from bot.whatsapp.webhook import StatusEvent
from core.clock import Clock
from core.outbox import Ref, enqueue
from core.types import Reply
from db.outbox_status import (
    DeliveryReport,
    FailedRow,
    mark_unreachable,
    payload_of,
    record_reports,
    requeue,
)

__all__ = ["MAX_REQUEUES", "StatusRecorder", "template_key"]

log = logging.getLogger(__name__)

MAX_REQUEUES = 5  # a row refused for throughput this often fails for good


def template_key(row_id: int) -> str:
    """The outbox key of the template sent after row `row_id` failed outside the window."""
    return f"wa-template:{row_id}"


def _report(status: StatusEvent) -> DeliveryReport:
    error = None
    if status.errors:
        e = status.errors[0]
        error = f"WhatsApp {e.code}: {e.title}" + (f" ({e.details})" if e.details else "")
    return DeliveryReport(status.wamid, status.status, status.timestamp, error)


class StatusRecorder:
    """The `StatusHandler` of the WhatsApp channel (runs in the webhook's transaction).

    - delivered / read: the times go on the outbox row;
    - failed 131047 (outside the window): the row's template is queued once instead;
    - failed 131026 (undeliverable, or blocked): the person is marked unreachable and
      their pending WhatsApp rows are skipped, so nothing is retried forever;
    - failed 130429 / 131056 (throughput, pair rate): the row is sent again after the pause;
    - anything else: the row stays failed with Meta's reason, for admins to see.
    """

    def __init__(self, clock: Clock, *, pair_interval: float = 6.0) -> None:
        self._clock = clock
        self._pair_interval = pair_interval

    async def __call__(self, s: AsyncSession, statuses: Sequence[StatusEvent]) -> None:
        failed = await record_reports(s, "whatsapp", [_report(st) for st in statuses])
        errors = {st.wamid: st for st in statuses if st.status == "failed"}
        for row in failed:
            status = errors[row.report.platform_message_id]
            if not status.errors:
                continue
            err = map_error(status.errors[0].graph_error(), recipient=row.chat_id,
                            pair_interval=self._pair_interval)
            if isinstance(err, OutsideWindow):
                await self._template_instead(s, row)
            elif isinstance(err, Blocked) and row.person_id is not None:
                skipped = await mark_unreachable(s, row.person_id, "whatsapp")
                log.info("%s cannot receive WhatsApp messages (131026); %d pending skipped",
                         mask_number(row.chat_id), skipped)
            elif isinstance(err, RateLimited) and row.attempts < MAX_REQUEUES:
                later = self._clock.now() + timedelta(seconds=err.retry_after)
                await requeue(s, row.id, later, f"rate limited after sending: {err}")

    async def _template_instead(self, s: AsyncSession, row: FailedRow) -> None:
        body = await payload_of(s, row.payload_id)
        if body is None:
            return
        reply = Reply.from_dict(body)
        if reply.force_template or reply.template is None:
            return  # a template itself, or nothing to fall back to
        forced = replace(reply, force_template=True)
        new_id = await enqueue(
            s, key=template_key(row.id), person_id=row.person_id, channel="whatsapp",
            chat_id=row.chat_id, kind=row.kind, reply=forced, now=self._clock.now(),
            priority=row.priority,
            ref=Ref(row.ref_type, row.ref_id) if row.ref_type and row.ref_id is not None else None,
        )
        if new_id is not None:
            log.info("outbox row %d failed outside the 24-hour window; template queued", row.id)
