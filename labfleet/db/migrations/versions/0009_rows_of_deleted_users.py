"""forget the rows that users deleted before kept under their name

Before one owner deleted a user's rows (labfleet.db.user_rows), a deleted user's saves,
hand-out results, broadcast results and session extensions stayed, and a new user of the
same name inherited them.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = (
    "labfleet_workshop_events",
    "labfleet_material_results",
    "labfleet_broadcast_results",
    "labfleet_session_extensions",
)


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"delete from {table} where username not in (select name from users)")


def downgrade() -> None:
    """Nothing to restore."""
