"""Erase what identifies a person (UU PDP, /hapusdata), in every table the bot writes it to.

The person's row stays, anonymous, so that what they did counts on (attendance, questions
asked); everything that names them, reaches them or quotes them goes. Repositories never
commit: this runs in the caller's unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.certificates import forget_holder
from db.erasures import log_erasure, person_subject
from db.learning import forget_answers
from db.models import (
    Admin,
    Announcement,
    AuditEntry,
    CodeFailure,
    ConversationState,
    FaqEntryRow,
    FaqLookup,
    Identity,
    InboxMessage,
    LinkAttempt,
    LinkCode,
    NudgePlan,
    OutboxMessage,
    OutboxPayload,
    Person,
    Question,
    QuestionAsker,
    QuestionNotice,
)

__all__ = [
    "ERASED_QUESTION",
    "Erased",
    "NoticeRow",
    "erase_person",
    "notice_rows",
    "person_ref",
    "replace_bodies",
]

ERASED_QUESTION = "erased"  # a question's status once no asker's data is left
_AUDITED = re.compile(r"^(?:person:\d+|NIP \d+)(, sesi [^:]*)?")


def person_ref(person_id: int) -> str:
    """How logs and audit entries name a person: by id only."""
    return f"person:{person_id}"


@dataclass
class Erased:
    """What the erasure left for the caller, who knows how those messages read."""

    # Questions whose notices to the admins named the person (they asked first).
    described: list[int] = field(default_factory=list)


async def _drop_unused_payloads(db: AsyncSession, ids: Collection[int]) -> None:
    if ids:
        await db.execute(delete(OutboxPayload).where(
            OutboxPayload.id.in_(list(ids)),
            ~exists().where(OutboxMessage.payload_id == OutboxPayload.id),
            ~exists().where(NudgePlan.payload_id == OutboxPayload.id),
        ))


async def _delete_outbox(db: AsyncSession, person_id: int, chats: Collection[tuple[str, str]]
                         ) -> None:
    """Rows addressed to the person, of every status (nothing pending is delivered), and the
    bodies only they were sent."""
    mine = or_(
        OutboxMessage.person_id == person_id,
        and_(OutboxMessage.person_id.is_(None),
             tuple_(OutboxMessage.channel, OutboxMessage.chat_id).in_(list(chats))),
    ) if chats else OutboxMessage.person_id == person_id
    payloads = set((await db.scalars(select(OutboxMessage.payload_id).where(mine))).all())
    await db.execute(delete(OutboxMessage).where(mine))
    await _drop_unused_payloads(db, payloads)


async def _questions(db: AsyncSession, person_id: int) -> list[int]:
    """Blank the person's askings; a question keeps the earliest remaining wording, or none
    is left. Returns the questions whose admin notices named them (they asked first)."""
    described: list[int] = []
    mine = list(await db.scalars(select(QuestionAsker).where(QuestionAsker.person_id == person_id)))
    for asker in mine:
        asker.text, asker.channel, asker.chat_id = "", "", ""
    await db.flush()
    for question_id in sorted({a.question_id for a in mine}):
        q = await db.get(Question, question_id)
        if q is None:
            continue
        askers = list(await db.scalars(
            select(QuestionAsker).where(QuestionAsker.question_id == question_id)
            .order_by(QuestionAsker.asked_at, QuestionAsker.id)))
        if askers and askers[0].person_id == person_id:
            described.append(question_id)
        remaining = [a for a in askers if a.person_id != person_id and a.text]
        if remaining:
            q.text = remaining[0].text
            continue
        q.text, q.key = "", ""
        if q.status == "open":
            q.status = ERASED_QUESTION
    return described


async def _audit(db: AsyncSession, person: Person, accounts: Collection[str]) -> None:
    """Entries about the person keep what was done, not why (the reason may name them);
    entries by the person name them by id."""
    ref = person_ref(person.id)
    about: ColumnElement[bool] = AuditEntry.detail.like(f"{ref},%")
    if person.nip:
        about = or_(about, AuditEntry.detail.like(f"%{person.nip}%"))
    for entry in await db.scalars(select(AuditEntry).where(about)):
        found = _AUDITED.match(entry.detail)
        where = (found.group(1) or "") if found else ""
        entry.detail = f"{ref}{where}: (keterangan dihapus bersama data peserta)"
    if accounts:
        await db.execute(update(AuditEntry).where(AuditEntry.actor.in_(list(accounts)))
                         .values(actor=ref))


async def _admin_traces(db: AsyncSession, person_id: int, accounts: Collection[str],
                        chats: Collection[tuple[str, str]]) -> None:
    """Where the person acted as an admin: name them by id, and forget their chats."""
    ref = person_ref(person_id)
    if accounts:
        names = list(accounts)
        for column in (Question.answered_by, Announcement.created_by, Announcement.stopped_by,
                       FaqEntryRow.updated_by, Admin.added_by):
            await db.execute(update(column.class_).where(column.in_(names))
                             .values({column.key: ref}))
        await db.execute(delete(Admin).where(
            (Admin.channel + ":" + Admin.external_id).in_(names)))
    if chats:
        pairs = list(chats)
        await db.execute(
            update(Announcement)
            .where(tuple_(Announcement.progress_channel, Announcement.progress_chat_id)
                   .in_(pairs))
            .values(progress_channel=None, progress_chat_id=None, progress_message_id=None))
        await db.execute(delete(QuestionNotice).where(
            tuple_(QuestionNotice.channel, QuestionNotice.chat_id).in_(pairs)))


async def erase_person(db: AsyncSession, person: Person, now: datetime) -> Erased:
    """Erase the person's data; keep the row (anonymous) so counts of what they did stay."""
    identities = list(await db.scalars(select(Identity).where(Identity.person_id == person.id)))
    chats = {(i.channel, i.chat_id) for i in identities}
    chats |= {(i.channel, i.external_id) for i in identities}
    accounts = {f"{i.channel}:{i.external_id}" for i in identities}
    externals = {i.external_id for i in identities}
    await _delete_outbox(db, person.id, chats)
    if externals:  # what they wrote on WhatsApp, once handled (open rows are in hand)
        await db.execute(
            update(InboxMessage)
            .where(InboxMessage.wa_id.in_(list(externals)),
                   InboxMessage.status.in_(("done", "failed")))
            .values(wa_id="", body={}, replies=None))
    erased = Erased(described=await _questions(db, person.id))
    await db.execute(update(FaqLookup).where(FaqLookup.person_id == person.id).values(text=""))
    await _audit(db, person, accounts)
    await _admin_traces(db, person.id, accounts, chats)
    await db.execute(delete(LinkCode).where(LinkCode.person_id == person.id))
    if identities:
        await db.execute(delete(LinkAttempt).where(
            LinkAttempt.identity_id.in_([i.id for i in identities])))
    await db.execute(delete(CodeFailure).where(CodeFailure.person_id == person.id))
    await db.execute(delete(ConversationState).where(ConversationState.person_id == person.id))
    await db.execute(delete(Identity).where(Identity.person_id == person.id))
    person.full_name = None
    person.nip = None
    person.instansi = None
    person.region_code = None
    person.subscribed = False
    person.registered_at = None
    person.consent_at = None
    person.erased_at = now
    person.preferences = {}
    person.preferred_channel = None
    # Certificates stay valid without their holder's name, NIP and instansi (the
    # verification page says "valid, holder's data erased"); no review is asked any more.
    await forget_holder(db, person.id, now)
    await forget_answers(db, person.id)
    # Logged as person:<id> only: a restore from an older backup erases them again.
    await log_erasure(db, person_subject(person.id), now)
    return erased


