"""Strike periods: which one is in progress, which starts next, where each stands, and the one message
for a submission outside strike action (docs/rules.md rule 1). Every page and command asks here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from core.enums import LabelledEnum
from core.models import DerogationRequest, StrikePeriod
from core.platform.clock import format_london, utcnow


class PeriodState(LabelledEnum):
    UPCOMING = "upcoming", "Upcoming"
    IN_PROGRESS = "in_progress", "IN PROGRESS"
    ENDED = "ended", "Ended"


def state(period: StrikePeriod, now: datetime | None = None) -> PeriodState:
    """A period runs from its start (inclusive) to its end (exclusive)."""
    now = now or utcnow()
    if now < period.starts_at:
        return PeriodState.UPCOMING
    return PeriodState.IN_PROGRESS if now < period.ends_at else PeriodState.ENDED


def in_progress(periods: Sequence[StrikePeriod], now: datetime | None = None) -> StrikePeriod | None:
    """The period in progress at `now`; of two that overlap, the one that started last."""
    now = now or utcnow()
    running = [p for p in periods if state(p, now) is PeriodState.IN_PROGRESS]
    return max(running, key=lambda p: p.starts_at) if running else None


def next_to_start(periods: Sequence[StrikePeriod], now: datetime | None = None) -> StrikePeriod | None:
    now = now or utcnow()
    upcoming = [p for p in periods if state(p, now) is PeriodState.UPCOMING]
    return min(upcoming, key=lambda p: p.starts_at) if upcoming else None


def most_relevant(periods: Sequence[StrikePeriod], now: datetime | None = None) -> StrikePeriod | None:
    """What a page shows first: the period in progress, else the latest that has started, else the next."""
    now = now or utcnow()
    started = [p for p in periods if p.starts_at <= now]
    if current := in_progress(periods, now):
        return current
    if started:
        return max(started, key=lambda p: p.starts_at)
    return next_to_start(periods, now)


def started_sql(now: datetime) -> ColumnElement[bool]:
    """state() in SQL: the period has started by `now` (in progress or ended)."""
    return col(StrikePeriod.starts_at) <= now


def ended_sql(now: datetime) -> ColumnElement[bool]:
    """state() in SQL: the period has ended by `now`."""
    return col(StrikePeriod.ends_at) <= now


def current(session: Session, now: datetime | None = None) -> StrikePeriod | None:
    """in_progress, read from the database (inside a command's transaction)."""
    now = now or utcnow()
    return session.exec(
        select(StrikePeriod).where(started_sql(now), ~ended_sql(now)).order_by(col(StrikePeriod.starts_at).desc())
    ).first()


def upcoming(session: Session, now: datetime | None = None) -> StrikePeriod | None:
    """next_to_start, read from the database."""
    now = now or utcnow()
    return session.exec(select(StrikePeriod).where(~started_sql(now)).order_by(StrikePeriod.starts_at)).first()


def of_request(session: Session, request: DerogationRequest, now: datetime | None = None) -> StrikePeriod | None:
    """The strike period a request's rules are asked against: its own once submitted; for a draft, the one it
    would be submitted into (in progress, else the next to start)."""
    if request.strike_period_id is not None:
        return session.get(StrikePeriod, request.strike_period_id)
    return current(session, now) or upcoming(session, now)


def submission_refusal(period: StrikePeriod | None, now: datetime | None = None) -> str | None:
    """Why a draft cannot be submitted at `now` into `period` (of_request), or None while it is in progress."""
    where = state(period, now) if period is not None else None
    if where is PeriodState.IN_PROGRESS:
        return None
    return submission_closed(period if where is PeriodState.UPCOMING else None)


def submission_opens(next_period: StrikePeriod | None) -> str:
    """When requests can next be submitted, in one sentence."""
    if next_period is None:
        return "No strike period is scheduled."
    return f"Submission opens at {format_london(next_period.starts_at)}."


def submission_closed(next_period: StrikePeriod | None) -> str:
    """Why a request cannot be submitted now, and when it can."""
    return (
        "Requests can only be submitted once strike action has started and the risk to patients is present. "
        f"{submission_opens(next_period)} Your draft is kept."
    )
