"""The freedom-of-information export: every submitted request of one strike period with no personal data
(no names, roles, phone numbers or e-mail addresses of anyone, no confirmation references) and no free
text, only whether the request holds any. Each cell safe to open in a spreadsheet (core.platform.spreadsheet).
For the national MDT (a download on the post-strike report) and the command line (`python -m ops
foi-export`); docs/privacy.md says why each column may be published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_
from sqlmodel import col

from core.enums import Role
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.platform.errors import NotFound, PermissionDenied
from core.platform.input_checks import DB_INT_MAX, whole
from core.queries.exports import csv_text, request_header, request_rows
from core.request.form import SHAPED, TEXT_FIELDS

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
HEADER = [*request_header(FACTS), "has_free_text"]


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
        submitted = and_(
            DerogationRequest.strike_period_id == period.id, col(DerogationRequest.submitted_at).is_not(None)
        )
        rows = ([*cells, _has_free_text(request)] for request, cells in request_rows(session, submitted, FACTS, now))
        return ("\ufeff" + csv_text(HEADER, rows)).encode("utf-8")


def filename(period: StrikePeriod) -> str:
    return f"derogations-foi-{period.starts_at:%Y-%m-%d}-period-{period.id}.csv"
