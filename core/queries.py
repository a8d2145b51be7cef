"""What the pages read: lists, review queues, one request's record, dashboard aggregates, CSV exports
and the public check of a confirmation reference.

Every query is scoped through core.access (visible_filter / queue_filter), lists are capped, and the
dashboard is aggregated in SQL with GROUP BY so only small tables ever reach Python."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, true
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.access import load_visible, queue_filter, reviewer_tier, visible_filter
from core.clock import format_london, utcnow
from core.db import read_session
from core.enums import OPEN_STATUSES, Action, Category, Role, Status, Tier
from core.models import AuditEvent, Comment, DerogationRequest, Region, StrikePeriod, Trust, User
from core.notify import unread_count
from core.timing import NEAR_DEADLINE, breached_sql, not_decided_in_time_sql, tier_targets
from core.workflow import current_period, next_period

Req = DerogationRequest
LIST_LIMIT = 100
# The columns a list row needs: loading only these keeps long lists cheap (no JSON, no long text).
LIST_COLUMNS = (
    Req.id,
    Req.version,
    Req.status,
    Req.current_tier,
    Req.tier_entered_at,
    Req.trust_code,
    Req.region_code,
    Req.site,
    Req.service,
    Req.category,
    Req.mass_casualty,
    Req.decision_needed_by,
    Req.submitted_at,
)


def _listed() -> Select:
    return select(Req).options(load_only(*LIST_COLUMNS))


ATTENTION_LIMIT = 50
OPEN_VALUES = [s.value for s in OPEN_STATUSES]
CLOSED_VALUES = [s.value for s in Status if s not in OPEN_STATUSES and s is not Status.DRAFT]

# The outcome of a submitted request as the national figures count it (DESIGN rule 8: a request
# still undecided when its decision-needed-by passes is "not decided in time", not "pending").
OUTCOME_LABELS = {
    "pending": "Pending",
    "not_decided_in_time": "Not decided in time",
    "approved": "Approved",
    "revoked": "Approval revoked",
    "declined": "Declined by the BMA",
    "not_eligible": "Declined: does not meet the criteria",
    "resolved_locally": "Resolved locally",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}
# Filters offered on the trust's list.
STATUS_GROUPS = {
    "open": "Open (in review or waiting for your answer)",
    "more_info": "Waiting for your answer",
    "draft": "Drafts",
    "closed": "Closed",
    "all": "All",
}


# ---------------------------------------------------------------- list rows


@dataclass(frozen=True)
class ListRow:
    """One request as a list or queue shows it, with its timing worked out once."""

    request: DerogationRequest
    trust_name: str
    region_name: str
    latest_action: str
    latest_at: datetime | None
    latest_by: str
    minutes_at_tier: float | None
    target_minutes: int | None
    breached: bool
    minutes_to_decision: float | None
    not_decided_in_time: bool


def _region_names(session: Session) -> dict[str, str]:
    return {r.code: r.name for r in session.exec(select(Region)).all()}


@dataclass(frozen=True)
class LatestAction:
    action: str
    at: datetime
    actor_name: str


def _latest_events(session: Session, ids: list[int]) -> dict[int, LatestAction]:
    """The newest audit row of each request, in one query (never one per row)."""
    if not ids:
        return {}
    newest = (
        select(func.max(AuditEvent.id))
        .where(col(AuditEvent.request_id).in_(ids))
        .group_by(AuditEvent.request_id)
        .scalar_subquery()
    )
    rows = session.exec(
        select(AuditEvent.request_id, AuditEvent.action, AuditEvent.at, AuditEvent.actor_name).where(
            col(AuditEvent.id).in_(newest)
        )
    ).all()
    return {request_id: LatestAction(action, at, name) for request_id, action, at, name in rows}


def _trust_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    codes = sorted(set(codes))
    if not codes:
        return {}
    return dict(session.exec(select(Trust.ods_code, Trust.name).where(col(Trust.ods_code).in_(codes))).all())


def _list_rows(session: Session, requests: list[DerogationRequest], now: datetime) -> list[ListRow]:
    targets = tier_targets(session)
    latest = _latest_events(session, [r.id for r in requests])
    trusts = _trust_names(session, (r.trust_code for r in requests))
    regions = _region_names(session)
    rows = []
    for request in requests:
        event = latest.get(request.id)
        in_review = request.status == Status.IN_REVIEW and request.tier_entered_at is not None
        at_tier = (now - request.tier_entered_at).total_seconds() / 60 if in_review else None
        target = targets[Tier(request.current_tier)] if in_review and request.current_tier else None
        to_decision = (
            (request.decision_needed_by - now).total_seconds() / 60 if request.decision_needed_by is not None else None
        )
        undecided = request.status in {*OPEN_VALUES, Status.EXPIRED.value}
        rows.append(
            ListRow(
                request=request,
                trust_name=trusts.get(request.trust_code, request.trust_code),
                region_name=regions.get(request.region_code, request.region_code),
                latest_action=_action_label(event.action) if event else "",
                latest_at=event.at if event else None,
                latest_by=event.actor_name if event else "",
                minutes_at_tier=at_tier,
                target_minutes=target,
                breached=at_tier is not None and target is not None and at_tier > target,
                minutes_to_decision=to_decision,
                not_decided_in_time=undecided and to_decision is not None and to_decision < 0,
            )
        )
    return rows


def _action_label(action: str) -> str:
    try:
        return Action(action).label
    except ValueError:
        return action.replace("_", " ").capitalize()


def _status_group(group: str) -> ColumnElement[bool]:
    if group == "open":
        return col(Req.status).in_(OPEN_VALUES)
    if group == "more_info":
        return Req.status == Status.MORE_INFO.value
    if group == "draft":
        return Req.status == Status.DRAFT.value
    if group == "closed":
        return col(Req.status).in_(CLOSED_VALUES)
    return true()


def trust_requests(
    user: User, *, group: str = "all", limit: int = LIST_LIMIT, now: datetime | None = None
) -> tuple[list[ListRow], int]:
    """The trust's own requests (the user's scope), open ones first, newest first; and how many match."""
    now = now or utcnow()
    where = and_(visible_filter(user), _status_group(group))
    # What needs the trust first (a question to answer, a draft), then what waits for a reviewer.
    open_first = case(
        (Req.status == Status.MORE_INFO.value, 0),
        (Req.status == Status.DRAFT.value, 1),
        (Req.status == Status.IN_REVIEW.value, 2),
        else_=3,
    )
    with read_session() as session:
        total = session.exec(select(func.count()).select_from(Req).where(where)).one()
        requests = list(session.exec(_listed().where(where).order_by(open_first, col(Req.id).desc()).limit(limit)))
        return _list_rows(session, requests, now), total


@dataclass(frozen=True)
class QueueFilters:
    region: str | None = None
    trust: str | None = None
    category: str | None = None

    def condition(self) -> ColumnElement[bool]:
        parts = []
        if self.region:
            parts.append(Req.region_code == self.region)
        if self.trust:
            parts.append(Req.trust_code == self.trust)
        if self.category:
            parts.append(Req.category == self.category)
        return and_(true(), *parts)


def queue(
    user: User, filters: QueueFilters = QueueFilters(), *, limit: int = LIST_LIMIT, now: datetime | None = None
) -> tuple[list[ListRow], int]:
    """Requests waiting at the user's tier in their scope: mass casualty first, then breached, then oldest."""
    now = now or utcnow()
    tier = reviewer_tier(user)
    if tier is None:
        return [], 0
    with read_session() as session:
        targets = tier_targets(session)
        where = and_(queue_filter(user, tier), filters.condition())
        breached_first = case((breached_sql(targets, now), 0), else_=1)
        order = (col(Req.mass_casualty).desc(), breached_first, col(Req.tier_entered_at).asc(), Req.id)
        total = session.exec(select(func.count()).select_from(Req).where(where)).one()
        requests = list(session.exec(_listed().where(where).order_by(*order).limit(limit)))
        return _list_rows(session, requests, now), total


