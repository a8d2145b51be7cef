"""The live dashboard's figures, aggregated in SQL (GROUP BY) in the viewer's scope: the outcome of
each request (core.request.outcomes), the headline NHS England publishes, activity over time, what needs attention, and the
period's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import pandas as pd
import pyarrow as pa
from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, literal, or_, union_all
from sqlmodel import Session, col, select

from core.access_control.visibility import period_filter, scope_key, strike_period_id, tally_filter
from core.enums import Action, BypassState, Status, Tier
from core.lifecycle import step
from core.models import DerogationRequest, ReasonTally, RequestReason, RequestTally, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.queries.rows import LIST_LIMIT, OPEN_VALUES, ListRow, list_page, listed, read_rows
from core.queries.search import search_condition
from core.request.outcomes import DECLINES, GIVEN_VALUES, Outcome, outcome_sql
from core.request.running_counts import bypass_state_sql, reasons_grouped
from core.request.timing import (
    MOMENT,
    NEAR_DEADLINE,
    UNDECIDED_VALUES,
    breach_cutoffs,
    breached_sql,
    tier_targets,
)

Tally = RequestTally

ATTENTION_LIMIT = 50
BREAKDOWN_KEYS = ["region_code", "category", "status", "current_tier", "outcome", "breached", "mass_casualty"]
# doctors_approved: in approvals still valid (the doctors recalled with the BMA's agreement). The doctors in
# every approval given and the failsafe bypasses are counted beside the reasons (reason_counts), from the
# tally alone: neither depends on the clock, and the breakdown stays as narrow as it was.
BREAKDOWN_SUMS = ["requests", "doctors_requested", "doctors_approved"]
BREAKDOWN_COLUMNS = BREAKDOWN_KEYS + BREAKDOWN_SUMS


# Statuses whose outcome or breach depends on the clock (core.request.timing): always counted from the requests.
TIMED_VALUES = UNDECIDED_VALUES


COUNTED = {"breached", "mass_casualty", *BREAKDOWN_SUMS}
BREAKDOWN_TYPES = {name: pa.int64() if name in COUNTED else pa.string() for name in BREAKDOWN_COLUMNS}


def dashboard_breakdown(user: User, period_id: int | None, now: datetime | None = None) -> pa.Table:
    """The period's requests in the user's scope, grouped; every headline figure and most charts are
    sums over this small table (at most a few hundred rows, whatever the volume). Closed requests come
    from the running tally (core/request/running_counts.py) where the scope allows; the clock-dependent ones, and every
    request of a scope the tally cannot answer, are grouped from the requests themselves."""
    period_id = strike_period_id(period_id)
    with read_session() as session:
        return _breakdown(session, user, period_id, now or utcnow(), tier_targets(session))


@dataclass(frozen=True)
class LiveFigures:
    """What the live dashboard shows of one scope, counted at one moment in one read."""

    breakdown: pa.Table
    attention: list[ListRow]
    counted_at: datetime
    reasons: pa.Table | None = None  # reason_counts: the reasons given, in the same read


def live_figures(user: User, period_id: int | None, now: datetime | None = None) -> LiveFigures:
    """dashboard_breakdown and attention together: one read, one reading of the targets and one "now",
    so the headline and what needs attention agree."""
    period_id = strike_period_id(period_id)
    now = now or utcnow()
    with read_session() as session:
        targets = tier_targets(session)
        return LiveFigures(
            _breakdown(session, user, period_id, now, targets),
            _attention(session, user, period_id, now, targets),
            now,
            _reasons(session, user, period_id),
        )


# The dashboard's statements are built once per scope, period and targets, with the moments that depend
# on "now" as bound parameters (_moments): building SQL expressions costs more than running them.
NOW = bindparam("now", type_=MOMENT)
NEAR_BY = bindparam("near_by", type_=MOMENT)


def _moments(targets: dict[Tier, int], now: datetime) -> dict[str, datetime]:
    return {"now": now, "near_by": now + NEAR_DEADLINE, **breach_cutoffs(targets, now)}


def _viewer(scope: tuple) -> User:
    """A stand-in with only what core.access_control.visibility.scope_key holds, to build a scope's statements."""
    role, trust_code, region_code, active = scope
    return User(
        email="",
        full_name="",
        password_hash="",
        role=role,
        trust_code=trust_code,
        region_code=region_code,
        active=active,
    )


