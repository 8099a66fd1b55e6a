"""session extensions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_session_extensions",
        sa.Column("username", sa.String(255), primary_key=True),
        sa.Column("server_started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("labfleet_session_extensions")
