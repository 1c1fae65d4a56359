"""conversation: tables for issue 13 (a conversation that understands people).

Revision ID: 0009
Revises: 0008

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