@lru_cache(maxsize=256)
def _breakdown_statement(scope: tuple, period_id: int | None, targets: tuple) -> Select:
    viewer = _viewer(scope)
    tally_scope = tally_filter(viewer)
    counted = _requests_grouped(viewer, period_id, dict(targets), timed_only=tally_scope is not None)
    if tally_scope is not None and period_id is not None:
        counted = union_all(counted, _tally_grouped(tally_scope, period_id))  # one statement, one round trip
    return counted


@lru_cache(maxsize=256)
def _attention_statement(scope: tuple, period_id: int | None, targets: tuple) -> Select:
    # The status test stands on its own so the database reads only open requests (an index on status).
    near = col(DerogationRequest.decision_needed_by) < NEAR_BY
    breached = breached_sql(dict(targets), None)
    # A mass-casualty request needs attention from submission until it is closed (docs/rules.md rule 5), breached or not.
    needs = or_(col(DerogationRequest.mass_casualty), breached, near)
    where = and_(col(DerogationRequest.status).in_(OPEN_VALUES), period_filter(_viewer(scope), period_id), needs)
    order = (
        col(DerogationRequest.mass_casualty).desc(),
        col(DerogationRequest.decision_needed_by).asc(),
        DerogationRequest.id,
    )
    return listed(where, order, ATTENTION_LIMIT, latest=False)  # its table shows no history


def _breakdown(session: Session, user: User, period_id: int | None, now: datetime, targets: dict) -> pa.Table:
    statement = _breakdown_statement(scope_key(user), period_id, tuple(targets.items()))
    return _frame([tuple(row) for row in session.execute(statement, _moments(targets, now))])


def _attention(session: Session, user: User, period_id: int | None, now: datetime, targets: dict) -> list[ListRow]:
    statement = _attention_statement(scope_key(user), period_id, tuple(targets.items()))
    return read_rows(session, statement, _moments(targets, now), now, targets)


def _frame(rows: list[tuple]) -> pa.Table:
    """The grouped rows as an Arrow table (columns of plain values, built in microseconds, where a
    pandas frame took most of a millisecond); the counts as integers."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(BREAKDOWN_COLUMNS)
    return pa.table(
        [
            pa.array([int(n or 0) for n in values] if name in COUNTED else values, type=BREAKDOWN_TYPES[name])
            for name, values in zip(BREAKDOWN_COLUMNS, columns, strict=True)
        ],
        names=BREAKDOWN_COLUMNS,
    )


def _requests_grouped(user: User, period_id: int | None, targets: dict, *, timed_only: bool) -> Select:
    """The period's requests grouped as BREAKDOWN_COLUMNS (`timed_only`: those whose outcome depends
    on the clock), with the moments as bound parameters: run it with _moments(targets, now)."""
    breached = case((breached_sql(targets, None), 1), else_=0)
    outcome = outcome_sql(NOW)
    approved_doctors = case(
        (DerogationRequest.status == Status.APPROVED.value, func.coalesce(DerogationRequest.approved_doctors, 0)),
        else_=0,
    )
    mass = case((col(DerogationRequest.mass_casualty), 1), else_=0)
    keys = (
        DerogationRequest.region_code,
        DerogationRequest.category,
        DerogationRequest.status,
        DerogationRequest.current_tier,
        outcome,
        breached,
        mass,
    )
    where = period_filter(user, period_id)
    if timed_only:
        where = and_(where, col(DerogationRequest.status).in_(TIMED_VALUES))
    sums = (func.count(), func.coalesce(func.sum(DerogationRequest.doctors_requested), 0), func.sum(approved_doctors))
    return select(*keys, *sums).where(where).group_by(*keys)


def _tally_grouped(scope: ColumnElement[bool], period_id: int) -> Select:
    """Closed requests from the tally, as BREAKDOWN_COLUMNS: their outcome is their status, and nothing
    closed is breached."""
    approved_doctors = case((Tally.status == Status.APPROVED.value, Tally.approved_doctors), else_=0)
    mass = case((col(Tally.mass_casualty), 1), else_=0)
    keys = (Tally.region_code, Tally.category, Tally.status, Tally.current_tier, mass)
    return (
        select(
            Tally.region_code,
            Tally.category,
            Tally.status,
            func.nullif(Tally.current_tier, ""),
            Tally.status.label("outcome"),
            literal(0),
            mass,
            func.sum(Tally.requests),
            func.sum(Tally.doctors_requested),
            func.sum(approved_doctors),
        )
        .where(scope, Tally.strike_period_id == period_id, col(Tally.status).not_in(TIMED_VALUES), Tally.requests > 0)
        .group_by(*keys)
    )


@dataclass(frozen=True)
class Headline:
    """The headline figures; each outcome's count is the field OUTCOME_FIELDS names (core.request.outcomes)."""

    requests: int
    approved: int
    declined: int
    declined_by_bma: int
    not_eligible: int
    withdrawn: int
    pending: int
    not_decided_in_time: int
    resolved_locally: int
    revoked: int
    expired: int
    doctors_requested: int
    doctors_approved: int
    breached_now: int
    mass_casualty: int
    approvals_given: int = 0  # approvals the BMA gave, later revoked or not (NHS England's count)
    doctors_given: int = 0  # doctors in those approvals (what the BMA counts as agreed to return)
    mass_casualty_open: int = 0  # mass-casualty requests still open: the dashboard's banner
    bypasses: int = 0  # requests whose trust recalled doctors under the failsafe bypass
    bypass_doctors: int = 0
    bypass_reviews_due: int = 0
    bypass_not_justified: int = 0


