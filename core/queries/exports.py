"""CSV downloads of the dashboard's filtered list and its audit history, read in batches; a cell that
a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sqlmodel import col, select

from core import audit
from core.clock import utcnow
from core.db import read_session
from core.models import AuditEvent, DerogationRequest, Trust, User
from core.queries.dashboard import OUTCOME_LABELS, ListFilters, list_condition, outcome_sql
from core.spreadsheet import defuse

Req = DerogationRequest

# ---------------------------------------------------------------- CSV downloads

EXPORT_BATCH = 1000


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, (list, dict)):
        value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return defuse(value) if isinstance(value, str) else value


def _csv(header: list[str], rows: Iterator[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


REQUEST_EXPORT_FIELDS = [
    "id",
    "status",
    "current_tier",
    "trust_code",
    "region_code",
    "site",
    "service",
    "ward",
    "category",
    "priority",
    "mass_casualty",
    "patients_affected",
    "doctors_on_duty",
    "minimum_safe_doctors",
    "doctors_requested",
    "grades_requested",
    "window_start",
    "window_end",
    "decision_needed_by",
    "submitted_at",
    "tier_entered_at",
    "escalated_to_bma_at",
    "decided_at",
    "closed_at",
    "approved_doctors",
    "approved_grades",
    "approved_window_start",
    "approved_window_end",
    "approved_scope",
    "confirmation_ref",
    "revoked_at",
]


def requests_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """The filtered list as CSV (every matching row, read in batches; times in UTC ISO 8601)."""
    now = now or utcnow()
    where = list_condition(user, period_id, filters, now)
    with read_session() as session:
        outcome = outcome_sql(now)
        query = (
            select(Req, outcome, Trust.name)
            .join(Trust, col(Trust.ods_code) == Req.trust_code)
            .where(where)
            .order_by(Req.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        rows = (
            [getattr(r, name) for name in REQUEST_EXPORT_FIELDS[:4]]
            + [trust]
            + [getattr(r, name) for name in REQUEST_EXPORT_FIELDS[4:]]
            + [OUTCOME_LABELS.get(o, o)]
            for r, o, trust in session.exec(query)
        )
        header = REQUEST_EXPORT_FIELDS[:4] + ["trust_name"] + REQUEST_EXPORT_FIELDS[4:] + ["outcome"]
        return _csv(header, rows)


def audit_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """Every audit row of the filtered requests, oldest first, in the audit export's format: each row's
    hash can be re-checked outside the system (docs/audit-chain.md, scripts/verify_audit_csv.py)."""
    now = now or utcnow()
    where = list_condition(user, period_id, filters, now)
    with read_session() as session:
        query = (
            select(AuditEvent)
            .join(Req, col(Req.id) == AuditEvent.request_id)
            .where(where)
            .order_by(AuditEvent.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        out = io.StringIO(newline="")
        audit.write_csv(session.exec(query), out)
        return out.getvalue()