def queue_choices(user: User) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(region code, name) and (trust code, name) that have something in the user's queue, for filters."""
    tier = reviewer_tier(user)
    if tier is None:
        return [], []
    with read_session() as session:
        where = queue_filter(user, tier)
        region_codes = session.exec(select(Req.region_code).where(where).group_by(Req.region_code)).all()
        trust_codes = session.exec(select(Req.trust_code).where(where).group_by(Req.trust_code)).all()
        regions = _region_names(session)
        trusts = _trust_names(session, trust_codes)
    return (
        sorted(((code, regions.get(code, code)) for code in region_codes), key=lambda x: x[1]),
        sorted(((code, trusts.get(code, code)) for code in trust_codes), key=lambda x: x[1]),
    )


# ---------------------------------------------------------------- one request


@dataclass(frozen=True)
class CommentRow:
    at: datetime
    author: str
    role: str
    body: str


@dataclass(frozen=True)
class RequestRecord:
    request: DerogationRequest
    row: ListRow
    events: list[AuditEvent]
    comments: list[CommentRow]
    period: StrikePeriod | None
    filed_by: str

    @property
    def question(self) -> AuditEvent | None:
        """The newest 'more information' question, if the request is waiting for an answer."""
        if self.request.status != Status.MORE_INFO:
            return None
        asked = [e for e in self.events if e.action == Action.RETURN_FOR_INFO.value]
        return asked[-1] if asked else None