# The Headline field that counts each outcome: its value, but for the BMA's declines (`declined` counts both kinds).
OUTCOME_FIELDS = {outcome: outcome.value for outcome in Outcome} | {Outcome.DECLINED: "declined_by_bma"}


def headline(breakdown: pa.Table, counted: pa.Table | None = None) -> Headline:
    """The figures NHS England publishes, summed from the breakdown (no further query); with `counted`
    (reason_counts, read with it), the approvals given, their doctors and the failsafe bypasses too."""
    requests = breakdown["requests"].to_pylist()
    by_outcome: dict[str, int] = {}
    for outcome, n in zip(breakdown["outcome"].to_pylist(), requests, strict=True):
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n

    def count(outcome: Outcome) -> int:
        return int(by_outcome.get(outcome, 0))

    def where_flagged(column: str) -> int:
        return int(sum(n for flag, n in zip(breakdown[column].to_pylist(), requests, strict=True) if flag == 1))

    by_bypass: dict[str, int] = {}
    given = bypass_doctors = 0
    if counted is not None:
        rows = zip(*(counted[c].to_pylist() for c in ("action", "by_tier", "times", "doctors_requested")), strict=True)
        for action, key, times, doctors in rows:
            if action == BYPASS_ROWS:
                by_bypass[key] = by_bypass.get(key, 0) + times
                bypass_doctors += doctors
            elif action == GIVEN_ROWS:
                given += doctors
    still_open = (Outcome.PENDING, Outcome.NOT_DECIDED_IN_TIME)
    mass_open = sum(
        n
        for flag, outcome, n in zip(
            breakdown["mass_casualty"].to_pylist(), breakdown["outcome"].to_pylist(), requests, strict=True
        )
        if flag == 1 and outcome in still_open
    )

    return Headline(
        requests=int(sum(requests)),
        **{OUTCOME_FIELDS[outcome]: count(outcome) for outcome in Outcome},
        declined=sum(count(outcome) for outcome in DECLINES),
        doctors_requested=int(sum(breakdown["doctors_requested"].to_pylist())),
        doctors_approved=int(sum(breakdown["doctors_approved"].to_pylist())),
        breached_now=where_flagged("breached"),
        mass_casualty=where_flagged("mass_casualty"),
        approvals_given=count(Outcome.APPROVED) + count(Outcome.REVOKED),
        doctors_given=int(given),
        mass_casualty_open=int(mass_open),
        bypasses=int(sum(n for state, n in by_bypass.items() if state != BypassState.NONE.value)),
        bypass_doctors=int(bypass_doctors),
        bypass_reviews_due=int(by_bypass.get(BypassState.REVIEW_DUE.value, 0)),
        bypass_not_justified=int(by_bypass.get(BypassState.NOT_JUSTIFIED.value, 0)),
    )


# ---------------------------------------------------------------- reasons (docs/rules.md rule 9)

REASON_COLUMNS = ["action", "by_tier", "reason", "times", "doctors_requested"]
REASON_TYPES = {
    "action": pa.string(),
    "by_tier": pa.string(),
    "reason": pa.string(),
    "times": pa.int64(),
    "doctors_requested": pa.int64(),
}


