"""the live state proven against its audit history: the replay's bookmark and states; a bypass recall's reference

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "derogation_request", sa.Column("bypass_ref", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
    )
    op.create_index("ix_derogation_request_bypass_ref", "derogation_request", ["bypass_ref"], unique=True)
    op.create_table(
        "integrity_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("full_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("alarm_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("anchor_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "replayed_state",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "entity_id"),
    )


def downgrade() -> None:
    op.drop_table("replayed_state")
    op.drop_table("integrity_check")
    op.drop_index("ix_derogation_request_bypass_ref", table_name="derogation_request")
    op.drop_column("derogation_request", "bypass_ref")
