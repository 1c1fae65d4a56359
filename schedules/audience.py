"""Who receives a scheduled message: people and the one chat each is reached on, as SQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from db.models.people import Identity, Person

__all__ = ["Want", "recipients", "wants_clause"]

Want = Literal["menu", "reminder"]


def wants_clause(want: Want | None, programme_key: str | None) -> list[ColumnElement[bool]]:
    """Conditions on Person.preferences: the nudge is wanted and the programme not muted.

    Portable between SQLite and PostgreSQL: a missing flag means yes; a muted programme
    key appears quoted in the JSON list, so a LIKE finds it (keys are plain slugs).
    """
    conds: list[ColumnElement[bool]] = []
    if want is not None:
        flag = Person.preferences[want].as_boolean()
        conds.append(or_(flag.is_(None), flag == True))  # noqa: E712  (SQL, not Python)
    if programme_key is not None:
        muted = func.coalesce(Person.preferences["muted"].as_string(), "")
        conds.append(muted.not_like(f'%"{programme_key}"%'))
    return conds


def recipients(
    channels: Collection[str],
    *,
    zone: str | None = None,
    want: Want | None = None,
    programme_key: str | None = None,
    extra: Collection[ColumnElement[bool]] = (),
    subscribed_only: bool = True,
) -> Select[int, str, str]:
    """SELECT person id, channel, chat id of everyone who should get a scheduled message.

    Only registered, subscribed, reachable, not erased people; one chat per person:
    their preferred channel if they have an identity there, else the one they wrote
    from last. `channels` limits to channels the bot can deliver on. With
    `subscribed_only=False`, people who stopped the daily nudges are included too (what
    they earned, such as a certificate, still reaches them).
    """
    # SQLite cannot see the outer row in a subquery's ORDER BY, hence two lookups.
    mine = (Identity.person_id == Person.id) & Identity.channel.in_(list(channels))
    preferred = (
        select(Identity.id).where(mine, Identity.channel == Person.preferred_channel)
        .limit(1).correlate(Person).scalar_subquery()
    )
    latest = (
        select(Identity.id).where(mine)
        .order_by(Identity.last_inbound_at.desc().nulls_last(), Identity.id.desc())
        .limit(1).correlate(Person).scalar_subquery()
    )
    chosen = func.coalesce(preferred, latest)
    stmt = (
        select(Person.id, Identity.channel, Identity.chat_id)
        .select_from(Person)
        .join(Identity, Identity.id == chosen)
        .where(
            Person.registered_at.is_not(None),
            *([Person.subscribed.is_(True)] if subscribed_only else []),
            Person.reachable.is_(True),
            Person.erased_at.is_(None),
            *wants_clause(want, programme_key),
            *extra,
        )
    )
    if zone is not None:
        stmt = stmt.where(Person.tz == zone)
    return stmt