@dataclass(frozen=True)
class NoticeRow:
    """An outbox row that told an admin about a question."""

    outbox_id: int
    payload_id: int
    status: str


async def notice_rows(db: AsyncSession, question_id: int) -> list[NoticeRow]:
    """The outbox rows of a question's notices to the admins."""
    rows = await db.execute(
        select(OutboxMessage.id, OutboxMessage.payload_id, OutboxMessage.status)
        .join(QuestionNotice, QuestionNotice.outbox_id == OutboxMessage.id)
        .where(QuestionNotice.question_id == question_id)
    )
    return [NoticeRow(i, p, st) for i, p, st in rows.all()]


async def replace_bodies(db: AsyncSession, rows: Collection[NoticeRow], payload_id: int,
                         *, drop_pending: bool) -> None:
    """Point these rows at another body (the old one goes once unused); with `drop_pending`,
    rows not yet sent are not sent at all."""
    if drop_pending:
        pending = [r.outbox_id for r in rows if r.status == "pending"]
        if pending:
            await db.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(pending)))
    await db.execute(update(OutboxMessage)
                     .where(OutboxMessage.id.in_([r.outbox_id for r in rows]))
                     .values(payload_id=payload_id))
    await _drop_unused_payloads(db, {r.payload_id for r in rows} - {payload_id})
