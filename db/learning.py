"""Evaluation and micro-quiz queries: ratings a tap at a time, a session's summary, questions,
answers per attempt, review cards, and what /rekap shows.

Repositories never commit; every function works in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Evaluation,
    LearningSession,
    QuizAnswer,
    QuizQuestion,
    QuizReview,
)

__all__ = [
    "ASPECT_COLUMNS",
    "EvaluationSummary",
    "QuizScore",
    "answers_of",
    "due_reviews",
    "evaluation_of",
    "evaluation_summary",
    "forget_answers",
    "questions_of",
    "quiz_counts",
    "quiz_scores",
    "rate",
    "record_answer",
    "replace_questions",
    "set_comment",
    "streak_days",
    "stream_evaluations",
]

ASPECT_COLUMNS = ("material", "speaker", "usefulness")


def _insert(db: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (for ON CONFLICT DO NOTHING)."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- evaluations ---------------------------------------------------------------------------


async def evaluation_of(db: AsyncSession, person_id: int, session_id: int) -> Evaluation | None:
    """A person's evaluation of a session, if started."""
    return await db.scalar(select(Evaluation).where(
        Evaluation.person_id == person_id, Evaluation.session_id == session_id))


async def rate(
    db: AsyncSession, *, person_id: int, session_id: int, aspect: int, score: int,
    now: datetime,
) -> Evaluation:
    """Store one rating (1-5; 0 only starts the evaluation: skipped); the evaluation is
    complete once all three are in."""
    stmt = (
        _insert(db, Evaluation)
        .values(person_id=person_id, session_id=session_id, started_at=now)
        .on_conflict_do_nothing(index_elements=["person_id", "session_id"])
    )
    await db.execute(stmt)
    row = await evaluation_of(db, person_id, session_id)
    assert row is not None
    if score:
        setattr(row, ASPECT_COLUMNS[aspect], score)
    if row.completed_at is None and all(getattr(row, c) for c in ASPECT_COLUMNS):
        row.completed_at = now
    await db.flush()
    return row


async def set_comment(db: AsyncSession, person_id: int, session_id: int, text: str) -> bool:
    """Keep the optional comment of a started evaluation (False: none started)."""
    row = await evaluation_of(db, person_id, session_id)
    if row is None:
        return False
    row.comment = text[:500]
    await db.flush()
    return True


@dataclass(frozen=True)
class EvaluationSummary:
    """A session's evaluations: how many, averages per aspect, the latest comments."""

    started: int
    completed: int
    averages: tuple[float | None, float | None, float | None]
    comments: list[str]


async def evaluation_summary(
    db: AsyncSession, session_id: int, *, comments: int = 5
) -> EvaluationSummary:
    """The summary of one session's evaluations (for /statistik and the konsol)."""
    where = Evaluation.session_id == session_id
    started, completed, m, s, u = (await db.execute(
        select(func.count(Evaluation.id), func.count(Evaluation.completed_at),
               func.avg(Evaluation.material), func.avg(Evaluation.speaker),
               func.avg(Evaluation.usefulness)).where(where)
    )).one()
    latest = list(await db.scalars(
        select(Evaluation.comment).where(where, Evaluation.comment.is_not(None))
        .order_by(Evaluation.id.desc()).limit(comments)))
    averages = tuple(float(v) if v is not None else None for v in (m, s, u))
    return EvaluationSummary(int(started or 0), int(completed or 0), averages,  # type: ignore[arg-type]
                             [c for c in latest if c])


async def stream_evaluations(
    db: AsyncSession, session_id: int, *, batch: int = 2000
) -> AsyncIterator[list[tuple[int | None, int | None, int | None, str | None, datetime | None]]]:
    """A session's evaluations, anonymous (ratings, comment, completion time), in batches."""
    query = (
        select(Evaluation.material, Evaluation.speaker, Evaluation.usefulness,
               Evaluation.comment, Evaluation.completed_at)
        .where(Evaluation.session_id == session_id).order_by(Evaluation.id)
    )
    result = await db.stream(query.execution_options(yield_per=batch))
    async for part in result.partitions():
        yield [tuple(r) for r in part]  # type: ignore[misc]


# --- questions -----------------------------------------------------------------------------


async def questions_of(db: AsyncSession, session_id: int) -> list[QuizQuestion]:
    """A session's quiz questions, in order."""
    return list(await db.scalars(select(QuizQuestion).where(
        QuizQuestion.session_id == session_id).order_by(QuizQuestion.position)))