# Rows of reason_counts that are not reasons: (BYPASS_ROWS, bypass state, "", requests, doctors recalled) and
# (GIVEN_ROWS, "", "", approvals given, doctors in them). Neither depends on the clock, so they come from the
# tally with the reasons, in the same statement.
BYPASS_ROWS = "#bypass"
GIVEN_ROWS = "#approvals_given"


def _other_counts(
    viewer: User, period_id: int | None, tally_scope: ColumnElement[bool] | None
) -> tuple[Select, Select]:
    """The failsafe bypasses by state, and the approvals given with their doctors, as reason rows."""
    if tally_scope is not None and period_id is not None:
        where = and_(tally_filter(viewer), Tally.strike_period_id == period_id, Tally.requests > 0)
        bypass = (
            select(
                literal(BYPASS_ROWS),
                Tally.bypass,
                literal(""),
                func.sum(Tally.requests),
                func.sum(Tally.bypass_doctors),
            )
            .where(where, Tally.bypass != BypassState.NONE.value)
            .group_by(Tally.bypass)
        )
        given = select(
            literal(GIVEN_ROWS), literal(""), literal(""), func.sum(Tally.requests), func.sum(Tally.approved_doctors)
        ).where(where, col(Tally.status).in_(GIVEN_VALUES))
        return bypass, given
    where = period_filter(viewer, period_id)
    state = bypass_state_sql()
    bypass = (
        select(
            literal(BYPASS_ROWS),
            state,
            literal(""),
            func.count(),
            func.sum(func.coalesce(DerogationRequest.bypass_doctors, 0)),
        )
        .where(where, col(DerogationRequest.bypass_recorded_at).is_not(None))
        .group_by(state)
    )
    given = select(
        literal(GIVEN_ROWS),
        literal(""),
        literal(""),
        func.count(),
        func.sum(func.coalesce(DerogationRequest.approved_doctors, 0)),
    ).where(where, col(DerogationRequest.status).in_(GIVEN_VALUES))
    return bypass, given


@lru_cache(maxsize=256)
def _reasons_statement(scope: tuple, period_id: int | None) -> Select:
    """The reasons given in one period and scope, grouped by action, tier and reason: from the reason tally
    where the scope is whole regions, else from the reasons themselves (joined to their requests' scope);
    with them, one statement, the bypasses and approvals given (_other_counts)."""
    viewer = _viewer(scope)
    tally_scope = tally_filter(viewer, ReasonTally)
    if tally_scope is not None and period_id is not None:
        keys = (ReasonTally.action, ReasonTally.by_tier, ReasonTally.reason)
        reasons = (
            select(*keys, func.sum(ReasonTally.times), func.sum(ReasonTally.doctors_requested))
            .where(tally_scope, ReasonTally.strike_period_id == period_id, ReasonTally.times > 0)
            .group_by(*keys)
        )
    else:
        counted = reasons_grouped(period_filter(viewer, period_id)).subquery()
        keys = (counted.c.action, counted.c.by_tier, counted.c.reason)
        reasons = select(*keys, func.sum(counted.c.times), func.sum(counted.c.doctors)).group_by(*keys)
    return union_all(reasons, *_other_counts(viewer, period_id, tally_scope))


def _reasons(session: Session, user: User, period_id: int | None) -> pa.Table:
    rows = [tuple(r) for r in session.execute(_reasons_statement(scope_key(user), period_id))]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(REASON_COLUMNS)
    return pa.table(
        [
            pa.array([int(v or 0) for v in values] if REASON_TYPES[name] == pa.int64() else values, REASON_TYPES[name])
            for name, values in zip(REASON_COLUMNS, columns, strict=True)
        ],
        names=REASON_COLUMNS,
    )


def reason_counts(user: User, period_id: int | None) -> pa.Table:
    """How many times each reason was given with each kind of action at each tier in the period, in the
    user's scope, and the doctors those requests asked for (columns REASON_COLUMNS). A decline may give
    several reasons, so these add up to more than the declines; the rows whose reason is EVERY_REASON ("")
    count the actions themselves, once each (declines by who declined)."""
    period_id = strike_period_id(period_id)
    with read_session() as session:
        return _reasons(session, user, period_id)


