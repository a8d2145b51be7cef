"""reasons for declines, returns and revocations; the failsafe bypass

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BYPASS_COLUMNS = (
    sa.Column("bypass_recalled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column("bypass_doctors", sa.Integer(), nullable=True),
    sa.Column("bypass_grades", sa.JSON(), nullable=True),
    sa.Column("bypass_declared_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=""),
    sa.Column("bypass_recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column("bypass_stood_down_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column("bypass_review", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column("bypass_review_reasons", sa.JSON(), nullable=True),
    sa.Column("bypass_reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
)


def _request_tally(with_bypass: bool) -> None:
    keys = ["strike_period_id", "region_code", "category", "status", "current_tier", "mass_casualty"]
    columns = [
        sa.Column("strike_period_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("current_tier", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("mass_casualty", sa.Boolean(), nullable=False),
    ]
    if with_bypass:
        keys.append("bypass")
        columns.append(sa.Column("bypass", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False))
    columns += [
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("doctors_requested", sa.Integer(), nullable=False),
        sa.Column("approved_doctors", sa.Integer(), nullable=False),
    ]
    if with_bypass:
        columns.append(sa.Column("bypass_doctors", sa.Integer(), nullable=False))
    op.create_table(
        "request_tally",
        *columns,
        sa.ForeignKeyConstraint(["region_code"], ["region.code"]),
        sa.ForeignKeyConstraint(["strike_period_id"], ["strike_period.id"]),
        sa.PrimaryKeyConstraint(*keys),
    )
    # Count the requests already there (written out here, not imported: a migration must not change
    # when the application's code does). No request has a bypass yet when this runs upwards.
    bypass_key, bypass_sum = (", bypass", ", bypass_doctors") if with_bypass else ("", "")
    bypass_value, bypass_total = (", ''", ", 0") if with_bypass else ("", "")
    op.execute(
        f"""
        INSERT INTO request_tally (strike_period_id, region_code, category, status, current_tier, mass_casualty
                                   {bypass_key}, requests, doctors_requested, approved_doctors {bypass_sum})
        SELECT strike_period_id, region_code, category, status, COALESCE(current_tier, ''), mass_casualty
               {bypass_value}, COUNT(*), COALESCE(SUM(doctors_requested), 0), COALESCE(SUM(approved_doctors), 0)
               {bypass_total}
        FROM derogation_request
        WHERE status != 'draft' AND strike_period_id IS NOT NULL
        GROUP BY strike_period_id, region_code, category, status, COALESCE(current_tier, ''), mass_casualty
        """
    )


def upgrade() -> None:
    for column in BYPASS_COLUMNS:
        op.add_column("derogation_request", column)
    op.create_index("ix_derogation_request_bypass_recorded_at", "derogation_request", ["bypass_recorded_at"])
    op.create_table(
        "request_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("by_tier", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("doctors_requested", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["audit_event_id"], ["audit_event.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["derogation_request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_reason_request_id", "request_reason", ["request_id"])
    op.create_index("ix_request_reason_reason", "request_reason", ["reason", "request_id"])
    op.create_table(
        "reason_tally",
        sa.Column("strike_period_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("by_tier", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("doctors_requested", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"]),
        sa.ForeignKeyConstraint(["strike_period_id"], ["strike_period.id"]),
        sa.PrimaryKeyConstraint("strike_period_id", "region_code", "action", "by_tier", "reason"),
    )
    # The dashboard's tally gains the bypass as a key: counted afresh (no request has one yet).
    op.drop_table("request_tally")
    _request_tally(with_bypass=True)


def downgrade() -> None:
    op.drop_table("request_tally")
    _request_tally(with_bypass=False)
    op.drop_table("reason_tally")
    op.drop_index("ix_request_reason_reason", table_name="request_reason")
    op.drop_index("ix_request_reason_request_id", table_name="request_reason")
    op.drop_table("request_reason")
    op.drop_index("ix_derogation_request_bypass_recorded_at", table_name="derogation_request")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch copy of this table would have to
    # drop it, which the foreign keys of every table referring to it refuse.
    for column in reversed(BYPASS_COLUMNS):
        op.drop_column("derogation_request", column.name)
