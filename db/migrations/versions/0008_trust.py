"""trust: no schema change; data that identified people where it should not (issue 12).

Revision ID: 0008
Revises: 0007

- A NIP typed during an unfinished registration waits in the conversation until the
  registration completes (handlers/registration_nip.py): move the NIPs unfinished
  registrations hold today there, and free those of registrations that were abandoned.
- Audit entries name people as person:<id>, not by NIP: rewrite the corrections' details.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

people = sa.table(
    "people", sa.column("id", sa.Integer), sa.column("nip", sa.String),
    sa.column("registered_at", sa.DateTime),
)
states = sa.table(
    "conversation_states", sa.column("person_id", sa.Integer), sa.column("flow", sa.String),
    sa.column("data", sa.JSON),
)
audit = sa.table("attendance_audit", sa.column("id", sa.Integer), sa.column("detail", sa.Text))
_NIP_DETAIL = re.compile(r"^NIP (\d{18})(,.*)$", re.DOTALL)


def _unfinished_nips(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.select(people.c.id, people.c.nip, states.c.data)
        .select_from(people.outerjoin(states, sa.and_(states.c.person_id == people.c.id,
                                                      states.c.flow == "registration")))
        .where(people.c.registered_at.is_(None), people.c.nip.is_not(None))
    ).all()
    for person_id, nip, data in rows:
        if data is not None:
            conn.execute(states.update().where(states.c.person_id == person_id)
                         .values(data={**dict(data), "nip": nip}))
        conn.execute(people.update().where(people.c.id == person_id).values(nip=None))


def _audit_by_id(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.select(audit.c.id, audit.c.detail).where(audit.c.detail.like("NIP %"))
    ).all()
    for entry_id, detail in rows:
        found = _NIP_DETAIL.match(detail or "")
        if found is None:
            continue
        person = conn.execute(sa.select(people.c.id).where(people.c.nip == found.group(1))
                              ).scalar()
        who = f"person:{person}" if person is not None else "person:?"
        conn.execute(audit.update().where(audit.c.id == entry_id)
                     .values(detail=who + found.group(2)))


def upgrade() -> None:
    conn = op.get_bind()
    _unfinished_nips(conn)
    _audit_by_id(conn)


def downgrade() -> None:
    pass  # the data stays in its new, safer place
