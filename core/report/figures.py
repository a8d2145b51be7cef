"""The post-strike report's figures: what happened in one strike period, in the reader's scope
(England for the national MDT, their own region for a regional medical director).

Everything is aggregated in SQL. Time at each tier is worked out from the audit history: each visit
of a request to a tier starts with the row that put it there (submit, escalate, answer) and ends with
the next row that took it away (a review action, withdrawal or expiry), paired by a window function;
only the medians and 90th percentiles are taken in Python, over one number per tier visit.
The headline figures are the dashboard's own (core.queries), so the report and the dashboard agree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import pyarrow as pa
from sqlalchemy import ColumnElement, and_, case, extract, func, literal, or_
from sqlmodel import Session, col, select

from core import queries
from core.access_control.visibility import may_open, period_filter
from core.enums import (
    BMA_ACTIONS,
    DECLINE_ACTIONS,
    REASONED_ACTIONS,
    TIER_ACTIONS,
    Action,
    BypassReviewReason,
    BypassState,
    Category,
    Reason,
    Status,
    Tier,
)
from core.lifecycle import REASONED_ACTION_LABELS
from core.models import AuditEvent, DerogationRequest, Region, StrikePeriod, Trust, User
from core.platform.clock import format_london, utcnow
from core.platform.db import read_session
from core.platform.errors import NotFound, PermissionDenied
from core.platform.input_checks import DB_INT_MAX, whole
from core.reference import periods
from core.report.decision_times import DecisionTime, decision_times
from core.request.outcomes import DECLINED_EITHER, DECLINES, GIVEN_VALUES, Outcome, label_of, outcome_sql
from core.request.running_counts import EVERY_REASON
from core.request.timing import breached_sql, tier_targets

IN_REVIEW = Status.IN_REVIEW.value
# What each tier did with a request waiting for it (audit actions, in the order the report shows them).
TIER_OUTCOME_COLUMNS = {
    Action.ESCALATE.value: "Escalated",
    Action.RESOLVE_LOCALLY.value: "Resolved locally",
    Action.RETURN_FOR_INFO.value: "Returned for information",
    Action.DECLINE_CRITERIA.value: "Declined: criteria",
    Action.APPROVE.value: "Approvals given",  # "Approved" alone means still valid (core.request.outcomes)
    Action.DECLINE.value: "Declined by the BMA",
    Action.WITHDRAW.value: "Withdrawn while waiting",
    Action.EXPIRE.value: "Expired while waiting",
}
# The outcome columns of the tables by region, trust and category, each request counted once: "Approved" is still
# valid, as on the dashboard and beside "Doctors approved"; an approval the BMA revoked counts as "Revoked".
GROUP_OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    Outcome.APPROVED.label: (Outcome.APPROVED,),
    Outcome.REVOKED.label: (Outcome.REVOKED,),
    DECLINED_EITHER: DECLINES,
    Outcome.RESOLVED_LOCALLY.label: (Outcome.RESOLVED_LOCALLY,),
    Outcome.WITHDRAWN.label: (Outcome.WITHDRAWN,),
    Outcome.NOT_DECIDED_IN_TIME.label: (Outcome.NOT_DECIDED_IN_TIME,),
}
GROUP_COLUMNS = ["Requests", *GROUP_OUTCOMES, "Doctors requested", "Doctors approved"]


@dataclass(frozen=True)
class TierTime:
    tier: str
    visits: int
    median_minutes: float | None
    p90_minutes: float | None
    target_minutes: int
    breaches: int  # visits longer than the target, finished or still waiting
    waiting_now: int


@dataclass(frozen=True)
class Approvals:
    requests: int
    reached_bma: int
    approvals_given: int  # including those later revoked
    revoked: int
    declined_by_bma: int
    doctors_requested: int
    doctors_requested_at_bma: int
    doctors_given: int  # in approvals given
    doctors_recalled: int  # in approvals still valid (not revoked)
    decision_median_minutes: float | None  # submission to the BMA's decision
    decision_p90_minutes: float | None


@dataclass
class Report:
    period: StrikePeriod
    scope: str
    generated_at: datetime
    headline: queries.Headline
    approvals: Approvals
    by_region: pd.DataFrame
    by_trust: pd.DataFrame
    by_category: pd.DataFrame
    tier_outcomes: pd.DataFrame
    tier_times: list[TierTime]
    mass_casualty: pd.DataFrame
    breached_requests: int  # requests breaching a tier target at least once
    decided_late: int  # decided by the BMA after the decision-needed-by time
    breakdown: pa.Table = field(repr=False)  # the dashboard's breakdown, for its charts
    timeline: pd.DataFrame = field(repr=False)
    declines_by_who: pd.DataFrame = field(default_factory=pd.DataFrame)  # tier or BMA: requests, doctors
    reasons: pd.DataFrame = field(default_factory=pd.DataFrame)  # who, action, reason: times, doctors
    bypasses: pd.DataFrame = field(default_factory=pd.DataFrame)  # every recall under the failsafe bypass
    decision_times: list[DecisionTime] = field(default_factory=list)  # core.report.decision_times

    @property
    def is_final(self) -> bool:
        return periods.state(self.period, self.generated_at) is periods.PeriodState.ENDED


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont and numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _minutes_between(session: Session, start: ColumnElement, end: ColumnElement) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return extract("epoch", end - start) / 60.0
    # julianday is a double: round away its sub-millisecond noise so 35 minutes reads as 35.0.
    return func.round((func.julianday(end) - func.julianday(start)) * 1440.0, 4)


def _by_groups(session: Session, scope: ColumnElement[bool], now: datetime) -> pd.DataFrame:
    """One GROUP BY over region, trust, category and outcome; the three tables are sums over it."""
    outcome = outcome_sql(now)
    approved_doctors = case(
        (DerogationRequest.status == Status.APPROVED.value, func.coalesce(DerogationRequest.approved_doctors, 0)),
        else_=0,
    )
    keys = (DerogationRequest.region_code, DerogationRequest.trust_code, DerogationRequest.category, outcome)
    rows = session.exec(
        select(
            *keys,
            func.count(),
            func.coalesce(func.sum(DerogationRequest.doctors_requested), 0),
            func.sum(approved_doctors),
        )
        .where(scope)
        .group_by(*keys)
    ).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["region_code", "trust_code", "category", "outcome", "requests", "doctors_requested", "approved"],
    )
    frame[["requests", "doctors_requested", "approved"]] = (
        frame[["requests", "doctors_requested", "approved"]].fillna(0).astype(int)
    )
    return frame


def _summarise(groups: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    columns = {
        "Requests": groups["requests"],
        **{
            column: groups["requests"].where(groups["outcome"].isin([o.value for o in outcomes]), 0)
            for column, outcomes in GROUP_OUTCOMES.items()
        },
        "Doctors requested": groups["doctors_requested"],
        "Doctors approved": groups["approved"],
    }
    frame = pd.DataFrame({**{k: groups[k] for k in by}, **columns})
    summary = frame.groupby(by, as_index=False)[GROUP_COLUMNS].sum()
    return summary.sort_values(["Requests", *by], ascending=[False] + [True] * len(by)).reset_index(drop=True)


def _group_tables(session: Session, groups: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    regions = dict(session.exec(select(Region.code, Region.name)).all())
    codes = sorted(set(groups["trust_code"]))
    trusts = dict(session.exec(select(Trust.ods_code, Trust.name).where(col(Trust.ods_code).in_(codes))).all())
    named = groups.assign(
        Region=groups["region_code"].map(lambda c: regions.get(c, c)),
        Trust=groups["trust_code"].map(lambda c: trusts.get(c, c)),
        Category=groups["category"].map(lambda c: Category(c).label if c in set(Category) else c),
    )
    by_trust = _summarise(named.assign(**{"ODS code": named["trust_code"]}), ["Trust", "ODS code", "Region"])
    return _summarise(named, ["Region"]), by_trust, _summarise(named, ["Category"])


def _tier_outcomes(session: Session, scope: ColumnElement[bool]) -> pd.DataFrame:
    actions = list(TIER_OUTCOME_COLUMNS)
    rows = session.exec(
        select(AuditEvent.from_tier, AuditEvent.action, func.count())
        .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
        .where(
            scope,
            AuditEvent.from_status == IN_REVIEW,
            col(AuditEvent.from_tier).is_not(None),
            col(AuditEvent.action).in_(actions),
        )
        .group_by(AuditEvent.from_tier, AuditEvent.action)
    ).all()
    counts = {(tier, action): n for tier, action, n in rows}
    table = [
        {
            "Tier": tier.label,
            **{label: int(counts.get((tier.value, a), 0)) for a, label in TIER_OUTCOME_COLUMNS.items()},
        }
        for tier in Tier
    ]
    frame = pd.DataFrame(table)
    # Only the BMA approves or declines; only tiers below it escalate, resolve, return or decline on criteria.
    bma_only = [TIER_OUTCOME_COLUMNS[a.value] for a in BMA_ACTIONS]
    below_only = [TIER_OUTCOME_COLUMNS[a.value] for a in TIER_ACTIONS]
    frame.loc[frame["Tier"] != Tier.BMA.label, bma_only] = 0
    frame.loc[frame["Tier"] == Tier.BMA.label, below_only] = 0
    return frame


def tier_visits(session: Session, scope: ColumnElement[bool]) -> list[tuple[int, str, float]]:
    """(request id, tier, minutes) for every finished visit of a request to a tier."""
    starts = and_(AuditEvent.to_status == IN_REVIEW, col(AuditEvent.to_tier).is_not(None))
    ends = and_(AuditEvent.from_status == IN_REVIEW, col(AuditEvent.from_tier).is_not(None))
    events = (
        select(
            AuditEvent.request_id,
            AuditEvent.at,
            AuditEvent.from_status,
            AuditEvent.from_tier,
            func.lag(AuditEvent.at)
            .over(partition_by=AuditEvent.request_id, order_by=AuditEvent.id)
            .label("started_at"),
        )
        .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
        .where(scope, or_(starts, ends))
        .subquery()
    )
    minutes = _minutes_between(session, events.c.started_at, events.c.at)
    rows = session.exec(
        select(events.c.request_id, events.c.from_tier, minutes).where(
            events.c.from_status == IN_REVIEW, events.c.from_tier.is_not(None), events.c.started_at.is_not(None)
        )
    ).all()
    return [(r[0], r[1], float(r[2])) for r in rows]


def _tier_times(session: Session, scope: ColumnElement[bool], now: datetime) -> tuple[list[TierTime], int]:
    """Per-tier medians, 90th percentiles and breaches; and how many requests breached at least once."""
    targets = tier_targets(session)
    visits = tier_visits(session, scope)
    waiting = dict(
        session.exec(
            select(DerogationRequest.current_tier, func.count())
            .where(scope, DerogationRequest.status == IN_REVIEW)
            .group_by(DerogationRequest.current_tier)
        ).all()
    )
    breached_now = session.exec(
        select(DerogationRequest.id, DerogationRequest.current_tier).where(scope, breached_sql(targets, now))
    ).all()
    breached_ids = {rid for rid, tier, minutes in visits if minutes > targets[Tier(tier)]}
    breached_ids |= {rid for rid, _ in breached_now}
    result = []
    for tier in Tier:
        minutes = [m for _, t, m in visits if t == tier.value]
        result.append(
            TierTime(
                tier=tier.label,
                visits=len(minutes),
                median_minutes=percentile(minutes, 0.5),
                p90_minutes=percentile(minutes, 0.9),
                target_minutes=targets[tier],
                breaches=sum(m > targets[tier] for m in minutes) + sum(t == tier.value for _, t in breached_now),
                waiting_now=int(waiting.get(tier.value, 0)),
            )
        )
    return result, len(breached_ids)


def _approvals(session: Session, scope: ColumnElement[bool]) -> Approvals:
    given = col(DerogationRequest.status).in_(GIVEN_VALUES)
    at_bma = col(DerogationRequest.escalated_to_bma_at).is_not(None)

    def total(value: ColumnElement, when: ColumnElement[bool] | None = None) -> ColumnElement:
        return func.coalesce(func.sum(value if when is None else case((when, value), else_=0)), 0)

    one = literal(1)
    row = session.exec(
        select(
            func.count(),
            total(one, at_bma),
            total(one, given),
            total(one, DerogationRequest.status == Status.REVOKED.value),
            total(one, DerogationRequest.status == Status.DECLINED.value),
            total(func.coalesce(DerogationRequest.doctors_requested, 0)),
            total(func.coalesce(DerogationRequest.doctors_requested, 0), at_bma),
            total(func.coalesce(DerogationRequest.approved_doctors, 0), given),
            total(
                func.coalesce(DerogationRequest.approved_doctors, 0), DerogationRequest.status == Status.APPROVED.value
            ),
        ).where(scope)
    ).one()
    decision = _minutes_between(session, col(DerogationRequest.submitted_at), col(DerogationRequest.decided_at))
    waits = [
        float(m)
        for m in session.exec(select(decision).where(scope, col(DerogationRequest.decided_at).is_not(None))).all()
    ]
    return Approvals(
        *(int(v) for v in row),
        decision_median_minutes=percentile(waits, 0.5),
        decision_p90_minutes=percentile(waits, 0.9),
    )


def _mass_casualty(session: Session, scope: ColumnElement[bool], now: datetime) -> pd.DataFrame:
    outcome = outcome_sql(now)
    rows = session.exec(
        select(DerogationRequest.id, Trust.name, DerogationRequest.service, DerogationRequest.submitted_at, outcome)
        .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
        .where(scope, col(DerogationRequest.mass_casualty))
        .order_by(DerogationRequest.submitted_at, DerogationRequest.id)
    ).all()
    return pd.DataFrame(
        [(r[0], r[1], r[2], format_london(r[3]), label_of(r[4])) for r in rows],
        columns=["Request", "Trust", "Service", "Submitted", "Outcome"],
    )


def who_label(by_tier: str) -> str:
    """The tier that acted, in words (the BMA as "BMA")."""
    return Tier(by_tier).label if by_tier in set(Tier) else by_tier


REASONED_VALUES = {a.value for a in REASONED_ACTIONS}


def reasons_frame(reasons: pa.Table) -> pd.DataFrame:
    """The reasons given (core.queries.reason_counts) as the report shows them: who, what, which reason."""
    rows = [
        (
            who_label(by_tier),
            REASONED_ACTION_LABELS.get(Action(action), action) if action in set(Action) else action,
            Reason(reason).label if reason in set(Reason) else reason,
            int(times),
            int(doctors),
        )
        for action, by_tier, reason, times, doctors in zip(
            *(reasons[c].to_pylist() for c in reasons.column_names), strict=True
        )
        if action in REASONED_VALUES and reason != EVERY_REASON  # reasons only, not the counts beside them
    ]
    order = {label: i for i, label in enumerate(r.label for r in Reason)}
    who_order = {t.label: i for i, t in enumerate(Tier)}
    rows.sort(key=lambda r: (r[1], who_order.get(r[0], 99), order.get(r[2], 99)))
    return pd.DataFrame(rows, columns=["Who", "Action", "Reason", "Times given", "Doctors asked for"])


def _declines_by_who(session: Session, scope: ColumnElement[bool]) -> pd.DataFrame:
    """Requests declined at each tier (as not meeting the criteria) and by the BMA, and the doctors they
    asked for: both sides' figures on one line each."""
    rows = session.exec(
        select(AuditEvent.from_tier, func.count(), func.coalesce(func.sum(DerogationRequest.doctors_requested), 0))
        .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
        .where(scope, col(AuditEvent.action).in_([a.value for a in DECLINE_ACTIONS]))
        .group_by(AuditEvent.from_tier)
    ).all()
    counts = {tier: (int(n), int(d)) for tier, n, d in rows}
    return pd.DataFrame(
        [(tier.label, *counts.get(tier.value, (0, 0))) for tier in Tier],
        columns=["Who declined", "Requests declined", "Doctors asked for"],
    )


