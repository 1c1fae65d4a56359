"""Erasure (UU PDP): erase a person everywhere, and reword what told admins about them.
The chat's /hapusdata and the konsol's erasure both go through `erase_everywhere`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import Signer
from core.outbox import payload_body, store_payload
from db.erasure import ERASED_QUESTION, erase_person, notice_rows, replace_bodies
from db.models import Person, Question
from handlers.questions import ANONYMOUS, notice_reply
from handlers.router import Context

__all__ = ["erase", "erase_everywhere"]


async def erase_everywhere(db: AsyncSession, signer: Signer, person: Person,
                           now: datetime) -> None:
    """Erase `person`: their data, their messages still to be sent, and their name in the
    notices that told the admins about their questions."""
    erased = await erase_person(db, person, now)
    for question_id in erased.described:
        q = await db.get(Question, question_id)
        rows = await notice_rows(db, question_id)
        if q is None or not rows:
            continue
        body = payload_body(notice_reply(signer, q, ANONYMOUS))
        payload_id = await store_payload(db, body, now=now)
        # Nobody is left to answer: admins not yet told need not be.
        await replace_bodies(db, rows, payload_id, drop_pending=q.status == ERASED_QUESTION)


async def erase(ctx: Context) -> None:
    """Erase the person who wrote (/hapusdata)."""
    await erase_everywhere(ctx.db, ctx.deps.signer, ctx.person, ctx.now)
