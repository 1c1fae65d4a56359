"""The micro-quiz after a session (answered with buttons, one message edited in place): the
right answer with its explanation after each question, the pass mark, one retry, attendance
for sessions whose proof is the quiz; and review questions answered days later."""

from __future__ import annotations

from datetime import timedelta

from core.text import esc
from core.timezones import local_today
from core.types import Button, Reply
from db.attendance import attendance_window, existing_attendance
from db.learning import answers_of, questions_of, quiz_counts, record_answer
from db.models import LearningSession, QuizAnswer, QuizQuestion, QuizReview
from handlers.attendance import record
from handlers.edits import in_place
from handlers.router import Context, Replies, Router
from schedules.quiz_prompts import (
    LETTERS,
    QuizPick,
    QuizStart,
    ReviewPick,
    option_lines,
    question_buttons,
    quiz_button,
)
from schedules.session_rules import REVIEW_DAYS, pass_mark, proof_mode

__all__ = ["router"]

router = Router("quiz")
STALE = "Tombol ini sudah tidak berlaku."
Answers = dict[tuple[int, int], QuizAnswer]  # by (attempt, position)


def _question(s: LearningSession, q: QuizQuestion, attempt: int, total: int, ctx: Context,
              ) -> tuple[str, list[list[Button]]]:
    head = f"📝 <b>Kuis · {esc(s.title)}</b>\n"
    head += f"Percobaan ke-2 · soal {q.position}/{total}" if attempt == 2 else \
        f"Soal {q.position}/{total}"
    text = f"{head}\n\n<b>{esc(q.text)}</b>\n{option_lines(q)}"
    buttons = question_buttons(q, ctx.button, [QuizPick(s.id, attempt, q.position, i)
                                               for i in range(4)])
    return text, buttons


def _feedback(q: QuizQuestion, choice: int) -> str:
    if choice == q.answer:
        text = "✅ <b>Benar!</b>"
    else:
        text = f"❌ <b>Kurang tepat.</b> Jawaban yang benar: <b>{LETTERS[q.answer]}</b>."
    return text + (f" {esc(q.explanation)}" if q.explanation else "")


async def _open(ctx: Context, s: LearningSession) -> bool:
    config = ctx.deps.config
    return s.status == "aktif" and attendance_window(s, config.tz, config.attendance_close) \
        .contains(ctx.now)


@router.callback(QuizStart)
async def start(ctx: Context, data: QuizStart) -> Replies:
    """Start an attempt (or resume it at its first unanswered question)."""
    return await in_place(ctx, await _start(ctx, data))


async def _start(ctx: Context, data: QuizStart) -> Reply:
    s = await ctx.db.get(LearningSession, data.session)
    questions = await questions_of(ctx.db, data.session) if s is not None else []
    if s is None or not questions or data.attempt not in (1, 2):
        return Reply(text="", notice=STALE)
    if not await _open(ctx, s):
        return Reply(text="", notice="⏰ Kuis sesi ini sudah ditutup.", alert=True)
    answers = await answers_of(ctx.db, ctx.person.id, s.id)
    first = [p for (attempt, p) in answers if attempt == 1]
    if data.attempt == 2 and (len(first) < len(questions) or _passed(answers, 1, questions)):
        return Reply(text="", notice=STALE)
    if len([p for (attempt, p) in answers if attempt == data.attempt]) == len(questions):
        return await _result(ctx, s, questions, data.attempt, answers, "")
    return _next(ctx, s, questions, data.attempt, answers, "")


def _right(answers: Answers, attempt: int, q: QuizQuestion) -> bool:
    found = answers.get((attempt, q.position))
    return found is not None and found.correct


def _passed(answers: Answers, attempt: int,
            questions: list[QuizQuestion]) -> bool:
    right = sum(1 for q in questions
                if _right(answers, attempt, q))
    return right >= pass_mark(len(questions))


def _next(ctx: Context, s: LearningSession, questions: list[QuizQuestion], attempt: int,
          answers: Answers, before: str) -> Reply:
    q = next(q for q in questions if (attempt, q.position) not in answers)
    text, buttons = _question(s, q, attempt, len(questions), ctx)
    return Reply((before + "\n\n" if before else "") + text, buttons=buttons, edit=True,
                 notice="📝 Kuis")


@router.callback(QuizPick)
async def picked(ctx: Context, data: QuizPick) -> Replies:
    """An answer: the right one with its explanation, then the next question or the result."""
    return await in_place(ctx, await _picked(ctx, data))


