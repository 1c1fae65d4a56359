"""Audit entries name people by id (person:<id>); who that is, is looked up when shown."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person

__all__ = ["with_names"]

_REF = re.compile(r"\bperson:(\d+)\b")


async def with_names(db: AsyncSession, texts: Sequence[str]) -> list[str]:
    """`texts` with each person:<id> followed by the person's name now (or that their data
    was erased): the log itself never holds a name or a NIP."""
    ids = {int(m.group(1)) for t in texts for m in _REF.finditer(t)}
    if not ids:
        return list(texts)
    rows = await db.execute(select(Person.id, Person.full_name, Person.erased_at)
                            .where(Person.id.in_(ids)))
    names = {pid: ("data dihapus" if erased else name or "tanpa nama")
             for pid, name, erased in rows.all()}

    def named(m: re.Match[str]) -> str:
        return f"{m.group(0)} ({names.get(int(m.group(1)), 'tidak dikenal')})"

    return [_REF.sub(named, t) for t in texts]
