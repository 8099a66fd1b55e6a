"""roster imports and what each made (users and groups), so that one can be undone

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_roster_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("undone", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_labfleet_roster_imports_created", "labfleet_roster_imports", ["created"])
    # a user or group deleted otherwise leaves the record of the import with it
    for table, column, target in (
        ("labfleet_roster_import_users", "user_id", "users.id"),
        ("labfleet_roster_import_groups", "group_id", "groups.id"),
    ):
        op.create_table(
            table,
            sa.Column(
                "import_id",
                sa.Integer(),
                sa.ForeignKey("labfleet_roster_imports.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column(
                column, sa.Integer(), sa.ForeignKey(target, ondelete="CASCADE"), primary_key=True
            ),
        )


def downgrade() -> None:
    op.drop_table("labfleet_roster_import_groups")
    op.drop_table("labfleet_roster_import_users")
    op.drop_table("labfleet_roster_imports")