def request_record(user: User, request_id: object, now: datetime | None = None) -> RequestRecord:
    """Everything about one request in the user's scope; NotFound exactly as for a missing id."""
    now = now or utcnow()
    with read_session() as session:
        request = load_visible(session, user, request_id)
        events = list(
            session.exec(select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id))
        )
        comments = [
            CommentRow(at=c.at, author=name, role=role, body=c.body)
            for c, name, role in session.exec(
                select(Comment, User.full_name, User.role)
                .join(User, col(User.id) == Comment.author_id)
                .where(Comment.request_id == request.id)
                .order_by(Comment.id)
            ).all()
        ]
        period = session.get(StrikePeriod, request.strike_period_id) if request.strike_period_id else None
        filer = session.get(User, request.created_by_id)
        (row,) = _list_rows(session, [request], now)
        return RequestRecord(request, row, events, comments, period, filer.full_name if filer else "")


def draft_for_edit(user: User, request_id: object) -> DerogationRequest:
    """A request the trust may edit in the form (a draft, or one waiting for their answer)."""
    with read_session() as session:
        return load_visible(session, user, request_id)


# ---------------------------------------------------------------- reference data and periods


def trust_of(code: str | None) -> Trust | None:
    if not code:
        return None
    with read_session() as session:
        return session.get(Trust, code)


def region_name(code: str | None) -> str:
    if not code:
        return ""
    with read_session() as session:
        region = session.get(Region, code)
        return region.name if region else code


def regions() -> list[Region]:
    with read_session() as session:
        return list(session.exec(select(Region).order_by(Region.name)).all())


def trusts_in(region_code: str | None = None) -> list[Trust]:
    with read_session() as session:
        query = select(Trust).order_by(Trust.name)
        if region_code:
            query = query.where(Trust.region_code == region_code)
        return list(session.exec(query).all())


def targets() -> dict[Tier, int]:
    """Each tier's response target in minutes (the defaults unless an administrator changed them)."""
    with read_session() as session:
        return tier_targets(session)


def strike_periods() -> list[StrikePeriod]:
    """Newest first."""
    with read_session() as session:
        return list(session.exec(select(StrikePeriod).order_by(col(StrikePeriod.starts_at).desc())).all())


def periods_now(now: datetime | None = None) -> tuple[StrikePeriod | None, StrikePeriod | None]:
    """The strike period in progress, and the next one to start."""
    with read_session() as session:
        return current_period(session, now), next_period(session, now)


def default_period(periods: list[StrikePeriod], now: datetime | None = None) -> StrikePeriod | None:
    """The period in progress, else the most recent one that has started, else the next one."""
    now = now or utcnow()
    running = [p for p in periods if p.starts_at <= now < p.ends_at]
    started = [p for p in periods if p.starts_at <= now]
    if running:
        return max(running, key=lambda p: p.starts_at)
    if started:
        return max(started, key=lambda p: p.starts_at)
    return min(periods, key=lambda p: p.starts_at) if periods else None


# ---------------------------------------------------------------- dashboard aggregates


