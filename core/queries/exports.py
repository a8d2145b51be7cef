"""CSV downloads of the dashboard's filtered list and its audit history, read in batches; a cell that
a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from core.enums import Action, BypassReviewReason, LabelledEnum, Reason, Tier
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


def csv_text(header: list[str], rows: Iterator[Iterable[object]]) -> str:
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


def _label(values: Iterable[str], words: type[LabelledEnum]) -> str:
    """Enum values in words, in the members' order, each once."""
    chosen = set(values)
    return "; ".join(member.label for member in words if member.value in chosen)


def _reasons_of(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
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
        | {field: _label(values, Reason) for field, values in fields.items()}
        for request_id, fields in found.items()
    }


def request_header(facts: list[str]) -> list[str]:
    """The header of request_rows(facts): the facts with the trust's name after its code, then the rest."""
    at = facts.index("trust_code") + 1
    return [*facts[:at], "trust_name", *facts[at:], "outcome", *REASON_EXPORT_FIELDS, "bypass_review_findings"]


def request_rows(
    session: Session, where: ColumnElement[bool], facts: list[str], now: datetime
) -> Iterator[tuple[DerogationRequest, list[object]]]:
    """Each request matching `where` (read in batches, by id) with its cells under request_header(facts): the
    fields named in `facts`, its outcome at `now` in words, the reasons given and the bypass review's findings."""
    query = (
        select(DerogationRequest, outcome_sql(now), Trust.name)
        .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
        .where(where)
        .order_by(DerogationRequest.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    at = facts.index("trust_code") + 1
    for batch in _batches(session.exec(query), EXPORT_BATCH):
        reasons = _reasons_of(session, [request.id for request, _, _ in batch])
        for request, outcome, trust in batch:
            given = reasons.get(request.id, {})
            values = [getattr(request, name) for name in facts]
            yield (
                request,
                [
                    *values[:at],
                    trust,
                    *values[at:],
                    label_of(outcome),
                    *(given.get(name, "") for name in REASON_EXPORT_FIELDS),
                    _label(request.bypass_review_reasons or [], BypassReviewReason),
                ],
            )


def requests_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """The filtered list as CSV (every matching row, read in batches; times in UTC ISO 8601)."""
    now = now or utcnow()
    where = list_condition(user, period_id, filters, now)
    with read_session() as session:
        rows = (cells for _, cells in request_rows(session, where, REQUEST_EXPORT_FIELDS, now))
        return csv_text(request_header(REQUEST_EXPORT_FIELDS), rows)


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