def _bypasses(session: Session, scope: ColumnElement[bool], now: datetime) -> pd.DataFrame:
    outcome = outcome_sql(now)
    rows = session.exec(
        select(
            DerogationRequest.id,
            Trust.name,
            DerogationRequest.service,
            DerogationRequest.bypass_recalled_at,
            DerogationRequest.bypass_doctors,
            DerogationRequest.bypass_grades,
            DerogationRequest.bypass_declared_by,
            outcome,
            DerogationRequest.approved_doctors,
            DerogationRequest.bypass_stood_down_at,
            DerogationRequest.bypass_review,
            DerogationRequest.bypass_review_reasons,
        )
        .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
        .where(scope, col(DerogationRequest.bypass_recorded_at).is_not(None))
        .order_by(DerogationRequest.bypass_recalled_at, DerogationRequest.id)
    ).all()
    table = []
    for rid, trust, service, at, doctors, grades, declared, result, approved, stood_down, review, findings in rows:
        state = BypassState(review) if review else BypassState.REVIEW_DUE
        table.append(
            (
                rid,
                trust,
                service,
                format_london(at),
                int(doctors or 0),
                ", ".join(grades or []),
                declared,
                label_of(result),
                int(approved or 0),
                format_london(stood_down) if stood_down else "",
                state.label.split(": ")[-1].capitalize() if review else "Review due",
                "; ".join(BypassReviewReason(f).label for f in findings or [] if f in set(BypassReviewReason)),
            )
        )
    columns = ["Request", "Trust", "Service", "Recalled at", "Doctors recalled", "Grades", "Event declared by"]
    columns += ["BMA outcome", "Doctors approved", "Stood down at", "Review", "Findings"]
    return pd.DataFrame(table, columns=columns)


