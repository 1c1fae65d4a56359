"""The micro-quiz's buttons (typed callback data) and how a question is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from core.callbacks import CallbackData
from core.text import esc
from core.types import Button
from db.models import QuizQuestion
from schedules.evaluation_prompts import MakeButton

__all__ = [
    "LETTERS",
    "QuizPick",
    "QuizStart",
    "ReviewPick",
    "option_lines",
    "question_buttons",
    "quiz_button",
]

LETTERS: Final = "ABCD"


@dataclass(frozen=True)
class QuizStart(CallbackData):
    """Start (or, attempt 2, retry) a session's quiz."""

    prefix: ClassVar[str] = "qzs"
    session: int
    attempt: int


@dataclass(frozen=True)
class QuizPick(CallbackData):
    """An answer to one question of an attempt."""

    prefix: ClassVar[str] = "qzp"
    session: int
    attempt: int
    position: int
    choice: int


@dataclass(frozen=True)
class ReviewPick(CallbackData):
    """An answer to a review question (a question answered wrong, asked again days later)."""

    prefix: ClassVar[str] = "qzr"
    review: int
    choice: int


def option_lines(q: QuizQuestion) -> str:
    """'A. …' lines, one per option."""
    return "\n".join(f"{LETTERS[i]}. {esc(option)}" for i, option in enumerate(q.options))


def question_buttons(q: QuizQuestion, make: MakeButton, data: list[CallbackData]) -> list[
    list[Button]
]:
    """One row of letter buttons, A to D, carrying `data[i]` for option i."""
    return [[make(LETTERS[i], d) for i, d in enumerate(data[: len(q.options)])]]


def quiz_button(session_id: int, make: MakeButton, *, attempt: int = 1,
                label: str = "📝 Kerjakan kuis") -> Button:
    """The button that starts (or retries) a quiz."""
    return make(label, QuizStart(session_id, attempt))
