"""The evaluation after a session: three 1-5 ratings a tap at a time (the same message edited
in place), then an optional comment typed in the chat."""

from __future__ import annotations

from datetime import timedelta

from core.text import esc
from core.types import Reply
from db.attendance import existing_attendance
from db.certificates import request_check
from db.learning import (
    EvaluationSummary,
    answers_of,
    evaluation_of,
    quiz_counts,
    rate,
    set_comment,
)
from db.models import LearningSession
from handlers.after_attendance import follow_up
from handlers.edits import in_place
from handlers.router import Context, Replies, Router
from schedules.evaluation_prompts import ASPECTS, SKIP, EvalRate, evaluation_question
from schedules.session_rules import evaluation_mode

__all__ = ["COMMENT_FLOW", "router", "summary_lines"]

router = Router("evaluation")
COMMENT_FLOW = "evaluation"
# A comment is taken only this long after the last rating: later, a text is a new message.
COMMENT_WINDOW = timedelta(minutes=30)


def _title(s: LearningSession) -> str:
    return f"<b>{esc(s.title)}</b>"


@router.callback(EvalRate)
async def rated(ctx: Context, data: EvalRate) -> Replies:
    """A rating (or "Lewati"): store it, then ask the next aspect or thank the person."""
    s = await ctx.db.get(LearningSession, data.session)
    if s is None or not 0 <= data.aspect < len(ASPECTS) or not 0 <= data.score <= 5:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    mode = evaluation_mode(s)
    if mode == "tidak" or await existing_attendance(ctx.db, ctx.person.id, s.id) is None:
        return Reply(text="", notice="Evaluasi ini untuk peserta yang kehadirannya tercatat.",
                     alert=True)
    if data.score == SKIP and mode == "wajib":
        return Reply(text="", notice="Evaluasi sesi ini wajib untuk mendapatkan sertifikat.")
    before = await evaluation_of(ctx.db, ctx.person.id, s.id)
    done_before = before is not None and before.completed_at is not None
    row = await rate(ctx.db, person_id=ctx.person.id, session_id=s.id, aspect=data.aspect,
                     score=data.score, now=ctx.now)
    if data.score == SKIP:
        return await _finished(ctx, s, "Baik, evaluasi dilewati.", notice="Evaluasi dilewati")
    missing = [i for i, (column, _l, _q) in enumerate(ASPECTS) if not getattr(row, column)]
    if missing:
        text, buttons = evaluation_question(s.id, missing[0], ctx.button,
                                            required=mode == "wajib")
        return await in_place(ctx, Reply(
            f"{_title(s)}\n\n{text}", buttons=buttons, edit=True,
            notice=f"Tersimpan: {ASPECTS[data.aspect][1]} {data.score}"))
    if not done_before and mode == "wajib":
        # The certificate waited for this: the next sweep (within a minute) issues it.
        await request_check(ctx.db, "person", ctx.person.id, ctx.now)
    await ctx.set_state(COMMENT_FLOW, "comment", {"session": s.id})
    thanks = ("🙏 <b>Terima kasih atas penilaiannya!</b>\nAda saran untuk sesi berikutnya? "
              "Ketik saja di sini (tidak wajib).")
    if mode == "wajib":
        thanks += "\n📜 Sertifikat Bapak/Ibu segera dikirim bila NIP sudah diisi."
    return await _finished(ctx, s, thanks, notice="Terima kasih!")


async def _finished(ctx: Context, s: LearningSession, text: str, *, notice: str) -> Reply:
    """Close the evaluation; offer the quiz if the session has one not yet taken."""
    questions = (await quiz_counts(ctx.db, [s.id])).get(s.id, 0)
    quizzed = bool(questions) and bool(await answers_of(ctx.db, ctx.person.id, s.id))
    more, buttons = follow_up(s, ctx.button, evaluated=True, questions=questions,
                              quizzed=quizzed)
    body = f"{_title(s)}\n\n{text}" + (f"\n\n{more}" if more else "")
    return await in_place(ctx, Reply(body, buttons=buttons, edit=True, notice=notice))


@router.flow(COMMENT_FLOW)
async def comment(ctx: Context) -> Replies:
    """The optional comment after the ratings (a later text goes to the FAQ instead)."""
    assert ctx.state is not None
    session_id = ctx.state.data.get("session")
    fresh = ctx.state.updated_at >= ctx.now - COMMENT_WINDOW
    await ctx.clear_state()
    text = " ".join((ctx.incoming.text or "").split())
    if not fresh or not isinstance(session_id, int) or not text:
        return None
    if len(text) > 500:
        await ctx.set_state(COMMENT_FLOW, "comment", {"session": session_id})
        return Reply("Mohon persingkat saran Bapak/Ibu (paling banyak 500 karakter).")
    if not await set_comment(ctx.db, ctx.person.id, session_id, text):
        return None
    return Reply("🙏 Terima kasih, saran Bapak/Ibu kami sampaikan kepada penyelenggara.")


def summary_lines(summary: EvaluationSummary) -> list[str]:
    """A session's evaluation summary as lines (averages out of 5, the latest comments):
    for /statistik, /evaluasi and the konsol."""
    if not summary.started:
        return ["Belum ada evaluasi untuk sesi ini."]
    labels = ("Materi", "Narasumber", "Manfaat")
    averages = " · ".join(
        f"{label} {avg:.1f}".replace(".", ",") if avg is not None else f"{label} –"
        for label, avg in zip(labels, summary.averages, strict=True))
    lines = [f"{summary.completed} evaluasi lengkap (dari {summary.started} dimulai)",
             f"Rata-rata (1–5): {averages}"]
    if summary.comments:
        lines.append("Saran terbaru:")
        lines += [f"• {esc(c)}" for c in summary.comments]
    return lines
