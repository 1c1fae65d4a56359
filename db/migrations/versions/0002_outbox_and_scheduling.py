"""outbox and scheduling: tables for issue 3 (outbox, nudges, calendar import).

Revision ID: 0002
Revises: 0001

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
