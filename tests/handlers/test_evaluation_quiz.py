"""Evaluation and micro-quiz through the core dispatcher (on the console, which shows whole
replies; Telegram's toasts and edits are the last test): ratings a tap at a time, skipping,
the comment and its window; the quiz's pass mark, retry, review cards 1-3-7 days later; the
week streak and quiz results in /rekap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from core.types import Incoming, Reply
from db.learning import evaluation_summary
from db.models import Evaluation, OutboxMessage, OutboxPayload, QuizReview
from handlers.attendance import week_streak
from schedules.quiz_reviews import ReviewPlanner
from tests.handlers.attendance_helpers import (
    MONDAY,
    Chat,
    add_person,
    add_session,
    attendance_rows,
    text_of,
    wib,
)
from tests.schedules.quiz_helpers import add_quiz

NIP = "198507142010012003"


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    """The core without the sample calendar."""
    runtime = await build_runtime(make_settings({"SAMPLE_CALENDAR": "false"}), clock,
                                  migrate=False)
    yield runtime
    await runtime.close()


def _data(replies: list[Reply], label: str) -> str:
    found = [b.data for r in replies for row in r.buttons for b in row if b.label == label]
    labels = [b.label for r in replies for row in r.buttons for b in row]
    assert found, f"no button {label!r} in {labels}"
    return found[0]


async def test_rating_a_tap_at_a_time_then_a_comment(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="EV-1", start=(9, 0), title="Arsip")
    await add_person(rt.sessions, "801", nip=NIP, channel="console")
    siti = Chat(rt, "801", channel="console")
    clock.set(wib(MONDAY, 11, 0))
    first = await siti.press(await siti.button_for(sid))
    assert not first[0].notice_only  # the confirmation carries the evaluation
    assert "Evaluasi singkat</b> (1/3)" in text_of(first)
    assert [b.label for b in first[0].buttons[0]] == ["1", "2", "3", "4", "5"]
    second = await siti.press(_data(first, "5"))
    assert "(2/3)" in text_of(second) and "[Tersimpan: Materi 5]" in text_of(second)
    third = await siti.press(_data(second, "3"))
    done = await siti.press(_data(third, "4"))
    assert "Terima kasih atas penilaiannya" in text_of(done)
    thanks = await siti.say("Narasumber jelas, mohon rekamannya dibagikan")
    assert "saran Bapak/Ibu kami sampaikan" in text_of(thanks)
    async with rt.sessions() as s:
        summary = await evaluation_summary(s, sid)
    assert (summary.started, summary.completed, summary.averages) == (1, 1, (5.0, 3.0, 4.0))
    assert summary.comments == ["Narasumber jelas, mohon rekamannya dibagikan"]
    # A later text is a question again, not a second comment.
    assert "saran" not in text_of(await siti.say("kapan sesi berikutnya"))


async def test_skipping_and_refusals(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="EV-2", start=(9, 0))
    required = await add_session(rt.sessions, code="EV-3", start=(13, 0), evaluation="wajib")
    await add_person(rt.sessions, "802", nip=NIP, channel="console")
    await add_person(rt.sessions, "803", nip=None, name="Budi", channel="console")
    budi, siti = Chat(rt, "803", channel="console"), Chat(rt, "802", channel="console")
    clock.set(wib(MONDAY, 11, 0))
    asked = await siti.press(await siti.button_for(sid))
    skipped = await siti.press(_data(asked, "Lewati evaluasi"))
    assert "evaluasi dilewati" in text_of(skipped)
    # Budi did not attend: Siti's button, or a forged one of his own, records nothing.
    refused = await budi.press(_data(asked, "Lewati evaluasi"))
    assert "tidak berlaku" in text_of(refused)
    clock.set(wib(MONDAY, 15, 0))
    asked = await siti.press(await siti.button_for(required))
    labels = [b.label for r in asked for row in r.buttons for b in row]
    assert "Lewati evaluasi" not in labels  # wajib: no skipping
    async with rt.sessions() as s:
        rows = list(await s.scalars(select(Evaluation).order_by(Evaluation.id)))
    assert [(r.session_id, r.material, r.completed_at) for r in rows] == [(sid, None, None)]


async def test_quiz_pass_retry_and_reviews(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="QZ-1", start=(9, 0), evaluation="tidak",
                            title="Kearsipan")
    await add_quiz(rt.sessions, sid)
    pid = await add_person(rt.sessions, "804", nip=NIP, channel="console")
    ani = Chat(rt, "804", channel="console")
    clock.set(wib(MONDAY, 11, 0))
    recorded = await ani.press(await ani.button_for(sid))
    assert "kuis singkat" in text_of(recorded)  # offered after the attendance
    q1 = await ani.press(_data(recorded, "📝 Kerjakan kuis"))
    assert "Soal 1/3" in text_of(q1)
    q2 = await ani.press(_data(q1, "A"))  # wrong (B)
    assert "Jawaban yang benar: <b>B</b>" in text_of(q2) and "unit pengolah" in text_of(q2)
    again = await ani.press(_data(q1, "B"))  # a second press on the same question
    assert "sudah dijawab" in text_of(again)
    q3 = await ani.press(_data(q2, "A"))  # wrong (C)
    result = await ani.press(_data(q3, "A"))  # right
    assert "Belum lulus: benar 1 dari 3" in text_of(result)
    retry = await ani.press(_data(result, "🔁 Coba lagi"))
    assert "Percobaan ke-2 · soal 1/3" in text_of(retry)
    r2 = await ani.press(_data(retry, "B"))
    r3 = await ani.press(_data(r2, "C"))
    passed = await ani.press(_data(r3, "D"))  # wrong, but 2 of 3 pass
    assert "Lulus!" in text_of(passed) and "tanyakan lagi" in text_of(passed)
    # The retry button again: the result stands, no third attempt.
    assert "Lulus! Benar 2 dari 3" in text_of(await ani.press(_data(result, "🔁 Coba lagi"))
                                            ).replace("</b>", "").replace("<b>", "")
    async with rt.sessions() as s:
        cards = list(await s.scalars(select(QuizReview).order_by(QuizReview.question_id)))
    # Questions 1, 2 and 3 went wrong in some attempt; each card restarted at step 0.
    assert [(c.step, c.due_on, c.status) for c in cards] == [(0, MONDAY + timedelta(days=1),
                                                              "due")] * 3
    # Tuesday after the morning menu, one review question goes out.
    planner = ReviewPlanner(rt.sessions, rt.deps.config, ["console"])
    tuesday = MONDAY + timedelta(days=1)
    clock.set(wib(tuesday, 7, 0))
    [planned, *_] = await planner.run(clock.now())
    assert (planned.key, planned.status, planned.recipients) == (
        f"review:{tuesday}:WIB", "planned", 1)
    assert (await planner.run(clock.now()))[0].status == "exists"
    review = await ani.press(rt.deps.signer.sign(str(pid), f"qzr:{cards[0].id}:1"))
    assert "Benar!" in text_of(review) and "3 hari lagi" in text_of(review)
    async with rt.sessions() as s:
        card = await s.get(QuizReview, cards[0].id)
    assert card is not None and (card.step, card.due_on) == (1, tuesday + timedelta(days=3))
    wrong = await ani.press(rt.deps.signer.sign(str(pid), f"qzr:{cards[1].id}:0"))
    assert "Kita ulas lagi besok" in text_of(wrong)
    rekap = text_of(await ani.say("/rekap"))
    assert "Kuis</b>: 1 sesi, lulus 1" in rekap and "Kearsipan: 2/3 ✅" in rekap


async def test_the_quiz_as_proof_and_its_last_chance(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="QZ-2", start=(9, 0), evaluation="tidak",
                            proof="kuis")
    await add_quiz(rt.sessions, sid, count=2)  # two questions: both must be right
    await add_person(rt.sessions, "805", nip=NIP, channel="console")
    budi = Chat(rt, "805", channel="console")
    clock.set(wib(MONDAY, 11, 0))
    intro = await budi.press(await budi.button_for(sid))
    assert "lulus bila benar 2" in text_of(intro)
    assert await attendance_rows(rt.sessions) == []
    q1 = await budi.press(_data(intro, "📝 Mulai kuis"))
    result = await budi.press(_data(await budi.press(_data(q1, "B")), "A"))  # 1 of 2
    assert "Belum lulus" in text_of(result)
    retry = await budi.press(_data(result, "🔁 Coba lagi"))
    last = await budi.press(_data(await budi.press(_data(retry, "A")), "C"))
    assert "Kesempatan mengulang sudah dipakai" in text_of(last)
    assert "Kehadiran belum dapat dicatat" in text_of(last)
    assert await attendance_rows(rt.sessions) == []
    clock.set(wib(MONDAY + timedelta(days=1), 9, 0))  # attendance closed: so is the quiz
    assert "sudah ditutup" in text_of(await budi.press(_data(intro, "📝 Mulai kuis")))


def test_a_week_without_sessions_does_not_break_the_streak() -> None:
    weeks = [MONDAY - timedelta(weeks=n) for n in range(5)]  # Mondays, this week first
    held = {weeks[0], weeks[1], weeks[3], weeks[4]}  # no session at all in weeks[2]
    assert week_streak(held, {weeks[1], weeks[3], weeks[4]}, MONDAY) == 3  # this week open
    assert week_streak(held, {weeks[0], weeks[1], weeks[3]}, MONDAY) == 3
    assert week_streak(held, {weeks[0], weeks[3], weeks[4]}, MONDAY) == 1  # missed weeks[1]
    assert week_streak(set(), set(), date(2026, 1, 5)) == 0


async def test_on_telegram_the_press_is_a_toast_and_the_edit_an_outbox_row(
    rt: Runtime, clock: FixedClock
) -> None:
    """A webinar's peak must not wait for its own edits: they are paced by the outbox."""
    sid = await add_session(rt.sessions, code="EV-9", start=(9, 0), title="Arsip")
    await add_person(rt.sessions, "809", nip=NIP)
    siti = Chat(rt, "809")
    clock.set(wib(MONDAY, 11, 0))
    press = Incoming("telegram", "809", "809", callback=await siti.button_for(sid),
                     callback_id="q9", message_id="4242")
    [answer] = await rt.dispatcher.handle(press)
    assert answer.notice_only and answer.notice is not None
    assert answer.notice.startswith("✅ Kehadiran tercatat (11.00 WIB)")
    async with rt.sessions() as s:
        [row] = list(await s.scalars(select(OutboxMessage)))
        body = (await s.get(OutboxPayload, row.payload_id)).body  # type: ignore[union-attr]
    assert (row.kind, row.priority, row.chat_id) == ("reply", 0, "809")
    edit = Reply.from_dict(body)
    assert edit.edit_message_id == "4242" and "Evaluasi singkat</b> (1/3)" in edit.text
    assert [b.label for b in edit.buttons[0]] == ["1", "2", "3", "4", "5"]
    # The same press again (Telegram re-delivers): no second edit row.
    await rt.dispatcher.handle(press)
    async with rt.sessions() as s:
        assert len(list(await s.scalars(select(OutboxMessage)))) == 1