async def quiz_counts(db: AsyncSession, session_ids: Sequence[int]) -> dict[int, int]:
    """How many quiz questions each of these sessions has (absent: none)."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    rows = await db.execute(
        select(QuizQuestion.session_id, func.count(QuizQuestion.id))
        .where(QuizQuestion.session_id.in_(ids)).group_by(QuizQuestion.session_id))
    return {sid: int(n) for sid, n in rows.all()}


async def replace_questions(
    db: AsyncSession, session_id: int, questions: Sequence[tuple[str, list[str], int, str]]
) -> None:
    """Make these (text, options, answer index, explanation) the session's questions.

    Unchanged questions keep their rows (and the answers and reviews that point at them);
    a changed or dropped one is replaced, taking its answers and reviews with it.
    """
    current = {q.position: q for q in await questions_of(db, session_id)}
    for position, (text, options, answer, explanation) in enumerate(questions, 1):
        old = current.pop(position, None)
        if old is not None and (old.text, list(old.options), old.answer) == (text, options,
                                                                             answer):
            old.explanation = explanation
            continue
        if old is not None:
            await db.delete(old)
            await db.flush()
        db.add(QuizQuestion(session_id=session_id, position=position, text=text,
                            options=list(options), answer=answer, explanation=explanation))
    for old in current.values():
        await db.delete(old)
    await db.flush()


# --- answers -------------------------------------------------------------------------------


async def answers_of(
    db: AsyncSession, person_id: int, session_id: int
) -> dict[tuple[int, int], QuizAnswer]:
    """A person's answers to a session's quiz by (attempt, position)."""
    rows = await db.execute(
        select(QuizAnswer, QuizQuestion.position)
        .join(QuizQuestion, QuizQuestion.id == QuizAnswer.question_id)
        .where(QuizAnswer.person_id == person_id, QuizQuestion.session_id == session_id))
    return {(a.attempt, pos): a for a, pos in rows.all()}


async def record_answer(
    db: AsyncSession, *, person_id: int, question: QuizQuestion, attempt: int, choice: int,
    now: datetime, review_days: int,
) -> tuple[QuizAnswer, bool]:
    """Record an answer once (a second press keeps the first); return it and whether it is
    new. A wrong new answer (re)starts the question's review card, due in `review_days`."""
    stmt = (
        _insert(db, QuizAnswer)
        .values(person_id=person_id, question_id=question.id, attempt=attempt, choice=choice,
                correct=choice == question.answer, answered_at=now)
        .on_conflict_do_nothing(index_elements=["person_id", "question_id", "attempt"])
        .returning(QuizAnswer.id)
    )
    new = (await db.execute(stmt)).scalar_one_or_none() is not None
    answer = await db.scalar(select(QuizAnswer).where(
        QuizAnswer.person_id == person_id, QuizAnswer.question_id == question.id,
        QuizAnswer.attempt == attempt))
    assert answer is not None
    if new and not answer.correct:
        await _restart_review(db, person_id, question.id, now, review_days)
    return answer, new


async def _restart_review(
    db: AsyncSession, person_id: int, question_id: int, now: datetime, days: int
) -> None:
    due = now.date().toordinal() + days
    card = await db.scalar(select(QuizReview).where(
        QuizReview.person_id == person_id, QuizReview.question_id == question_id))
    if card is None:
        db.add(QuizReview(person_id=person_id, question_id=question_id, step=0,
                          due_on=date.fromordinal(due), status="due", updated_at=now))
    else:
        card.step, card.due_on, card.status, card.updated_at = 0, date.fromordinal(due), "due", now
    await db.flush()


async def due_reviews(
    db: AsyncSession, day: date, person_ids: Sequence[int] | None = None
) -> dict[int, QuizReview]:
    """The oldest due review card of each person (one a day is enough), due by `day`."""
    query = (select(QuizReview).where(QuizReview.status == "due", QuizReview.due_on <= day)
             .order_by(QuizReview.person_id, QuizReview.due_on, QuizReview.id))
    if person_ids is not None:
        query = query.where(QuizReview.person_id.in_(sorted(set(person_ids))))
    out: dict[int, QuizReview] = {}
    for card in await db.scalars(query):
        out.setdefault(card.person_id, card)
    return out


# --- /rekap --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizScore:
    """A person's best attempt at one session's quiz."""

    session_id: int
    title: str
    day: date
    right: int
    questions: int


async def quiz_scores(db: AsyncSession, person_id: int, first: date, last: date) -> list[
    QuizScore
]:
    """The person's best attempt per quiz of sessions from `first` to `last`, by date."""
    right = func.sum(case((QuizAnswer.correct.is_(True), 1), else_=0))
    per_attempt = (
        select(QuizQuestion.session_id.label("sid"), QuizAnswer.attempt.label("attempt"),
               right.label("right"))
        .join(QuizQuestion, QuizQuestion.id == QuizAnswer.question_id)
        .where(QuizAnswer.person_id == person_id)
        .group_by(QuizQuestion.session_id, QuizAnswer.attempt).subquery()
    )
    totals = (select(QuizQuestion.session_id.label("sid"), func.count(QuizQuestion.id)
                     .label("n")).group_by(QuizQuestion.session_id).subquery())
    rows = await db.execute(
        select(LearningSession.id, LearningSession.title, LearningSession.day,
               func.max(per_attempt.c.right), totals.c.n)
        .join(per_attempt, per_attempt.c.sid == LearningSession.id)
        .join(totals, totals.c.sid == LearningSession.id)
        .where(and_(LearningSession.day >= first, LearningSession.day <= last))
        .group_by(LearningSession.id, LearningSession.title, LearningSession.day, totals.c.n)
        .order_by(LearningSession.day, LearningSession.id)
    )
    return [QuizScore(i, t, d, int(r or 0), int(n)) for i, t, d, r, n in rows.all()]


async def streak_days(
    db: AsyncSession, person_id: int, first: date, last: date
) -> tuple[set[date], set[date]]:
    """Days from `first` to `last` with an active session, and days of sessions the person
    attended (what a week streak is counted from)."""
    held = set(await db.scalars(select(LearningSession.day).where(
        LearningSession.day.between(first, last), LearningSession.status == "aktif").distinct()))
    attended = set(await db.scalars(
        select(LearningSession.day).join(Attendance, Attendance.session_id == LearningSession.id)
        .where(Attendance.person_id == person_id, LearningSession.day.between(first, last))
        .distinct()))
    return held | attended, attended


async def forget_answers(db: AsyncSession, person_id: int) -> None:
    """Drop a person's review cards (erasure: nothing more is asked of them)."""
    await db.execute(delete(QuizReview).where(QuizReview.person_id == person_id))