def outcome_sql(now: datetime) -> ColumnElement[str]:
    """Each submitted request's outcome for the published figures, as one SQL CASE."""
    return case(
        (not_decided_in_time_sql(now), literal("not_decided_in_time")),
        (col(Req.status).in_(OPEN_VALUES), literal("pending")),
        else_=Req.status,
    )


def _period_scope(user: User, period_id: int | None) -> ColumnElement[bool]:
    if period_id is None:
        return false()
    return and_(visible_filter(user), Req.strike_period_id == period_id, Req.status != Status.DRAFT.value)


BREAKDOWN_COLUMNS = [
    "region_code",
    "category",
    "status",
    "current_tier",
    "outcome",
    "breached",
    "mass_casualty",
    "requests",
    "doctors_requested",
    "doctors_approved",
]


def dashboard_breakdown(user: User, period_id: int | None, now: datetime | None = None) -> pd.DataFrame:
    """One GROUP BY over the period's requests in the user's scope; every headline figure and most
    charts are sums over this small table (at most a few hundred rows, whatever the volume)."""
    now = now or utcnow()
    with read_session() as session:
        targets = tier_targets(session)
        breached = case((breached_sql(targets, now), 1), else_=0)
        outcome = outcome_sql(now)
        approved_doctors = case((Req.status == Status.APPROVED.value, func.coalesce(Req.approved_doctors, 0)), else_=0)
        mass = case((col(Req.mass_casualty), 1), else_=0)
        keys = (Req.region_code, Req.category, Req.status, Req.current_tier, outcome, breached, mass)
        rows = session.exec(
            select(
                *keys,
                func.count(),
                func.coalesce(func.sum(Req.doctors_requested), 0),
                func.sum(approved_doctors),
            )
            .where(_period_scope(user, period_id))
            .group_by(*keys)
        ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=BREAKDOWN_COLUMNS)
    for name in ("breached", "mass_casualty", "requests", "doctors_requested", "doctors_approved"):
        frame[name] = frame[name].fillna(0).astype(int)
    return frame


@dataclass(frozen=True)
class Headline:
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


def headline(breakdown: pd.DataFrame) -> Headline:
    """The figures NHS England publishes, summed from the breakdown (no further query)."""
    by_outcome = breakdown.groupby("outcome")["requests"].sum().to_dict() if len(breakdown) else {}

    def count(name: str) -> int:
        return int(by_outcome.get(name, 0))

    return Headline(
        requests=int(breakdown["requests"].sum()),
        approved=count("approved"),
        declined=count("declined") + count("not_eligible"),
        declined_by_bma=count("declined"),
        not_eligible=count("not_eligible"),
        withdrawn=count("withdrawn"),
        pending=count("pending"),
        not_decided_in_time=count("not_decided_in_time"),
        resolved_locally=count("resolved_locally"),
        revoked=count("revoked"),
        expired=count("expired"),
        doctors_requested=int(breakdown["doctors_requested"].sum()),
        doctors_approved=int(breakdown["doctors_approved"].sum()),
        breached_now=int(breakdown.loc[breakdown["breached"] == 1, "requests"].sum()),
        mass_casualty=int(breakdown.loc[breakdown["mass_casualty"] == 1, "requests"].sum()),
    )