def build(user: User, period_id: object, now: datetime | None = None) -> Report:
    """The report for one strike period in the user's scope (national MDT and regional MDs only)."""
    if not may_open(user, "report"):
        raise PermissionDenied("The post-strike report is for the national MDT and regional medical directors.")
    period_id = whole(period_id, "strike period", high=DB_INT_MAX)
    now = now or utcnow()
    with read_session() as session:
        period = session.get(StrikePeriod, period_id)
        if period is None:
            raise NotFound("strike period")
        scope = period_filter(user, period.id)
        groups = _by_groups(session, scope, now)
        by_region, by_trust, by_category = _group_tables(session, groups)
        times, breached_requests = _tier_times(session, scope, now)
        decided_late = session.exec(
            select(func.count()).where(
                scope,
                col(DerogationRequest.decided_at).is_not(None),
                col(DerogationRequest.decided_at) > col(DerogationRequest.decision_needed_by),
            )
        ).one()
        report_parts = {
            "approvals": _approvals(session, scope),
            "tier_outcomes": _tier_outcomes(session, scope),
            "mass_casualty": _mass_casualty(session, scope, now),
            "declines_by_who": _declines_by_who(session, scope),
            "bypasses": _bypasses(session, scope, now),
        }
    breakdown = queries.dashboard_breakdown(user, period.id, now)
    counted = queries.reason_counts(user, period.id)
    return Report(
        period=period,
        scope=queries.figures_scope_label(user),
        generated_at=now,
        headline=queries.headline(breakdown, counted),
        by_region=by_region,
        by_trust=by_trust,
        by_category=by_category,
        tier_times=times,
        breached_requests=breached_requests,
        decided_late=int(decided_late),
        breakdown=breakdown,
        timeline=queries.dashboard_timeline(user, period),
        reasons=reasons_frame(counted),
        decision_times=decision_times(user, [period.id]),
        **report_parts,
    )
