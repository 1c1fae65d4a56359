"""Lists a page at a time: the rows of one page and how many there are, both from SQL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["PAGE_SIZE", "AnySelect", "Page", "page_of"]

PAGE_SIZE = 25
T = TypeVar("T")
AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
"""A SELECT of any columns."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1), the page size and the total."""

    rows: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int:
        """The position (from 1) of the page's first row."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        """The position of the page's last row."""
        return self.first_index + len(self.rows) - 1 if self.rows else 0


async def page_of(
    db: AsyncSession, query: AnySelect, number: int, size: int = PAGE_SIZE, *,
    scalars: bool = False,
) -> Page[Any]:
    """Count `query`'s rows in SQL and fetch page `number` of them (ordered by the query;
    a number past the end gives the last page)."""
    total = int(await db.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, math.ceil(total / size))
    number = min(max(1, number), pages)
    paged = query.limit(size).offset((number - 1) * size)
    result = await db.execute(paged)
    rows: Sequence[Any] = list(result.scalars()) if scalars else list(result.all())
    return Page(rows, number, size, total)
