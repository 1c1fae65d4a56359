"""What a session asks of its attendees: its evaluation, its proof of attendance, its quiz's
pass mark and the spacing of review questions."""

from __future__ import annotations

from typing import Final, Literal

from core.programme import by_key
from db.models import LearningSession

__all__ = [
    "EVALUATION_MODES",
    "PROOF_MODES",
    "REVIEW_DAYS",
    "EvaluationMode",
    "ProofMode",
    "evaluation_mode",
    "pass_mark",
    "proof_mode",
]

EvaluationMode = Literal["ya", "tidak", "wajib"]
ProofMode = Literal["kode", "kuis", "tombol"]
EVALUATION_MODES: Final = ("ya", "tidak", "wajib")
PROOF_MODES: Final = ("kode", "kuis", "tombol")
# A question answered wrong comes back this many days after the quiz, then after each
# right answer the next spacing; a wrong answer starts over.
REVIEW_DAYS: Final = (1, 3, 7)


def evaluation_mode(s: LearningSession) -> EvaluationMode:
    """The session's `evaluasi`, or its programme's default."""
    value = s.evaluation or by_key(s.programme_key).evaluation
    return value if value in ("ya", "wajib") else "tidak"  # type: ignore[return-value]


def proof_mode(s: LearningSession, *, has_quiz: bool) -> ProofMode:
    """The session's `bukti`: kode when it has an attendance code, else tombol (the button);
    kuis only when it has questions (without them the button is the proof)."""
    value = s.proof or ("kode" if s.attendance_code else "tombol")
    if value == "kuis" and not has_quiz:
        return "kode" if s.attendance_code else "tombol"
    if value == "kode" and not s.attendance_code:
        return "tombol"
    return value  # type: ignore[return-value]


def pass_mark(questions: int) -> int:
    """Right answers needed to pass: 2 of 3, all of fewer."""
    return 2 if questions >= 3 else questions
