"""audit events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    for column in ("timestamp", "action", "target"):
        op.create_index(f"ix_labfleet_audit_events_{column}", "labfleet_audit_events", [column])


def downgrade() -> None:
    op.drop_table("labfleet_audit_events")
