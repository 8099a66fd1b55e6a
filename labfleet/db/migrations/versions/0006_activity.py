"""activity samples, rounds and decayed weights

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_activity_rounds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("taken", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
    )
    op.create_table(
        "labfleet_activity_samples",
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("labfleet_activity_rounds.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )
    op.create_table(
        "labfleet_activity_weights",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("weight", sa.Float(), nullable=False),
    )
    op.create_table(
        "labfleet_activity_totals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "labfleet_activity_totals",
        "labfleet_activity_weights",
        "labfleet_activity_samples",
        "labfleet_activity_rounds",
    ):
        op.drop_table(table)
