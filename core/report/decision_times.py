"""Time to decision (docs/figures.md), per strike period in the reader's scope, from the audit history's times
and computed in SQL, percentiles included:

- overall: from a request's submission (its SUBMIT row) to the decision that closed it (approved or declined
  by the BMA, declined by a tier as not meeting the criteria, or resolved locally);
- at each tier: from a request's arrival there (submitted, escalated or answered to it) to that tier's decision
  on it (escalate, resolve, return for information, decline; the BMA's approve or decline). Time with the
  trust answering a question is nobody's decision time; withdrawals and expiries decide nothing.

Median and 90th percentile interpolate between the closest ranks, as PostgreSQL's percentile_cont does, with
window functions that SQLite and PostgreSQL share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, extract, func, literal, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.access_control.visibility import visible_filter
from core.enums import BMA_ACTIONS, TIER_ACTIONS, Action, Status, Tier
from core.models import AuditEvent, DerogationRequest, User
from core.platform.db import read_session

WHOLE = "submission"  # the stage of "submission to final decision"
STAGES = (WHOLE, *(tier.value for tier in Tier))
FINAL_ACTIONS = (Action.APPROVE, Action.DECLINE, Action.DECLINE_CRITERIA, Action.RESOLVE_LOCALLY)
ARRIVALS = (Action.SUBMIT, Action.ESCALATE, Action.RESUBMIT)
TIER_DECISIONS = (*TIER_ACTIONS, *BMA_ACTIONS)


@dataclass(frozen=True)
class DecisionTime:
    period_id: int
    stage: str  # WHOLE, or a core.enums.Tier value
    decisions: int
    median_minutes: float | None
    p90_minutes: float | None

    @property
    def label(self) -> str:
        return stage_label(self.stage)


def stage_label(stage: str) -> str:
    return "Submission to final decision" if stage == WHOLE else f"{Tier(stage).label}: arrival to decision"


def _minutes(session: Session, start: ColumnElement, end: ColumnElement) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _floor(session: Session, value: ColumnElement) -> ColumnElement:
    """floor() of a value that is never negative (SQLite has floor only when built with its maths functions)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(value)
    return cast(value, Integer)


def _scope(user: User, period_ids: list[int]) -> ColumnElement[bool]:
    return and_(
        visible_filter(user),
        col(DerogationRequest.strike_period_id).in_(period_ids),
        DerogationRequest.status != Status.DRAFT.value,
    )


def durations(session: Session, user: User, period_ids: list[int]) -> Select:
    """(period_id, stage, minutes): one row per decision in the scope."""
    scope = _scope(user, period_ids)
    period = DerogationRequest.strike_period_id
    submitted, decided = aliased(AuditEvent), aliased(AuditEvent)
    whole = (
        select(period.label("period_id"), literal(WHOLE).label("stage"), _minutes(session, submitted.at, decided.at))
        .select_from(DerogationRequest)
        .join(submitted, and_(submitted.request_id == DerogationRequest.id, submitted.action == Action.SUBMIT.value))
        .join(
            decided,
            and_(
                decided.request_id == DerogationRequest.id,
                col(decided.action).in_([a.value for a in FINAL_ACTIONS]),
            ),
        )
        .where(scope)
    )
    # Among a request's arrivals and decisions in id order, each decision's previous row is its arrival at the
    # tier: an escalation is the one tier's decision and the next tier's arrival; a return for information is
    # followed by the answer (an arrival) before that tier decides again. One window, no per-row lookup.
    steps = (
        select(
            period.label("period_id"),
            AuditEvent.action,
            AuditEvent.from_tier,
            AuditEvent.at,
            func.lag(AuditEvent.at).over(partition_by=AuditEvent.request_id, order_by=AuditEvent.id).label("since"),
        )
        .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
        .where(scope, col(AuditEvent.action).in_([a.value for a in (*ARRIVALS, *TIER_DECISIONS)]))
        .subquery()
    )
    at_tier = select(steps.c.period_id, steps.c.from_tier, _minutes(session, steps.c.since, steps.c.at)).where(
        steps.c.action.in_([a.value for a in TIER_DECISIONS]),
        steps.c.from_tier.is_not(None),
        steps.c.since.is_not(None),
    )
    return union_all(whole, at_tier)


def _percentiles(session: Session, user: User, period_ids: list[int]) -> list[tuple]:
    """(period_id, stage, decisions, median, p90) per stage with any decision."""
    timed = durations(session, user, period_ids).subquery()
    minutes = timed.c[timed.c.keys()[2]]
    group = (timed.c.period_id, timed.c.stage)
    ranked = select(
        timed.c.period_id,
        timed.c.stage,
        minutes.label("minutes"),
        (func.row_number().over(partition_by=group, order_by=minutes) - 1).label("rank"),
        func.count().over(partition_by=group).label("n"),
    ).subquery()

    def interpolated(q: float) -> ColumnElement[float]:
        position = (ranked.c.n - 1) * q
        low = _floor(session, position)
        below = case((ranked.c.rank == low, ranked.c.minutes * (1 - (position - low))), else_=0)
        above = case((ranked.c.rank == low + 1, ranked.c.minutes * (position - low)), else_=0)
        return func.sum(below) + func.sum(above)

    statement = select(
        ranked.c.period_id,
        ranked.c.stage,
        func.max(ranked.c.n),
        interpolated(0.5),
        interpolated(0.9),
    ).group_by(ranked.c.period_id, ranked.c.stage)
    return [tuple(row) for row in session.execute(statement)]


def decision_times(user: User, period_ids: list[int]) -> list[DecisionTime]:
    """Every stage of every period asked for, in STAGES order (a stage without decisions has no times)."""
    if not period_ids:
        return []
    with read_session() as session:
        found = {(p, s): (n, median, p90) for p, s, n, median, p90 in _percentiles(session, user, period_ids)}
    return [
        DecisionTime(
            period_id=period_id,
            stage=stage,
            decisions=int(found.get((period_id, stage), (0,))[0]),
            median_minutes=_number(found.get((period_id, stage), (0, None))[1]),
            p90_minutes=_number(found.get((period_id, stage), (0, None, None))[2]),
        )
        for period_id in period_ids
        for stage in STAGES
    ]


def _number(value: object) -> float | None:
    return None if value is None else round(float(value), 4)
