"""db.erasure on both databases: what is deleted, what is blanked, what another person keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.outbox import enqueue
from core.types import Reply
from db.engine import Sessions
from db.erasure import ERASED_QUESTION, erase_person
from db.models import (
    Admin,
    Announcement,
    AuditEntry,
    Identity,
    InboxMessage,
    OutboxMessage,
    OutboxPayload,
    Person,
    Question,
    QuestionAsker,
    QuestionNotice,
)
from tests.handlers.attendance_helpers import add_person

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
WA = "6281298765432"


async def _world(sessions: Sessions) -> tuple[int, int]:
    """An admin-person (Telegram and WhatsApp) and another person, with traces of both."""
    me = await add_person(sessions, "7345123987", nip="198702152011011007",
                          name="Wiryawan Kusumadinata")
    other = await add_person(sessions, "7345000111", nip="199003122014022002", name="Ratna")
    async with sessions() as s, s.begin():
        s.add(Identity(person_id=me, channel="whatsapp", external_id=WA, chat_id=WA,
                       created_at=NOW))
        s.add(Admin(channel="telegram", external_id="7345123987", added_by="telegram:9001",
                    created_at=NOW))
        for pid, key in ((me, "mine"), (other, "theirs")):
            await enqueue(s, key=key, person_id=pid, channel="telegram",
                          chat_id=str(pid), kind="notice", reply=Reply(f"untuk {key}"), now=NOW)
        for pid, key in ((me, "shared:1"), (other, "shared:2")):
            await enqueue(s, key=key, person_id=pid, channel="telegram", chat_id=str(pid),
                          kind="menu", reply=Reply("menu bersama"), now=NOW)
        notice = await enqueue(s, key="notice-to-me", person_id=None, channel="telegram",
                               chat_id="7345123987", kind="question", reply=Reply("📨"), now=NOW)
        shared = Question(key="k", text="wording mine", status="open", created_at=NOW)
        alone = Question(key="k2", text="only mine", status="open", created_at=NOW)
        s.add_all([shared, alone])
        await s.flush()
        s.add_all([
            QuestionAsker(question_id=shared.id, person_id=me, text="wording mine",
                          channel="telegram", chat_id="7345123987", asked_at=NOW),
            QuestionAsker(question_id=shared.id, person_id=other, text="wording theirs",
                          channel="telegram", chat_id="7345000111", asked_at=NOW),
            QuestionAsker(question_id=alone.id, person_id=me, text="only mine",
                          channel="whatsapp", chat_id=WA, asked_at=NOW),
            QuestionNotice(question_id=shared.id, channel="telegram", chat_id="7345123987",
                           outbox_id=notice, created_at=NOW),
            AuditEntry(at=NOW, actor="telegram:7345123987", action="export", rows=1,
                       detail="presensi 2026-11-01..2026-11-30"),
            AuditEntry(at=NOW, actor="telegram:9001", action="correction_add", rows=1,
                       detail=f"person:{me}, sesi 3 X: Wiryawan hadir"),
            AuditEntry(at=NOW, actor="telegram:9001", action="correction_add", rows=1,
                       detail=f"person:{me}0, sesi 3 X: someone else"),
            Announcement(created_by="telegram:7345123987", created_at=NOW, updated_at=NOW,
                         text="Halo", segment={}, status="done", progress_channel="telegram",
                         progress_chat_id="7345123987", progress_message_id="5"),
            InboxMessage(wamid="wamid.A", wa_id=WA, body={"from": WA}, status="done",
                         received_at=NOW, replies=[{"text": "hi"}]),
        ])
    return me, other


async def test_erasure_deletes_and_blanks_only_the_persons_data(sessions: Sessions) -> None:
    me, other = await _world(sessions)
    async with sessions() as s, s.begin():
        person = await s.get(Person, me)
        assert person is not None
        erased = await erase_person(s, person, NOW)
    async with sessions() as s:
        rows = {m.idem_key: m for m in await s.scalars(select(OutboxMessage))}
        bodies = [p.body.get("text") for p in await s.scalars(select(OutboxPayload))]
        askers = {(a.person_id, a.question_id): a for a in await s.scalars(select(QuestionAsker))}
        questions = {q.text or q.status: q for q in await s.scalars(select(Question))}
        audit = {a.detail: a.actor for a in await s.scalars(select(AuditEntry))}
        ann = (await s.scalars(select(Announcement))).one()
        inbox = (await s.scalars(select(InboxMessage))).one()
        admins = list(await s.scalars(select(Admin)))
        notices = list(await s.scalars(select(QuestionNotice)))
        idents = list(await s.scalars(select(Identity)))
    assert sorted(rows) == ["shared:2", "theirs"]  # theirs stay, every row to me is gone
    assert sorted(b for b in bodies if b) == ["menu bersama", "untuk theirs"]
    assert [(a.text, a.channel, a.chat_id) for (p, _), a in askers.items() if p == me] == [
        ("", "", "")] * 2
    assert "wording theirs" in questions and questions[ERASED_QUESTION].text == ""
    # They asked both first: the notices about both named them.
    assert erased.described == sorted(q.id for q in questions.values())
    assert audit["presensi 2026-11-01..2026-11-30"] == f"person:{me}"
    assert f"person:{me}, sesi 3 X: (keterangan dihapus bersama data peserta)" in audit
    assert f"person:{me}0, sesi 3 X: someone else" in audit  # another person's entry
    assert ann.created_by == f"person:{me}" and ann.progress_chat_id is None
    assert (inbox.wa_id, inbox.body, inbox.replies) == ("", {}, None)
    assert admins == [] and notices == []
    assert [i.person_id for i in idents] == [other]
