"""trust: tables for issue 12 (trust: erasure, identities, start-up).

Revision ID: 0008
Revises: 0007

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
