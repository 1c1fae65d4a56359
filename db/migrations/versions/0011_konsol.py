"""konsol: tables for issue 15 (the konsol: login links, sessions, versions).

Revision ID: 0011
Revises: 0010

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
