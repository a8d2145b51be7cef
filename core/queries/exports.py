"""CSV downloads of the dashboard's filtered list and its audit history, read in batches; a cell that
a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice

from sqlmodel import col, select

from core.enums import BYPASS_REVIEW_REASON_LABELS, REASON_LABELS, Action, Tier
from core.models import AuditEvent, DerogationRequest, RequestReason, Trust, User
from core.platform import spreadsheet
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.platform.spreadsheet import defuse
from core.queries.dashboard import ListFilters, list_condition
from core.records import audit
from core.request.outcomes import label_of, outcome_sql

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
    writer = spreadsheet.writer(out)
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
    "bypass_recalled_at",
    "bypass_doctors",
    "bypass_grades",
    "bypass_declared_by",
    "bypass_stood_down_at",
    "bypass_review",
]
# After the outcome: who declined and the reasons given (docs/rules.md rule 9), and the bypass review's findings.
REASON_EXPORT_FIELDS = ["declined_by", "decline_reasons", "return_reasons", "revocation_reasons"]
REASON_EXPORT_ACTIONS = {
    Action.DECLINE_CRITERIA.value: "decline_reasons",
    Action.DECLINE.value: "decline_reasons",
    Action.RETURN_FOR_INFO.value: "return_reasons",
    Action.REVOKE.value: "revocation_reasons",
}


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    """itertools.batched (Python 3.12) for 3.11."""
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _label(values: Iterable[str], labels: dict) -> str:
    """Enum values in words, in the list's order, each once."""
    known = {str(k): v for k, v in labels.items()}
    chosen = set(values)
    return "; ".join(text for value, text in known.items() if value in chosen)


def _reasons_of(session, ids: list[int]) -> dict[int, dict[str, str]]:
    """For each request: who declined it, and the reasons given with its declines, returns and revocations."""
    found: dict[int, dict[str, set[str]]] = {}
    declined_by: dict[int, str] = {}
    rows = session.exec(
        select(RequestReason.request_id, RequestReason.action, RequestReason.by_tier, RequestReason.reason)
        .where(col(RequestReason.request_id).in_(ids))
        .order_by(RequestReason.id)
    )
    for request_id, action, by_tier, reason in rows:
        field = REASON_EXPORT_ACTIONS.get(action)
        if field is None:
            continue
        found.setdefault(request_id, {}).setdefault(field, set()).add(reason)
        if field == "decline_reasons":
            declined_by[request_id] = Tier(by_tier).label if by_tier in set(Tier) else by_tier
    return {
        request_id: {"declined_by": declined_by.get(request_id, "")}
        | {field: _label(values, REASON_LABELS) for field, values in fields.items()}
        for request_id, fields in found.items()
    }


def requests_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """The filtered list as CSV (every matching row, read in batches; times in UTC ISO 8601)."""
    now = now or utcnow()
    where = list_condition(user, period_id, filters, now)
    with read_session() as session:
        outcome = outcome_sql(now)
        query = (
            select(DerogationRequest, outcome, Trust.name)
            .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
            .where(where)
            .order_by(DerogationRequest.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )

        def rows() -> Iterator[list[object]]:
            for batch in _batches(session.exec(query), EXPORT_BATCH):
                reasons = _reasons_of(session, [r.id for r, _, _ in batch])
                for r, o, trust in batch:
                    given = reasons.get(r.id, {})
                    findings = _label(r.bypass_review_reasons or [], BYPASS_REVIEW_REASON_LABELS)
                    yield (
                        [getattr(r, name) for name in REQUEST_EXPORT_FIELDS[:4]]
                        + [trust]
                        + [getattr(r, name) for name in REQUEST_EXPORT_FIELDS[4:]]
                        + [label_of(o)]
                        + [given.get(name, "") for name in REASON_EXPORT_FIELDS]
                        + [findings]
                    )

        header = REQUEST_EXPORT_FIELDS[:4] + ["trust_name"] + REQUEST_EXPORT_FIELDS[4:] + ["outcome"]
        return _csv(header + REASON_EXPORT_FIELDS + ["bypass_review_findings"], rows())


def audit_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """Every audit row of the filtered requests, oldest first, in the audit export's format: each row's
    hash can be re-checked outside the system (docs/audit-chain.md, scripts/verify_audit_csv.py)."""
    now = now or utcnow()
    where = list_condition(user, period_id, filters, now)
    with read_session() as session:
        query = (
            select(AuditEvent)
            .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
            .where(where)
            .order_by(AuditEvent.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        out = io.StringIO(newline="")
        audit.write_csv(session.exec(query), out)
        return out.getvalue()
