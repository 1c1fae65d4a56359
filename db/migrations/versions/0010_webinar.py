"""webinar: tables for issue 14 (the webinar moment: stored updates, flow control, leader).

Revision ID: 0010
Revises: 0009

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
