"""failed logins by name and source: a source that fails too often is locked out of that
name alone (the counts by name alone go: every account is unlocked once)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_failed_logins",
        sa.Column("username", sa.String(255), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_labfleet_failed_logins_last_failure", "labfleet_failed_logins", ["last_failure"]
    )
    with op.batch_alter_table("labfleet_accounts") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("last_failed_login")


def downgrade() -> None:
    with op.batch_alter_table("labfleet_accounts") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_failed_login", sa.DateTime(timezone=True)))
    op.drop_table("labfleet_failed_logins")
