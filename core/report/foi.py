"""The freedom-of-information export: every submitted request of one strike period with no personal data
(no names, roles, phone numbers or e-mail addresses of anyone, no confirmation references) and no free
text, only whether the request holds any. Each cell safe to open in a spreadsheet (core.platform.spreadsheet).
For the national MDT (a download on the post-strike report) and the command line (`python -m ops
foi-export`); docs/privacy.md says why each column may be published."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlmodel import col, select

from core.enums import BYPASS_REVIEW_REASON_LABELS, Role
from core.models import DerogationRequest, StrikePeriod, Trust, User
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.platform.errors import NotFound, PermissionDenied
from core.platform.input_checks import DB_INT_MAX, whole
from core.queries.exports import EXPORT_BATCH, REASON_EXPORT_FIELDS, _batches, _csv, _label, _reasons_of
from core.request.form import SHAPED, TEXT_FIELDS
from core.request.outcomes import label_of, outcome_sql

# Facts about the request, the decision and the bypass: organisations, categories, counts, grades, times.
FACTS = [
    "id",
    "trust_code",
    "region_code",
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
    "escalated_to_bma_at",
    "decided_at",
    "closed_at",
    "approved_doctors",
    "approved_grades",
    "approved_window_start",
    "approved_window_end",
    "revoked_at",
    "bypass_recalled_at",
    "bypass_doctors",
    "bypass_grades",
    "bypass_stood_down_at",
    "bypass_review",
]
# Typed by people, so it may hold anything (a name, a patient): never written, only whether there is any.
FREE_TEXT = (
    *(name for name in TEXT_FIELDS if name not in SHAPED and not name.startswith("contact_")),
    "approved_scope",
    "revoke_reason",
    "harm_report",
    "bypass_declared_by",
)
HEADER = [*FACTS[:2], "trust_name", *FACTS[2:], "outcome", *REASON_EXPORT_FIELDS, "bypass_review_findings"]
HEADER.append("has_free_text")


def _has_free_text(request: DerogationRequest) -> str:
    notes = any(str(entry.get("note", "")).strip() for entry in request.mitigations.values())
    return "yes" if notes or any(getattr(request, name).strip() for name in FREE_TEXT) else "no"


def foi_csv(user: User | None, period_id: object, now: datetime | None = None) -> bytes:
    """The period's submitted requests as CSV (UTF-8 with a byte-order mark, times in UTC). `user` is the
    national MDT's account as it is now; None is the command line, run by whoever runs the server."""
    if user is not None and not (user.active and user.role == Role.NATIONAL_MDT.value):
        raise PermissionDenied("The freedom-of-information export is for the national MDT.")
    number = whole(period_id, "strike period id")
    now = now or utcnow()
    with read_session() as session:
        period = session.get(StrikePeriod, number) if 0 < number <= DB_INT_MAX else None
        if period is None:
            raise NotFound("strike period")
        query = (
            select(DerogationRequest, outcome_sql(now), Trust.name)
            .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
            .where(DerogationRequest.strike_period_id == period.id, col(DerogationRequest.submitted_at).is_not(None))
            .order_by(DerogationRequest.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )

        def rows() -> Iterator[list[object]]:
            for batch in _batches(session.exec(query), EXPORT_BATCH):
                reasons = _reasons_of(session, [r.id for r, _, _ in batch])
                for request, outcome, trust in batch:
                    given = reasons.get(request.id, {})
                    facts = [getattr(request, name) for name in FACTS]
                    yield [
                        *facts[:2],
                        trust,
                        *facts[2:],
                        label_of(outcome),
                        *(given.get(name, "") for name in REASON_EXPORT_FIELDS),
                        _label(request.bypass_review_reasons or [], BYPASS_REVIEW_REASON_LABELS),
                        _has_free_text(request),
                    ]

        return ("\ufeff" + _csv(HEADER, rows())).encode("utf-8")


def filename(period: StrikePeriod) -> str:
    return f"derogations-foi-{period.starts_at:%Y-%m-%d}-period-{period.id}.csv"
