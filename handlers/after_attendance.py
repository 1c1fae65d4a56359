"""What follows a recorded attendance in the same message: the evaluation's first question,
else the micro-quiz's button; and how a session whose proof is the quiz asks for it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.text import esc
from core.types import Button
from db.learning import answers_of, evaluation_of, quiz_counts
from db.models import LearningSession
from schedules.evaluation_prompts import MakeButton, evaluation_question
from schedules.quiz_prompts import quiz_button
from schedules.session_rules import evaluation_mode, pass_mark

__all__ = ["FollowUp", "follow_up", "follow_up_for", "quiz_intro"]

FollowUp = tuple[str, Sequence[Sequence[Button]]]
"""A text to add below a message, and its buttons (both empty: nothing follows)."""


def follow_up(
    s: LearningSession, make: MakeButton, *, evaluated: bool, questions: int, quizzed: bool
) -> FollowUp:
    """The evaluation (unless off or done), else the quiz (if it has one not yet taken)."""
    mode = evaluation_mode(s)
    if mode != "tidak" and not evaluated:
        return evaluation_question(s.id, 0, make, required=mode == "wajib")
    if questions and not quizzed:
        return (f"🧠 Uji pemahaman dengan <b>kuis singkat</b> ({questions} soal, cukup menekan "
                "tombol).", [[quiz_button(s.id, make)]])
    return "", []


async def follow_up_for(
    db: AsyncSession, s: LearningSession, person_id: int, make: MakeButton
) -> FollowUp:
    """`follow_up` with what the person has done already read from the database."""
    evaluation = await evaluation_of(db, person_id, s.id)
    questions = (await quiz_counts(db, [s.id])).get(s.id, 0)
    quizzed = bool(questions) and bool(await answers_of(db, person_id, s.id))
    # A started (or skipped) evaluation is not offered again.
    return follow_up(s, make, evaluated=evaluation is not None, questions=questions,
                     quizzed=quizzed)


def quiz_intro(s: LearningSession, questions: int, make: MakeButton) -> FollowUp:
    """A session whose proof of attendance is its quiz: what to do, and the start button."""
    need = pass_mark(questions)
    return (
        f"📝 Presensi <b>{esc(s.title)}</b> dicatat lewat <b>kuis singkat</b>: {questions} "
        f"soal pilihan ganda, lulus bila benar {need}. Ada satu kali kesempatan mengulang.",
        [[quiz_button(s.id, make, label="📝 Mulai kuis")]],
    )
