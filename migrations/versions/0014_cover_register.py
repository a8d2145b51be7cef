"""cover register: each trust's agreed minimum safe cover per service, grade and shift

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cover_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trust_code", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("service_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("shift", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("minimum_doctors", sa.Integer(), nullable=False),
        sa.Column("expected_cover", sa.Integer(), nullable=False),
        sa.Column("agreed_with", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["trust_code"], ["trust.ods_code"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trust_code", "service_key", "grade", "shift", name="uq_cover_line"),
    )


def downgrade() -> None:
    op.drop_table("cover_line")
