"""standing hand-outs: those whoever becomes a recipient later still gets, until withdrawn
(hand-outs made before stand no longer)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_standing_material",
        sa.Column(
            "material_id",
            sa.Integer(),
            sa.ForeignKey("labfleet_material.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("withdrawn", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(255), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("labfleet_standing_material")
