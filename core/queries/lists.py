"""The trust's own list, the review queues and one request's whole record, each in the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, true
from sqlmodel import col, select

from core.access_control.permissions import Deed, offers, reviews_bypasses
from core.access_control.scope import Scope, reviewer_tier
from core.access_control.visibility import load_visible, queue_filter, visible_filter
from core.enums import Action, Status
from core.models import AuditEvent, Comment, DerogationRequest, Region, StrikePeriod, Trust, User
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.platform.errors import DerogationError
from core.queries.rows import (
    CLOSED_VALUES,
    LIST_LIMIT,
    OPEN_VALUES,
    ListRow,
    list_page,
    request_row,
)
from core.reference import periods
from core.request.timing import breached_sql, tier_targets

# Filters offered on the trust's list.
STATUS_GROUPS = {
    "open": "Open (in review or waiting for your answer)",
    "more_info": "Waiting for your answer",
    "draft": "Drafts",
    "closed": "Closed",
    "all": "All",
}


def _status_group(group: str) -> ColumnElement[bool]:
    if group == "open":
        return col(DerogationRequest.status).in_(OPEN_VALUES)
    if group == "more_info":
        return DerogationRequest.status == Status.MORE_INFO.value
    if group == "draft":
        return DerogationRequest.status == Status.DRAFT.value
    if group == "closed":
        return col(DerogationRequest.status).in_(CLOSED_VALUES)
    return true()


def trust_requests(
    user: User, *, group: str = "all", limit: int = LIST_LIMIT, now: datetime | None = None
) -> tuple[list[ListRow], int]:
    """The trust's own requests (the user's scope), open ones first, newest first; and how many match."""
    now = now or utcnow()
    where = and_(visible_filter(user), _status_group(group))
    # What needs the trust first (a question to answer, a draft), then what waits for a reviewer.
    open_first = case(
        (DerogationRequest.status == Status.MORE_INFO.value, 0),
        (DerogationRequest.status == Status.DRAFT.value, 1),
        (DerogationRequest.status == Status.IN_REVIEW.value, 2),
        else_=3,
    )
    with read_session() as session:
        return list_page(session, where, (open_first, col(DerogationRequest.id).desc()), limit, now)


@dataclass(frozen=True)
class QueueFilters:
    region: str | None = None
    trust: str | None = None
    category: str | None = None

    def condition(self) -> ColumnElement[bool]:
        parts = []
        if self.region:
            parts.append(DerogationRequest.region_code == self.region)
        if self.trust:
            parts.append(DerogationRequest.trust_code == self.trust)
        if self.category:
            parts.append(DerogationRequest.category == self.category)
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
        order = (
            col(DerogationRequest.mass_casualty).desc(),
            breached_first,
            col(DerogationRequest.tier_entered_at).asc(),
            DerogationRequest.id,
        )
        return list_page(session, where, order, limit, now, targets)


def next_waiting(user: User, *, besides: int | None = None, now: datetime | None = None) -> int | None:
    """The request the user should open next: the first of their queue (its order), other than `besides`
    (the one just decided, should it still be there); None when nothing else waits at their tier."""
    rows, _ = queue(user, limit=2, now=now)
    return next((row.request.id for row in rows if row.request.id != besides), None)


def queue_choices(user: User) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """Region code -> name and trust code -> name that have something in the user's queue, for its
    filters, in name order; None for a filter the user's scope does not span (a trust's reviewers
    have one trust, a region's one region)."""
    tier = reviewer_tier(user)
    if tier is None:
        return None, None
    pairs = (
        select(DerogationRequest.region_code, Region.name, DerogationRequest.trust_code, Trust.name)
        .select_from(DerogationRequest)
        .outerjoin(Region, col(Region.code) == DerogationRequest.region_code)
        .outerjoin(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
        .where(queue_filter(user, tier))
        .group_by(DerogationRequest.region_code, Region.name, DerogationRequest.trust_code, Trust.name)
    )
    with read_session() as session:
        found = session.connection().execute(pairs).all()  # one row per trust with something waiting
    regions = {code: name or code for code, name, _, _ in found}
    trusts = {code: name or code for _, _, code, name in found}
    scope = Scope.of(user)
    return (
        dict(sorted(regions.items(), key=lambda x: x[1])) if scope.spans_regions else None,
        dict(sorted(trusts.items(), key=lambda x: x[1])) if scope.spans_trusts else None,
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
    viewer: User
    request: DerogationRequest
    row: ListRow
    events: list[AuditEvent]
    comments: list[CommentRow]
    period: StrikePeriod | None
    filed_by: str
    refusals: dict[Deed, DerogationError | None]  # core.access_control.permissions.offers: what the viewer may do now

    def offers(self, deed: Deed) -> bool:
        """The page offers `deed` only when the workflow would accept it (same question, same answer)."""
        return self.refusals[deed] is None

    def why_not(self, deed: Deed) -> str | None:
        refused = self.refusals[deed]
        return str(refused) if refused is not None else None

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
        rules_period = periods.of_request(session, request, now)  # for a draft, the one it would go into
        period = rules_period if request.strike_period_id is not None else None
        filer = session.get(User, request.created_by_id)
        row = request_row(session, request, now)
        refusals = offers(user, request, period=rules_period, now=now, history=events)
        return RequestRecord(user, request, row, events, comments, period, filer.full_name if filer else "", refusals)


# ---------------------------------------------------------------- failsafe bypasses (docs/rules.md rule 5)


@dataclass(frozen=True)
class BypassRow:
    """One recall under the failsafe bypass, as the national MDT's review list shows it."""

    request_id: int
    version: int
    trust_name: str
    service: str
    status: str
    recalled_at: datetime
    doctors: int
    grades: list[str]
    declared_by: str
    stood_down_at: datetime | None
    review: str | None
    reviewed_at: datetime | None

    @property
    def ready_for_review(self) -> bool:
        """The route has ended, so the whole episode can be judged (core.access_control.permissions: Deed.REVIEW_BYPASS)."""
        return self.review is None and self.status not in OPEN_VALUES


BYPASS_LIMIT = 200


def bypass_reviews(user: User, *, include_reviewed: bool = False, limit: int = BYPASS_LIMIT) -> list[BypassRow]:
    """Every recall under the failsafe bypass the national MDT has still to review (with `include_reviewed`,
    the reviewed ones after them): those whose route has ended first, oldest recall first. Empty for
    anyone but the national MDT, who review them."""
    if not reviews_bypasses(user):
        return []
    where = and_(visible_filter(user), col(DerogationRequest.bypass_recorded_at).is_not(None))
    if not include_reviewed:
        where = and_(where, col(DerogationRequest.bypass_review).is_(None))
    order = (
        case(
            (col(DerogationRequest.bypass_review).is_not(None), 2),
            (col(DerogationRequest.status).in_(OPEN_VALUES), 1),
            else_=0,
        ),
        col(DerogationRequest.bypass_recalled_at).asc(),
        DerogationRequest.id,
    )
    query = (
        select(
            DerogationRequest.id,
            DerogationRequest.version,
            Trust.name,
            DerogationRequest.service,
            DerogationRequest.status,
            DerogationRequest.bypass_recalled_at,
            DerogationRequest.bypass_doctors,
            DerogationRequest.bypass_grades,
            DerogationRequest.bypass_declared_by,
            DerogationRequest.bypass_stood_down_at,
            DerogationRequest.bypass_review,
            DerogationRequest.bypass_reviewed_at,
        )
        .outerjoin(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
        .where(where)
        .order_by(*order)
        .limit(limit)
    )
    with read_session() as session:
        return [
            BypassRow(
                request_id=r[0],
                version=r[1],
                trust_name=r[2] or "",
                service=r[3],
                status=r[4],
                recalled_at=r[5],
                doctors=r[6] or 0,
                grades=list(r[7] or []),
                declared_by=r[8],
                stood_down_at=r[9],
                review=r[10],
                reviewed_at=r[11],
            )
            for r in session.exec(query).all()
        ]
