"""After a FAQ file import in chat: remove the entries the file lacked, only once confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import esc
from core.types import Button, Reply
from db.models import AppMeta
from handlers.faq_entries import FaqFormatError
from handlers.faq_store import faq_version, remove_entries
from handlers.router import Context, Replies, Router

__all__ = ["FaqPrune", "offer_prune", "router"]

router = Router("faq-prune", admin=True)

SHOWN = 30  # ids listed in the chat; the rest are counted


@dataclass(frozen=True)
class FaqPrune(CallbackData):
    """The answer to "also remove the entries the file did not have?"."""

    prefix: ClassVar[str] = "fqx"
    version: int  # the FAQ's version the import left: a later change voids the button
    yes: bool


def _key(ctx: Context) -> str:
    return f"faq_prune:{ctx.person.id}"


def _ids(ids: list[str]) -> str:
    shown = ", ".join(f"<code>{esc(i)}</code>" for i in ids[:SHOWN])
    return shown + (f" dan {len(ids) - SHOWN} lainnya" if len(ids) > SHOWN else "")


async def offer_prune(ctx: Context, kept: list[str]) -> tuple[str, list[list[Button]]]:
    """The lines about the entries an import kept, and the button that removes them: it
    holds while the FAQ stays as this import left it."""
    row = await ctx.db.get(AppMeta, _key(ctx))
    if not kept:
        if row is not None:
            await ctx.db.delete(row)
        return "", []
    version = int(await faq_version(ctx.db))
    value = json.dumps({"version": version, "ids": kept})
    if row is None:
        ctx.db.add(AppMeta(key=_key(ctx), value=value))
    else:
        row.value = value
    text = (
        f"\n\n{len(kept)} entri yang tidak ada di berkas <b>tetap disimpan</b>: {_ids(kept)}.\n"
        "Jika FAQ harus persis seperti berkas, tekan tombol di bawah untuk menghapusnya."
    )
    buttons = [[ctx.button(f"🗑 Hapus {len(kept)} entri itu", FaqPrune(version, True)),
                ctx.button("Biarkan", FaqPrune(version, False))]]
    return text, buttons


@router.callback(FaqPrune)
async def prune(ctx: Context, data: FaqPrune) -> Replies:
    """Remove the entries the last imported file lacked (or leave them)."""
    row = await ctx.db.get(AppMeta, _key(ctx))
    pending = json.loads(row.value) if row is not None else {}
    if row is None or pending.get("version") != data.version:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    await ctx.db.delete(row)
    if not data.yes:
        return Reply("Baik, entri yang tidak ada di berkas tetap disimpan.")
    if str(data.version) != await faq_version(ctx.db):
        return Reply("FAQ telah berubah sejak berkas diimpor, jadi tidak ada yang dihapus. "
                     "Kirim ulang berkasnya bila perlu.")
    try:
        removed = await remove_entries(ctx.db, [str(i) for i in pending.get("ids", [])])
    except FaqFormatError:
        return Reply("FAQ harus menyisakan setidaknya satu entri; tidak ada yang dihapus.")
    if not removed:
        return Reply("Entri tersebut sudah tidak ada; tidak ada yang dihapus.")
    return Reply(f"🗑 {len(removed)} entri dihapus: {_ids(removed)}.\nFAQ kini persis seperti "
                 "berkas yang diimpor.")