def _bucket(session: Session, column: ColumnElement, hourly: bool) -> ColumnElement[str]:
    """A time column truncated to the hour (or day) as text 'YYYY-MM-DD HH', on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24" if hourly else "YYYY-MM-DD")
    return func.substr(column, 1, 13 if hourly else 10)


def _parse_bucket(text: str) -> datetime:
    fmt = "%Y-%m-%d %H" if len(text) > 10 else "%Y-%m-%d"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


# The deeds the timeline counts, by their names in the figures (core.lifecycle).
TIMELINE_EVENTS = {a.value: step(a).in_figures for a in (Action.SUBMIT, Action.APPROVE, Action.DECLINE)}


def dashboard_timeline(user: User, period: StrikePeriod | None) -> pd.DataFrame:
    """Submissions and BMA decisions per hour (per day for periods over a week) in the user's scope:
    columns at (UTC), event, requests, doctors (approved doctors for approvals)."""
    columns = ["at", "event", "requests", "doctors"]
    if period is None:
        return pd.DataFrame(columns=columns)
    hourly = period.ends_at - period.starts_at <= timedelta(days=7)
    scope = period_filter(user, period.id)
    with read_session() as session:
        submitted = _bucket(session, col(DerogationRequest.submitted_at), hourly)
        decided = _bucket(session, col(DerogationRequest.decided_at), hourly)
        rows = [
            (bucket, Action.SUBMIT.value, n, 0)
            for bucket, n in session.exec(
                select(submitted, func.count())
                .where(scope, col(DerogationRequest.submitted_at).is_not(None))
                .group_by(submitted)
            ).all()
        ]
        approved_doctors = func.coalesce(func.sum(DerogationRequest.approved_doctors), 0)
        # A revoked approval was still an approval when it was given.
        outcome = case(
            (DerogationRequest.status == Status.DECLINED.value, literal(Action.DECLINE.value)),
            else_=literal(Action.APPROVE.value),
        )
        rows += session.exec(
            select(decided, outcome, func.count(), approved_doctors)
            .where(scope, col(DerogationRequest.decided_at).is_not(None))
            .group_by(decided, outcome)
        ).all()
    frame = pd.DataFrame([(_parse_bucket(b), e, int(n), int(d or 0)) for b, e, n, d in rows], columns=columns)
    frame["event"] = frame["event"].map(TIMELINE_EVENTS)
    return frame.sort_values("at", kind="stable").reset_index(drop=True)


def attention(user: User, period_id: int | None, now: datetime | None = None) -> list[ListRow]:
    """Open requests that need attention now: breached at their tier, or close to (or past) their
    decision-needed-by time; soonest deadline first."""
    period_id = strike_period_id(period_id)
    with read_session() as session:
        return _attention(session, user, period_id, now or utcnow(), tier_targets(session))


@dataclass(frozen=True)
class ListFilters:
    """The dashboard's list: region, category and outcome within the chosen period; a reason given with a
    decline, return or revocation (core.enums.Reason); the failsafe bypass (any, or a core.enums.BypassState);
    and a search (core.queries.search: a request number, or words)."""

    region: str | None = None
    category: str | None = None
    outcome: str | None = None
    reason: str | None = None
    bypass: str | None = None
    search: str | None = None


ANY_BYPASS = "any"


def list_condition(user: User, period_id: int | None, filters: ListFilters, now: datetime) -> ColumnElement[bool]:
    parts = [period_filter(user, period_id)]
    if filters.region:
        parts.append(DerogationRequest.region_code == filters.region)
    if filters.category:
        parts.append(DerogationRequest.category == filters.category)
    if filters.outcome:
        parts.append(outcome_sql(now) == filters.outcome)
    if filters.reason:
        given = select(RequestReason.id).where(
            RequestReason.request_id == DerogationRequest.id, RequestReason.reason == filters.reason
        )
        parts.append(given.exists())
    if filters.bypass == ANY_BYPASS:
        parts.append(col(DerogationRequest.bypass_recorded_at).is_not(None))
    elif filters.bypass:
        parts.append(and_(col(DerogationRequest.bypass_recorded_at).is_not(None), bypass_state_sql() == filters.bypass))
    searched = search_condition(filters.search)
    if searched is not None:
        parts.append(searched)
    return and_(*parts)


def period_requests(
    user: User, period_id: int | None, filters: ListFilters, *, limit: int = LIST_LIMIT, now: datetime | None = None
) -> tuple[list[ListRow], int]:
    now = now or utcnow()
    where = list_condition(user, period_id, filters, now)
    with read_session() as session:
        return list_page(session, where, (col(DerogationRequest.id).desc(),), limit, now)