def _bucket(session: Session, column: ColumnElement, hourly: bool) -> ColumnElement[str]:
    """A time column truncated to the hour (or day) as text 'YYYY-MM-DD HH', on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24" if hourly else "YYYY-MM-DD")
    return func.substr(column, 1, 13 if hourly else 10)


def _parse_bucket(text: str) -> datetime:
    fmt = "%Y-%m-%d %H" if len(text) > 10 else "%Y-%m-%d"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


TIMELINE_EVENTS = {"submitted": "Submitted", "approved": "Approved", "declined": "Declined by the BMA"}


def dashboard_timeline(user: User, period: StrikePeriod | None) -> pd.DataFrame:
    """Submissions and BMA decisions per hour (per day for periods over a week) in the user's scope:
    columns at (UTC), event, requests, doctors (approved doctors for approvals)."""
    columns = ["at", "event", "requests", "doctors"]
    if period is None:
        return pd.DataFrame(columns=columns)
    hourly = period.ends_at - period.starts_at <= timedelta(days=7)
    scope = _period_scope(user, period.id)
    with read_session() as session:
        submitted = _bucket(session, col(Req.submitted_at), hourly)
        decided = _bucket(session, col(Req.decided_at), hourly)
        rows = [
            (bucket, "submitted", n, 0)
            for bucket, n in session.exec(
                select(submitted, func.count()).where(scope, col(Req.submitted_at).is_not(None)).group_by(submitted)
            ).all()
        ]
        approved_doctors = func.coalesce(func.sum(Req.approved_doctors), 0)
        # A revoked approval was still an approval when it was given.
        outcome = case((Req.status == Status.DECLINED.value, literal("declined")), else_=literal("approved"))
        rows += session.exec(
            select(decided, outcome, func.count(), approved_doctors)
            .where(scope, col(Req.decided_at).is_not(None))
            .group_by(decided, outcome)
        ).all()
    frame = pd.DataFrame([(_parse_bucket(b), e, int(n), int(d or 0)) for b, e, n, d in rows], columns=columns)
    frame["event"] = frame["event"].map(TIMELINE_EVENTS)
    return frame.sort_values("at", kind="stable").reset_index(drop=True)


def attention(user: User, period_id: int | None, now: datetime | None = None) -> list[ListRow]:
    """Open requests that need attention now: breached at their tier, or close to (or past) their
    decision-needed-by time; soonest deadline first."""
    now = now or utcnow()
    with read_session() as session:
        targets = tier_targets(session)
        # The status test stands on its own so the database reads only open requests (an index on status).
        near = col(Req.decision_needed_by) < now + NEAR_DEADLINE
        where = and_(
            col(Req.status).in_(OPEN_VALUES), _period_scope(user, period_id), or_(breached_sql(targets, now), near)
        )
        requests = list(
            session.exec(
                _listed()
                .where(where)
                .order_by(col(Req.mass_casualty).desc(), col(Req.decision_needed_by).asc(), Req.id)
                .limit(ATTENTION_LIMIT)
            )
        )
        return _list_rows(session, requests, now)


@dataclass(frozen=True)
class ListFilters:
    """The dashboard's list: region, category and outcome within the chosen period."""

    region: str | None = None
    category: str | None = None
    outcome: str | None = None


def _list_condition(user: User, period_id: int | None, filters: ListFilters, now: datetime) -> ColumnElement[bool]:
    parts = [_period_scope(user, period_id)]
    if filters.region:
        parts.append(Req.region_code == filters.region)
    if filters.category:
        parts.append(Req.category == filters.category)
    if filters.outcome:
        parts.append(outcome_sql(now) == filters.outcome)
    return and_(*parts)


def period_requests(
    user: User, period_id: int | None, filters: ListFilters, *, limit: int = LIST_LIMIT, now: datetime | None = None
) -> tuple[list[ListRow], int]:
    now = now or utcnow()
    where = _list_condition(user, period_id, filters, now)
    with read_session() as session:
        total = session.exec(select(func.count()).select_from(Req).where(where)).one()
        requests = list(session.exec(_listed().where(where).order_by(col(Req.id).desc()).limit(limit)))
        return _list_rows(session, requests, now), total


# ---------------------------------------------------------------- CSV downloads

# A cell starting with one of these would run as a formula in a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 1000


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, (list, dict)):
        value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: list[str], rows: Iterator[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
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
]


