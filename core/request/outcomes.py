"""What became of a submitted request, as every figure counts it (docs/rules.md rule 8): the Outcome enum, whose
members carry their words and colour, and the SQL that gives each request its outcome, now or at a past moment.

The dashboard, the post-strike report, the comparison of periods, the public figures, the lists, the exports and
their charts all key outcomes by the member's value and take the words and colour from the member when they draw.
"Approved" means approved by the BMA and still valid; an approval the BMA later revoked is "Revoked", never both."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BindParameter, ColumnElement, and_, case, literal
from sqlmodel import col

from core.enums import OPEN_STATUSES, Status
from core.models import DerogationRequest
from core.request.timing import not_decided_in_time_sql


class Outcome(StrEnum):
    """Each member: value (the key of every chart, table and filter), label (its name beside the other outcomes:
    a chart, a column, a tile, one request's outcome), long_label (its name among other measures: the report's
    summary, the comparison), colour (the NHS palette). The order is the order figures are shown in."""

    label: str
    long_label: str
    colour: str

    def __new__(cls, value: str, label: str, long_label: str, colour: str) -> Outcome:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label, member.long_label, member.colour = label, long_label, colour
        return member

    APPROVED = "approved", "Approved", "Approved (still valid)", "#007F3B"  # NHS green
    REVOKED = "revoked", "Revoked", "Approval revoked", "#425563"  # NHS dark grey
    DECLINED = "declined", "Declined by the BMA", "Declined by the BMA", "#D5281B"  # NHS red
    NOT_ELIGIBLE = (
        "not_eligible",
        "Declined: does not meet the criteria",
        "Declined by a tier: does not meet the criteria",
        "#8A1538",  # NHS dark red
    )
    RESOLVED_LOCALLY = "resolved_locally", "Resolved locally", "Resolved locally", "#41B6E6"  # NHS light blue
    WITHDRAWN = "withdrawn", "Withdrawn", "Withdrawn", "#768692"  # NHS mid grey
    EXPIRED = "expired", "Expired", "Expired", "#AE2573"  # NHS pink
    PENDING = "pending", "Pending", "Pending", "#005EB8"  # NHS blue: open, inside its decision-needed-by time
    # Undecided when its decision-needed-by passed, open or expired: not "pending" (docs/rules.md rule 8).
    NOT_DECIDED_IN_TIME = "not_decided_in_time", "Not decided in time", "Not decided in time", "#FFB81C"  # warm yellow


_VALUES = frozenset(outcome.value for outcome in Outcome)
# The headline and the public figures count both kinds of decline together, under this name.
DECLINES = (Outcome.DECLINED, Outcome.NOT_ELIGIBLE)
DECLINED_EITHER = "Declined"
_OPEN_VALUES = [s.value for s in OPEN_STATUSES]
# Approvals the BMA gave, still valid or revoked since.
GIVEN_VALUES = [Status.APPROVED.value, Status.REVOKED.value]


def label_of(value: str) -> str:
    """One request's outcome in words (its Outcome's label); a value that names no outcome, as it is."""
    return Outcome(value).label if value in _VALUES else value


def outcome_sql(now: datetime | BindParameter) -> ColumnElement[str]:
    """Each submitted request's outcome at `now`, from its status, as one SQL CASE: a closed request's outcome is
    its status (each closed status is an Outcome value), an open one is pending or not decided in time."""
    return case(
        (not_decided_in_time_sql(now), literal(Outcome.NOT_DECIDED_IN_TIME.value)),
        (col(DerogationRequest.status).in_(_OPEN_VALUES), literal(Outcome.PENDING.value)),
        else_=DerogationRequest.status,
    )


def outcome_at(moment: ColumnElement) -> ColumnElement[str]:
    """A submitted request's outcome at a past `moment`, read off its own times (submitted, closed, revoked): the
    outcome_sql it had then. An approval counts as approved until it is revoked; a request undecided when its
    decision-needed-by passed is not decided in time, open or expired."""
    request = DerogationRequest
    closed = col(request.closed_at) <= moment
    late = col(request.decision_needed_by) < moment
    given = col(request.status).in_(GIVEN_VALUES)
    return case(
        (col(request.revoked_at) <= moment, literal(Outcome.REVOKED.value)),
        (and_(closed, given), literal(Outcome.APPROVED.value)),
        (and_(closed, request.status == Status.EXPIRED.value, late), literal(Outcome.NOT_DECIDED_IN_TIME.value)),
        (closed, request.status),
        (late, literal(Outcome.NOT_DECIDED_IN_TIME.value)),
        else_=literal(Outcome.PENDING.value),
    )
