"""Questions answered wrong come back: each weekday, after the morning menu, a person with a
due review card gets one question again (a low-priority message of its own)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import CoreConfig
from core.outbox import Ref, enqueue
from core.programme import by_key
from core.text import esc
from core.timezones import ZONES, local_today
from core.types import Reply
from db.engine import Sessions
from db.learning import due_reviews
from db.models import Identity, LearningSession, Person, QuizQuestion, QuizReview
from schedules.audience import recipients
from schedules.evaluation_prompts import unsigned
from schedules.nudges import NudgeConfig, PlanOutcome, finish_plan, insert_plan, morning_due
from schedules.quiz_prompts import ReviewPick, option_lines, question_buttons

__all__ = ["AFTER_MENU", "ReviewPlanner", "review_reply"]

log = logging.getLogger(__name__)

AFTER_MENU = timedelta(minutes=30)  # reviews wait this long after the morning menu
LATEST = timedelta(hours=8)  # planned at most this late (cards still due wait a day)
_WINDOW = timedelta(hours=23)  # free-form messages only to people who wrote this recently
_CHUNK = 1000


def review_reply(card: QuizReview, q: QuizQuestion, s: LearningSession) -> Reply:
    """The review question, with A-D buttons (signed per recipient when sent)."""
    text = (
        f"🔁 <b>Ulas kembali</b> · {esc(by_key(s.programme_key).name)}: {esc(s.title)}\n"
        "Soal kuis yang sebelumnya belum tepat:\n\n"
        f"<b>{esc(q.text)}</b>\n{option_lines(q)}"
    )
    buttons = question_buttons(q, unsigned, [ReviewPick(card.id, i) for i in range(4)])
    return Reply(text, buttons=buttons, sign_buttons=True)


class ReviewPlanner:
    """Plan each zone's review questions once a weekday (a plan key per day and zone)."""

    def __init__(self, sessions: Sessions, config: CoreConfig, channels: Sequence[str],
                 *, windowed: Collection[str] = ()) -> None:
        self._sessions = sessions
        self._nudges = NudgeConfig.from_config(config, channels)
        self._channels = tuple(channels)
        # Channels that allow free-form messages only within a window after the person
        # wrote (WhatsApp): there is no template for a review, so it waits for them.
        self._windowed = frozenset(windowed)

    async def run(self, now: datetime) -> list[PlanOutcome]:
        """Plan what is due at `now` (from shortly before MORNING_TIME + 30 minutes, until
        8 hours later: a card is due from a day on, so a late plan loses nothing)."""
        outcomes = []
        for zone in ZONES:
            day = local_today(now, zone)
            due = morning_due(day, zone, self._nudges.morning_time) + AFTER_MENU
            if day.weekday() >= 5 or now < due - self._nudges.lookahead:
                continue
            if now > due + LATEST:
                continue  # the bot was down all day: tomorrow's planning takes them
            key = f"review:{day}:{zone}"
            plan, mine = await insert_plan(self._sessions, key=key, kind="review", day=day,
                                           zone=zone, ref_id=None, due=due, status="planning",
                                           now=now)
            if not mine:
                outcomes.append(PlanOutcome(key, "exists", due_at=due))
                continue
            added = await self._fill(day, zone, due, now)
            await finish_plan(self._sessions, plan.id, added, now)
            outcomes.append(PlanOutcome(plan.key, "planned", added, due))
            if added:
                log.info("quiz reviews %s (%s): %d", day, zone, added)
        return outcomes

    async def _fill(self, day: date, zone: str, due: datetime, now: datetime) -> int:
        has_card = exists(select(QuizReview.id).where(
            QuizReview.person_id == Person.id, QuizReview.status == "due",
            QuizReview.due_on <= day))
        audience = recipients(self._channels, zone=zone, extra=[has_card])
        ends = datetime.combine(day + timedelta(days=1), time(0), ZONES[zone])
        added = 0
        async with self._sessions() as db, db.begin():
            targets = [(pid, ch, chat) for pid, ch, chat in (await db.execute(audience)).all()]
            for start in range(0, len(targets), _CHUNK):
                chunk = targets[start:start + _CHUNK]
                recent = await self._recent(db, chunk, now)
                chunk = [t for t in chunk if t[1] not in self._windowed or (t[1], t[2]) in recent]
                cards = await due_reviews(db, day, [pid for pid, _, _ in chunk])
                questions = {q.id: q for q in await db.scalars(select(QuizQuestion).where(
                    QuizQuestion.id.in_({c.question_id for c in cards.values()})))}
                sessions = {s.id: s for s in await db.scalars(select(LearningSession).where(
                    LearningSession.id.in_({q.session_id for q in questions.values()})))}
                for pid, channel, chat in chunk:
                    card = cards.get(pid)
                    if card is None:
                        continue
                    q = questions[card.question_id]
                    new = await enqueue(
                        db, key=f"review:{card.id}:{day}", person_id=pid, channel=channel,
                        chat_id=chat, kind="review",
                        reply=review_reply(card, q, sessions[q.session_id]), now=now,
                        not_before=due, expires_at=ends, ref=Ref("review", card.id))
                    added += new is not None
        return added

    async def _recent(self, db: AsyncSession, targets: list[tuple[int, str, str]],
                      now: datetime) -> set[tuple[str, str]]:
        """(channel, chat) of windowed-channel targets who wrote within the window."""
        chats = sorted({chat for _, ch, chat in targets if ch in self._windowed})
        if not chats:
            return set()
        rows = await db.execute(select(Identity.channel, Identity.chat_id).where(
            Identity.channel.in_(sorted(self._windowed)), Identity.chat_id.in_(chats),
            Identity.last_inbound_at > now - _WINDOW))
        return {(ch, chat) for ch, chat in rows.all()}