def requests_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """The filtered list as CSV (every matching row, read in batches; times in UTC ISO 8601)."""
    now = now or utcnow()
    where = _list_condition(user, period_id, filters, now)
    with read_session() as session:
        outcome = outcome_sql(now)
        query = (
            select(Req, outcome, Trust.name)
            .join(Trust, col(Trust.ods_code) == Req.trust_code)
            .where(where)
            .order_by(Req.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        rows = (
            [getattr(r, name) for name in REQUEST_EXPORT_FIELDS[:4]]
            + [trust]
            + [getattr(r, name) for name in REQUEST_EXPORT_FIELDS[4:]]
            + [OUTCOME_LABELS.get(o, o)]
            for r, o, trust in session.exec(query)
        )
        header = REQUEST_EXPORT_FIELDS[:4] + ["trust_name"] + REQUEST_EXPORT_FIELDS[4:] + ["outcome"]
        return _csv(header, rows)


AUDIT_EXPORT_FIELDS = [
    "id",
    "request_id",
    "at",
    "actor_name",
    "actor_role",
    "action",
    "from_status",
    "to_status",
    "from_tier",
    "to_tier",
    "rationale",
    "prev_hash",
    "row_hash",
]


def audit_csv(user: User, period_id: int | None, filters: ListFilters, now: datetime | None = None) -> str:
    """Every audit row of the filtered requests, oldest first, with the chain's hashes."""
    now = now or utcnow()
    where = _list_condition(user, period_id, filters, now)
    with read_session() as session:
        query = (
            select(AuditEvent)
            .join(Req, col(Req.id) == AuditEvent.request_id)
            .where(where)
            .order_by(AuditEvent.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        rows = ([getattr(e, name) for name in AUDIT_EXPORT_FIELDS] for e in session.exec(query))
        return _csv(AUDIT_EXPORT_FIELDS, rows)


# ---------------------------------------------------------------- the public check (rule 7)

REF_PATTERN = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


@dataclass(frozen=True)
class Verification:
    """Only what a doctor needs to check a recall: nothing about patients, people or the risk."""

    reference: str
    trust_name: str
    service: str
    approved_scope: str
    window_start: datetime
    window_end: datetime
    doctors: int
    grades: list[str]
    valid: bool
    revoked_at: datetime | None


def normalise_reference(text: str) -> str:
    """'abcd efgh', 'ABCDEFGH' and 'abcd-efgh' are the same reference."""
    raw = re.sub(r"[\s-]", "", str(text or "")).upper()[:16]
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def verify_reference(text: str) -> Verification | None:
    """The approval behind a confirmation reference, or None when there is none."""
    reference = normalise_reference(text)
    if not REF_PATTERN.match(reference):
        return None
    with read_session() as session:
        found = session.exec(
            select(Req, Trust.name)
            .join(Trust, col(Trust.ods_code) == Req.trust_code)
            .where(
                Req.confirmation_ref == reference,
                col(Req.status).in_([Status.APPROVED.value, Status.REVOKED.value]),
            )
        ).first()
    if found is None:
        return None
    request, trust_name = found
    return Verification(
        reference=reference,
        trust_name=trust_name,
        service=request.service,
        approved_scope=request.approved_scope,
        window_start=request.approved_window_start,
        window_end=request.approved_window_end,
        doctors=request.approved_doctors or 0,
        grades=list(request.approved_grades or []),
        valid=request.status == Status.APPROVED.value,
        revoked_at=request.revoked_at,
    )


# ---------------------------------------------------------------- the header


@dataclass(frozen=True)
class HeaderFacts:
    scope: str
    period: StrikePeriod | None
    next_period: StrikePeriod | None
    unread: int


def header_facts(user: User, now: datetime | None = None) -> HeaderFacts:
    """What the header shows on every page, in one short read."""
    now = now or utcnow()
    with read_session() as session:
        return HeaderFacts(
            scope=scope_label(session, user),
            period=current_period(session, now),
            next_period=next_period(session, now),
            unread=unread_count(session, user),
        )


def fresh_user(user_id: int | None) -> User | None:
    """The account as it is now: a role change or a closed account takes effect on the next click."""
    if user_id is None:
        return None
    with read_session() as session:
        return session.get(User, user_id)


def scope_label(session: Session, user: User) -> str:
    role = Role(user.role)
    if user.trust_code and role in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD):
        trust = session.get(Trust, user.trust_code)
        return f"{trust.name} ({trust.ods_code})" if trust else user.trust_code
    if user.region_code and role is Role.REGIONAL_MD:
        region = session.get(Region, user.region_code)
        return f"{region.name} region" if region else user.region_code
    if role is Role.BMA:
        return "Requests escalated to the BMA"
    if role is Role.ADMIN:
        return "System administration"
    return "England (national)"


def category_label(value: str | None) -> str:
    try:
        return Category(value).label if value else ""
    except ValueError:
        return value or ""


def period_label(period: StrikePeriod) -> str:
    return f"{period.name}: {format_london(period.starts_at)} to {format_london(period.ends_at)}"
