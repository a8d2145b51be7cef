"""Time at tier, response targets and breaches: computed here so every page shows the same figure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, and_, bindparam, case, false, literal
from sqlmodel import Session, col, select

from core.enums import OPEN_STATUSES, Status, Tier
from core.models import DerogationRequest, TierTarget
from core.platform.clock import utcnow
from core.platform.errors import ValidationFailed

MOMENT = DerogationRequest.__table__.c.tier_entered_at.type  # how a moment is stored, for bound parameters
# Defaults in minutes, chosen for a strike where requests are filed as the risk appears (README).
DEFAULT_TARGETS: dict[Tier, int] = {
    Tier.CLINICAL_DIRECTOR: 60,
    Tier.TRUST_MD: 60,
    Tier.REGIONAL_MD: 120,
    Tier.NATIONAL_MDT: 120,
    Tier.BMA: 240,
}
NEAR_DEADLINE = timedelta(hours=2)


def tier_targets(session: Session) -> dict[Tier, int]:
    targets = dict(DEFAULT_TARGETS)
    for row in session.exec(select(TierTarget)).all():
        if row.tier in set(Tier):
            targets[Tier(row.tier)] = row.minutes
    return targets


class Timed(Protocol):
    """What the timing rules read: a whole DerogationRequest, or a list's plain row of it."""

    @property
    def status(self) -> str: ...
    @property
    def current_tier(self) -> str | None: ...
    @property
    def tier_entered_at(self) -> datetime | None: ...
    @property
    def decision_needed_by(self) -> datetime | None: ...


def _waiting_at_tier(request: Timed) -> bool:
    return request.status == Status.IN_REVIEW and request.tier_entered_at is not None


def minutes_at_tier(request: Timed, now: datetime | None = None) -> float | None:
    if not _waiting_at_tier(request):
        return None
    return ((now or utcnow()) - request.tier_entered_at).total_seconds() / 60


def target_minutes(request: Timed, targets: dict[Tier, int]) -> int | None:
    """The response target of the tier the request is waiting at; None while it waits at no tier."""
    if not _waiting_at_tier(request) or not request.current_tier:
        return None
    return targets[Tier(request.current_tier)]


def is_breached(request: Timed, targets: dict[Tier, int], now: datetime | None = None) -> bool:
    minutes, target = minutes_at_tier(request, now), target_minutes(request, targets)
    return minutes is not None and target is not None and minutes > target


def minutes_to_decision(request: Timed, now: datetime | None = None) -> float | None:
    if request.decision_needed_by is None:
        return None
    return (request.decision_needed_by - (now or utcnow())).total_seconds() / 60


# The statuses of a request nobody has decided yet (or ever will): open, or expired with its period.
UNDECIDED_STATUSES = frozenset({*OPEN_STATUSES, Status.EXPIRED})
UNDECIDED_VALUES = sorted(status.value for status in UNDECIDED_STATUSES)


def not_decided_in_time(request: Timed, now: datetime | None = None) -> bool:
    """Still undecided when its decision-needed-by passed: an outcome of its own in the figures."""
    if request.decision_needed_by is None or request.status not in UNDECIDED_STATUSES:
        return False
    return request.decision_needed_by < (now or utcnow())


def breached_sql(targets: dict[Tier, int], now: datetime | None) -> ColumnElement[bool]:
    """SQL: in review and longer at its tier than the tier's target (entered before the tier's cutoff;
    a tier with no target has no cutoff, and NULL compares false). With `now` None, each tier's cutoff
    is a bound parameter (values: breach_cutoffs), so a statement can be built once and run any time."""
    if not targets:
        return false()
    # Typed as the column is (UTC, aware), as a comparison with the column itself would be.
    cutoffs = {
        tier.value: literal(now - timedelta(minutes=minutes), MOMENT)
        if now is not None
        else bindparam(_cutoff_name(tier), type_=MOMENT)
        for tier, minutes in targets.items()
    }
    return and_(
        DerogationRequest.status == Status.IN_REVIEW.value,
        col(DerogationRequest.tier_entered_at) < case(cutoffs, value=DerogationRequest.current_tier),
    )


def breach_cutoffs(targets: dict[Tier, int], now: datetime) -> dict[str, datetime]:
    """The values of breached_sql(targets, None)'s parameters at `now`."""
    return {_cutoff_name(tier): now - timedelta(minutes=minutes) for tier, minutes in targets.items()}


def _cutoff_name(tier: Tier) -> str:
    return f"breach_cutoff_{tier.value}"


def not_decided_in_time_sql(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(DerogationRequest.status).in_(UNDECIDED_VALUES),
        col(DerogationRequest.decision_needed_by) < now,
    )


MAX_TARGET_MINUTES = 7 * 24 * 60  # a response target is at most a week
TARGET_MESSAGE = f"Enter a target between 1 minute and 7 days ({MAX_TARGET_MINUTES:,} minutes)."


def set_target(session: Session, tier: Tier, minutes: int) -> None:
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        raise ValidationFailed({f"target.{tier.value}": TARGET_MESSAGE})
    session.merge(TierTarget(tier=tier.value, minutes=minutes))
