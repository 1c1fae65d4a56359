"""At the end of the year, everyone who attended a session gets their "Rekap JP": the PDF
transcript of the year, rendered for each recipient when it is sent (one shared payload)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select

from core.config import CoreConfig
from core.outbox import Ref, enqueue_audience, payload_body, store_payload
from core.timezones import ZONES
from db.engine import Sessions
from db.models import Attendance, LearningSession, Person
from schedules.audience import recipients
from schedules.certificate_documents import transcript_reply
from schedules.nudges import PlanOutcome, finish_plan, insert_plan

__all__ = ["SEND_AT", "TranscriptPlanner"]

log = logging.getLogger(__name__)

SEND_AT = time(16, 0)  # on 31 December, in each person's zone
UNTIL = timedelta(days=7)  # a bot down on the 31st still sends them in the first week


class TranscriptPlanner:
    """Plan each zone's year-end transcripts once (a plan key per year and zone)."""

    def __init__(self, sessions: Sessions, config: CoreConfig, channels: Sequence[str]) -> None:
        self._sessions = sessions
        self._config = config
        self._channels = tuple(channels)

    async def run(self, now: datetime) -> list[PlanOutcome]:
        """Plan what is due at `now`: from 31 December SEND_AT for a week."""
        outcomes: list[PlanOutcome] = []
        if not self._config.certificates.enabled:
            return outcomes
        for zone, tz in ZONES.items():
            local = now.astimezone(tz)
            year = local.year if (local.month, local.day) == (12, 31) else local.year - 1
            due = datetime.combine(date(year, 12, 31), SEND_AT, tz)
            if not due <= now < due + UNTIL:
                continue
            key = f"transcript:{year}:{zone}"
            plan, mine = await insert_plan(self._sessions, key=key, kind="transcript",
                                           day=date(year, 12, 31), zone=zone, ref_id=year,
                                           due=due, status="planning", now=now)
            if not mine:
                outcomes.append(PlanOutcome(key, "exists", due_at=due))
                continue
            added = await self._fill(year, zone, now, due + UNTIL)
            await finish_plan(self._sessions, plan.id, added, now)
            log.info("Rekap JP %d (%s): %d recipients", year, zone, added)
            outcomes.append(PlanOutcome(key, "planned", added, due))
        return outcomes

    async def _fill(self, year: int, zone: str, now: datetime, until: datetime) -> int:
        attended = exists(
            select(Attendance.id).join(LearningSession,
                                       LearningSession.id == Attendance.session_id)
            .where(Attendance.person_id == Person.id,
                   LearningSession.day.between(date(year, 1, 1), date(year, 12, 31))))
        async with self._sessions() as db, db.begin():
            payload = await store_payload(db, payload_body(transcript_reply(year)), now=now)
        return await enqueue_audience(
            self._sessions, audience=recipients(self._channels, zone=zone, extra=[attended]),
            key_prefix=f"transcript:{year}:", kind="certificate", payload_id=payload, now=now,
            expires_at=until, ref=Ref("transcript", year),
        )