async def _picked(ctx: Context, data: QuizPick) -> Reply:
    s = await ctx.db.get(LearningSession, data.session)
    questions = await questions_of(ctx.db, data.session) if s is not None else []
    q = next((q for q in questions if q.position == data.position), None)
    if s is None or q is None or data.attempt not in (1, 2) or not 0 <= data.choice < len(
            q.options):
        return Reply(text="", notice=STALE)
    if not await _open(ctx, s):
        return Reply(text="", notice="⏰ Kuis sesi ini sudah ditutup.", alert=True)
    if data.attempt == 2 and _passed(await answers_of(ctx.db, ctx.person.id, s.id), 1,
                                     questions):
        return Reply(text="", notice=STALE)
    answer, new = await record_answer(ctx.db, person_id=ctx.person.id, question=q,
                                      attempt=data.attempt, choice=data.choice, now=ctx.now,
                                      review_days=REVIEW_DAYS[0])
    feedback = _feedback(q, answer.choice) if new else "ℹ️ Soal ini sudah dijawab."
    answers = await answers_of(ctx.db, ctx.person.id, s.id)
    if any((data.attempt, other.position) not in answers for other in questions):
        return _next(ctx, s, questions, data.attempt, answers, feedback)
    return await _result(ctx, s, questions, data.attempt, answers, feedback)


async def _result(ctx: Context, s: LearningSession, questions: list[QuizQuestion],
                  attempt: int, answers: Answers, before: str) -> Reply:
    """The attempt's score; a pass records attendance when the quiz is the proof."""
    right = sum(1 for q in questions
                if _right(answers, attempt, q))
    total, need = len(questions), pass_mark(len(questions))
    head = (before + "\n\n") if before else ""
    wrong = right < total
    later = ("\nSoal yang belum tepat akan kami tanyakan lagi beberapa hari lagi, untuk "
             "memperkuat ingatan." if wrong else "")
    proof = proof_mode(s, has_quiz=True) == "kuis"
    if right >= need:
        head += f"🎉 <b>Lulus!</b> Benar {right} dari {total}.{later}"
        if proof and await existing_attendance(ctx.db, ctx.person.id, s.id) is None:
            recorded = await record(ctx, s)
            return Reply(f"{head}\n\n{recorded.text}", buttons=recorded.buttons, edit=True,
                         notice=recorded.notice, alert=recorded.alert)
        return Reply(head, edit=True, notice=f"Lulus: {right}/{total}")
    head += f"Belum lulus: benar {right} dari {total} (lulus bila benar {need}).{later}"
    if attempt == 1:
        head += "\nBapak/Ibu boleh mencoba <b>sekali lagi</b>."
        return Reply(head, buttons=[[quiz_button(s.id, ctx.button, attempt=2,
                                                 label="🔁 Coba lagi")]],
                     edit=True, notice=f"Belum lulus: {right}/{total}")
    head += "\nKesempatan mengulang sudah dipakai."
    if proof:
        head += (" Kehadiran belum dapat dicatat lewat kuis; bila ada kendala, sampaikan lewat "
                 "/tanya.")
    return Reply(head, edit=True, notice=f"Belum lulus: {right}/{total}")


@router.callback(ReviewPick)
async def reviewed(ctx: Context, data: ReviewPick) -> Replies:
    """An answer to a review question: right moves it on (1, 3, 7 days), wrong starts over."""
    return await in_place(ctx, await _reviewed(ctx, data))


async def _reviewed(ctx: Context, data: ReviewPick) -> Reply:
    card = await ctx.db.get(QuizReview, data.review)
    q = await ctx.db.get(QuizQuestion, card.question_id) if card is not None else None
    if card is None or q is None or card.person_id != ctx.person.id \
            or not 0 <= data.choice < len(q.options):
        return Reply(text="", notice=STALE)
    today = local_today(ctx.now, ctx.person.tz)
    if card.status == "done" or card.due_on > today:
        return Reply(text="", notice="ℹ️ Soal ini sudah dijawab. Terima kasih!")
    feedback = _feedback(q, data.choice)
    if data.choice == q.answer:
        card.step += 1
        if card.step >= len(REVIEW_DAYS):
            card.status = "done"
            after = "👍 Soal ini selesai diulas."
        else:
            card.due_on = today + timedelta(days=REVIEW_DAYS[card.step])
            after = f"Soal ini kami tanyakan lagi {REVIEW_DAYS[card.step]} hari lagi."
    else:
        card.step, card.due_on = 0, today + timedelta(days=REVIEW_DAYS[0])
        after = "Kita ulas lagi besok."
    card.updated_at = ctx.now
    total = (await quiz_counts(ctx.db, [q.session_id])).get(q.session_id, 0)
    return Reply(f"🔁 <b>{esc(q.text)}</b> ({q.position}/{total})\n\n{feedback}\n{after}",
                 edit=True, notice="Tersimpan")
