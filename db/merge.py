"""Merge two people into one: every row that belonged to the dropped person moves over.

Which rows belong to a person is found in the metadata (every column with a foreign key
to `people.id`), so a feature's new table is merged without anyone remembering to list
it; `register_person_table` adds columns that carry a person id without a foreign key.
Where a uniqueness rule would break (both people confirmed attendance of one session),
the kept person's row stays and the dropped one's duplicate goes: nothing that only the
dropped person had is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import (
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    delete,
    exists,
    update,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import TableClause

from db.base import Base
from db.engine import rows_touched

__all__ = ["PERSON_TABLES", "PersonColumn", "merge_people", "person_columns",
           "register_person_table"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersonColumn:
    """A column that holds a person id, and the uniqueness rules it takes part in.

    Each rule lists the *other* columns of a unique key that includes this column
    (`()` when the column alone is unique, as in one conversation state per person).
    """

    table: str
    column: str
    unique_with: tuple[tuple[str, ...], ...] = ()


# Columns registered by hand, by (table, column): person ids kept without a foreign key.
PERSON_TABLES: dict[tuple[str, str], PersonColumn] = {}


def register_person_table(
    table: str, column: str = "person_id", *, unique_with: tuple[tuple[str, ...], ...] = ()
) -> None:
    """Have `merge_people` re-point `table.column` too (its foreign key may be missing)."""
    PERSON_TABLES[(table, column)] = PersonColumn(table, column, unique_with)


def _unique_rules(table: Table, column: str) -> tuple[tuple[str, ...], ...]:
    keys: list[tuple[str, ...]] = []
    for cons in table.constraints:
        if isinstance(cons, UniqueConstraint | PrimaryKeyConstraint):
            keys.append(tuple(c.name for c in cons.columns))
    for index in table.indexes:
        if isinstance(index, Index) and index.unique:
            keys.append(tuple(c.name for c in index.columns if hasattr(c, "name")))
    for col in table.columns:
        if col.unique:
            keys.append((col.name,))
    return tuple(tuple(k for k in key if k != column) for key in keys if column in key)


def person_columns(metadata: MetaData | None = None) -> list[PersonColumn]:
    """Every column holding a person id: found by foreign key, plus the registered ones."""
    metadata = metadata or Base.metadata
    found: dict[tuple[str, str], PersonColumn] = {}
    for table in metadata.sorted_tables:
        if table.name == "people":
            continue
        for col in table.columns:
            if any(fk.column.table.name == "people" for fk in col.foreign_keys):
                found[(table.name, col.name)] = PersonColumn(
                    table.name, col.name, _unique_rules(table, col.name)
                )
    found.update(PERSON_TABLES)
    return list(found.values())


def _table(pc: PersonColumn, metadata: MetaData) -> Table | TableClause:
    if pc.table in metadata.tables:
        return metadata.tables[pc.table]
    names = {pc.column, *(c for rule in pc.unique_with for c in rule)}
    return sa_table(pc.table, *(sa_column(n) for n in sorted(names)))


async def merge_people(
    s: AsyncSession, keep_id: int, drop_id: int, *, metadata: MetaData | None = None
) -> dict[str, int]:
    """Move everything of person `drop_id` to `keep_id`, then delete `drop_id`.

    Returns how many rows moved per "table.column". Runs inside the caller's unit of
    work; flush ORM changes first, and do not use the dropped person's objects after.
    """
    if keep_id == drop_id:
        raise ValueError("cannot merge a person into themselves")
    metadata = metadata or Base.metadata
    moved: dict[str, int] = {}
    for pc in person_columns(metadata):
        t = _table(pc, metadata)
        col = t.c[pc.column]
        for others in pc.unique_with:
            other = t.alias("kept")
            clash = exists().where(
                other.c[pc.column] == keep_id, *(other.c[o] == t.c[o] for o in others)
            )
            await s.execute(
                delete(t).where(col == drop_id, clash).execution_options(
                    synchronize_session=False
                )
            )
        result = await s.execute(
            update(t).where(col == drop_id).values({pc.column: keep_id}).execution_options(
                synchronize_session=False
            )
        )
        count = rows_touched(result)
        if count:
            moved[f"{pc.table}.{pc.column}"] = count
    people = metadata.tables["people"]
    await s.execute(delete(people).where(people.c.id == drop_id))
    log.info("merged person %d into %d: %s", drop_id, keep_id, moved or "nothing to move")
    return moved
