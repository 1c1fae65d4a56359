"""/hapusdata's work: erase the person everywhere, and reword what told admins about them."""

from __future__ import annotations

from core.outbox import payload_body, store_payload
from db.erasure import ERASED_QUESTION, erase_person, notice_rows, replace_bodies
from db.models import Question
from handlers.questions import ANONYMOUS, notice_reply
from handlers.router import Context

__all__ = ["erase"]


async def erase(ctx: Context) -> None:
    """Erase the person who wrote (UU PDP): their data, their messages still to be sent, and
    their name in the notices that told the admins about their questions."""
    erased = await erase_person(ctx.db, ctx.person, ctx.now)
    for question_id in erased.described:
        q = await ctx.db.get(Question, question_id)
        rows = await notice_rows(ctx.db, question_id)
        if q is None or not rows:
            continue
        body = payload_body(notice_reply(ctx, q, ANONYMOUS))
        payload_id = await store_payload(ctx.db, body, now=ctx.now)
        # Nobody is left to answer: admins not yet told need not be.
        await replace_bodies(ctx.db, rows, payload_id,
                             drop_pending=q.status == ERASED_QUESTION)
