"""native accounts: forced password change, failed logins, sign-up time

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_accounts",
        sa.Column("username", sa.String(255), primary_key=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("last_failed_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_up", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("labfleet_accounts")
