"""request tally: running counts of submitted requests for the dashboard

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_tally",
        sa.Column("strike_period_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("current_tier", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("mass_casualty", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("doctors_requested", sa.Integer(), nullable=False),
        sa.Column("approved_doctors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"]),
        sa.ForeignKeyConstraint(["strike_period_id"], ["strike_period.id"]),
        sa.PrimaryKeyConstraint(
            "strike_period_id", "region_code", "category", "status", "current_tier", "mass_casualty"
        ),
    )
    # Count the requests already there (written out here, not imported: a migration must not change
    # when the application's code does).
    op.execute(
        """
        INSERT INTO request_tally (strike_period_id, region_code, category, status, current_tier, mass_casualty,
                                   requests, doctors_requested, approved_doctors)
        SELECT strike_period_id, region_code, category, status, COALESCE(current_tier, ''), mass_casualty,
               COUNT(*), COALESCE(SUM(doctors_requested), 0), COALESCE(SUM(approved_doctors), 0)
        FROM derogation_request
        WHERE status != 'draft' AND strike_period_id IS NOT NULL
        GROUP BY strike_period_id, region_code, category, status, COALESCE(current_tier, ''), mass_casualty
        """
    )


def downgrade() -> None:
    op.drop_table("request_tally")
