"""Questions filed to the agency: grouping, rate limit, admins to tell, answers (no chat text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import Channels
from db.models import (
    Admin,
    Identity,
    OutboxMessage,
    Person,
    Question,
    QuestionAsker,
    QuestionNotice,
)
from handlers.faq_normalize import STOPWORDS, normalize

__all__ = [
    "Filed",
    "OpenQuestion",
    "Recipient",
    "admin_recipients",
    "askers_of",
    "asks_since",
    "file_question",
    "open_questions",
    "question_from_notice",
    "question_key",
]

_SPACES = re.compile(r"\s+")


def question_key(text: str) -> str:
    """What makes two questions "the same": their content words as a set.

    The FAQ normaliser already folds case, punctuation, chat spellings, Javanese and
    affixes, and drops particles and forms of address, so "kapan sertifikat asn belajar tgl
    5 maret bs di unduh??" and "Kapan sertifikat ASN Belajar tanggal 5 Maret bisa diunduh?"
    share a key. Nothing looser is used (no fuzzy ratio): "5 maret" and "6 maret" must stay
    apart, since one answer goes to everyone grouped.
    """
    words = [w for w in normalize(text).split() if w not in STOPWORDS]
    if not words:  # only particles: fall back to the plain text
        return _SPACES.sub(" ", text.lower()).strip()[:400]
    return " ".join(sorted(set(words)))[:400]


@dataclass(frozen=True)
class Recipient:
    """Where an admin is told about a new question."""

    channel: str
    chat_id: str
    person_id: int | None


async def admin_recipients(s: AsyncSession, channels: Channels) -> list[Recipient]:
    """Owners from the settings, and admins added from the chat who have written to the bot.

    On a channel whose private chat id is the person's id (Telegram's user id, WhatsApp's
    number), an admin is reachable before their first message too.
    """
    wanted: list[tuple[str, str]] = channels.owners()
    wanted += [(a.channel, a.external_id) for a in (await s.execute(select(Admin))).scalars()]
    found: list[Recipient] = []
    seen: set[tuple[str, str]] = set()
    for channel, external in wanted:
        if (channel, external) in seen:
            continue
        seen.add((channel, external))
        ident = await s.scalar(
            select(Identity).where(Identity.channel == channel, Identity.external_id == external)
        )
        if ident is not None:
            found.append(Recipient(channel, ident.chat_id, ident.person_id))
        elif (info := channels.get(channel)) is not None and info.linkable \
                and info.user_is_chat and external.isdigit():
            found.append(Recipient(channel, external, None))
    return found


async def asks_since(s: AsyncSession, person_id: int, since: datetime) -> list[datetime]:
    """When the person filed questions after `since` (oldest first), for the rate limit."""
    rows = await s.execute(
        select(QuestionAsker.asked_at)
        .where(QuestionAsker.person_id == person_id, QuestionAsker.asked_at > since)
        .order_by(QuestionAsker.asked_at)
    )
    return list(rows.scalars())


@dataclass(frozen=True)
class Filed:
    """The outcome of filing a question.

    kind "new": a new question (tell the admins); "joined": the person joined an open
    question someone else asked; "again": the person had already asked it and it is open.
    """

    kind: Literal["new", "joined", "again"]
    question: Question


async def file_question(
    s: AsyncSession, *, person: Person, text: str, channel: str, chat_id: str, now: datetime
) -> Filed:
    """File `text` for `person`, joining an open question with the same key."""
    key = question_key(text)
    same = await s.scalar(
        select(Question)
        .where(Question.key == key, Question.status == "open")
        .order_by(Question.id)
        .limit(1)
    )
    if same is not None:
        mine = await s.scalar(
            select(QuestionAsker.id).where(
                QuestionAsker.question_id == same.id, QuestionAsker.person_id == person.id
            )
        )
        if mine is not None:
            return Filed("again", same)
        s.add(QuestionAsker(question_id=same.id, person_id=person.id, text=text,
                            channel=channel, chat_id=chat_id, asked_at=now))
        await s.flush()
        return Filed("joined", same)
    question = Question(key=key, text=text, status="open", created_at=now)
    s.add(question)
    await s.flush()
    s.add(QuestionAsker(question_id=question.id, person_id=person.id, text=text,
                        channel=channel, chat_id=chat_id, asked_at=now))
    await s.flush()
    return Filed("new", question)


async def askers_of(s: AsyncSession, question_id: int) -> list[tuple[QuestionAsker, Person]]:
    """Everyone who asked a question, first asker first."""
    rows = await s.execute(
        select(QuestionAsker, Person)
        .join(Person, Person.id == QuestionAsker.person_id)
        .where(QuestionAsker.question_id == question_id)
        .order_by(QuestionAsker.asked_at, QuestionAsker.id)
    )
    return [(a, p) for a, p in rows.all()]


@dataclass(frozen=True)
class OpenQuestion:
    """An open question with who asked it first and how many asked."""

    question: Question
    first: Person | None
    askers: int


async def open_questions(
    s: AsyncSession, limit: int, offset: int = 0
) -> tuple[list[OpenQuestion], int]:
    """Open questions, oldest first (at most `limit`, from `offset`), and how many are open
    in all."""
    total = await s.scalar(
        select(func.count()).select_from(Question).where(Question.status == "open")
    )
    counts = (
        select(QuestionAsker.question_id, func.count().label("n"),
               func.min(QuestionAsker.id).label("first_id"))
        .group_by(QuestionAsker.question_id)
        .subquery()
    )
    rows = await s.execute(
        select(Question, Person, counts.c.n)
        .join(counts, counts.c.question_id == Question.id)
        .join(QuestionAsker, QuestionAsker.id == counts.c.first_id)
        .join(Person, Person.id == QuestionAsker.person_id)
        .where(Question.status == "open")
        .order_by(Question.created_at, Question.id)
        .limit(limit).offset(offset)
    )
    found = [OpenQuestion(q, p, int(n)) for q, p, n in rows.all()]
    return found, int(total or 0)


async def question_from_notice(
    s: AsyncSession, channel: str, chat_id: str, message_id: str
) -> int | None:
    """The question an admin's notification message (by its platform id) was about.

    The id is the one the outbox recorded when it delivered the notification.
    """
    found = await s.scalar(
        select(QuestionNotice.question_id)
        .join(OutboxMessage, OutboxMessage.id == QuestionNotice.outbox_id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.platform_message_id == message_id,
        )
        .limit(1)
    )
    if found is not None:
        return found
    return await s.scalar(
        select(QuestionNotice.question_id).where(
            QuestionNotice.channel == channel,
            QuestionNotice.chat_id == chat_id,
            QuestionNotice.message_id == message_id,
        ).limit(1)
    )

