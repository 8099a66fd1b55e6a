"""workshop events, handed-out material and where it arrived

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labfleet_workshop_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False, index=True),
        sa.Column("username", sa.String(255), nullable=False, index=True),
        sa.Column("filename", sa.String(255), nullable=False, index=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("omitted", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_cell", sa.Integer(), nullable=True),
    )
    op.create_table(
        "labfleet_material",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=False),
    )
    op.create_table(
        "labfleet_material_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "material_id",
            sa.Integer(),
            sa.ForeignKey("labfleet_material.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("username", sa.String(255), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("labfleet_material_results")
    op.drop_table("labfleet_material")
    op.drop_table("labfleet_workshop_events")
