"""One request as a list shows it: the columns lists load, with each request's latest action and its
trust's and region's names joined in the same query (never one query per row), and its timing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, null
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.enums import OPEN_STATUSES, Action, Status, Tier
from core.models import AuditEvent, DerogationRequest, Region, Trust
from core.request import timing

LIST_LIMIT = 100
# The columns a list row needs: reading only these keeps long lists cheap (no JSON, no long text).
LIST_COLUMNS = (
    DerogationRequest.id,
    DerogationRequest.version,
    DerogationRequest.status,
    DerogationRequest.current_tier,
    DerogationRequest.tier_entered_at,
    DerogationRequest.trust_code,
    DerogationRequest.region_code,
    DerogationRequest.site,
    DerogationRequest.service,
    DerogationRequest.category,
    DerogationRequest.mass_casualty,
    DerogationRequest.decision_needed_by,
    DerogationRequest.submitted_at,
)


OPEN_VALUES = [s.value for s in OPEN_STATUSES]
CLOSED_VALUES = [s.value for s in Status if s not in OPEN_STATUSES and s is not Status.DRAFT]


@dataclass(frozen=True, slots=True)
class Listed:
    """A request as a list shows it: the LIST_COLUMNS only, read as plain values (no ORM object to
    build per row). Same attribute names as DerogationRequest."""

    id: int
    version: int
    status: str
    current_tier: str | None
    tier_entered_at: datetime | None
    trust_code: str
    region_code: str
    site: str
    service: str
    category: str
    mass_casualty: bool
    decision_needed_by: datetime | None
    submitted_at: datetime | None


# Each request's newest audit row, looked up per listed row through the index on request_id.
_NEWEST = aliased(AuditEvent, name="newest")
_LATEST_ID = (
    select(func.max(_NEWEST.id))
    .where(_NEWEST.request_id == DerogationRequest.id)
    .correlate(DerogationRequest)
    .scalar_subquery()
)


def listed(where: ColumnElement[bool], order: Sequence[ColumnElement], limit: int, *, latest: bool = True) -> Select:
    """SELECT of one page of requests for a list: the LIST_COLUMNS, then each request's newest audit row
    (action, when, who; NULLs when `latest` is False, for a list that does not show it) and its
    trust's and region's names. The page's ids are chosen first (often from an index alone), so only
    those rows are read and joined. Read it with read_rows()."""
    page = select(DerogationRequest.id).where(where).order_by(*order).limit(limit)
    newest = (AuditEvent.action, AuditEvent.at, AuditEvent.actor_name) if latest else (null(), null(), null())
    query = select(*LIST_COLUMNS, *newest, Trust.name, Region.name).select_from(DerogationRequest)
    if latest:
        query = query.outerjoin(AuditEvent, col(AuditEvent.id) == _LATEST_ID)
    return (
        query.outerjoin(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
        .outerjoin(Region, col(Region.code) == DerogationRequest.region_code)
        .where(col(DerogationRequest.id).in_(page))
        .order_by(*order)
    )


@dataclass(frozen=True)
class ListRow:
    """One request as a list or queue shows it, with its timing worked out once."""

    request: Listed | DerogationRequest  # the whole request where one request's record is read
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


def request_row(session: Session, request: DerogationRequest, now: datetime) -> ListRow:
    """One request's list row, timing worked out at `now` (one request's record): the request, already
    read in full, stands in the row for its plain listed values."""
    statement = listed(DerogationRequest.id == request.id, (DerogationRequest.id,), 1)
    (row,) = read_rows(session, statement, {}, now, timing.tier_targets(session), whole=request)
    return row


def read_rows(
    session: Session,
    statement: Select,
    params: dict,
    now: datetime,
    targets: dict[Tier, int],
    *,
    whole: DerogationRequest | None = None,
) -> list[ListRow]:
    """The list rows of a listed() statement (built once and run with `params`, or built afresh)."""
    width = len(LIST_COLUMNS)
    rows = []
    for values in session.connection().execute(statement, params):
        listed_request = Listed(*values[:width])
        action, action_at, actor_name, trust_name, region_name = values[width:]
        request = whole if whole is not None and whole.id == listed_request.id else listed_request
        rows.append(_list_row(request, action, action_at, actor_name, trust_name, region_name, now, targets))
    return rows


def list_page(
    session: Session,
    where: ColumnElement[bool],
    order: Sequence[ColumnElement],
    limit: int,
    now: datetime,
    targets: dict[Tier, int] | None = None,
) -> tuple[list[ListRow], int]:
    """One page of list rows and how many requests match in all: counted only when the page is full
    (a page with room to spare already holds every match)."""
    rows = read_rows(session, listed(where, order, limit), {}, now, targets or timing.tier_targets(session))
    if len(rows) < limit:
        return rows, len(rows)
    return rows, session.exec(select(func.count()).select_from(DerogationRequest).where(where)).one()


def _list_row(
    request: Listed | DerogationRequest,
    action: str | None,
    action_at: datetime | None,
    actor_name: str | None,
    trust_name: str | None,
    region_name: str | None,
    now: datetime,
    targets: dict[Tier, int],
) -> ListRow:
    return ListRow(
        request=request,
        trust_name=trust_name or request.trust_code,
        region_name=region_name or request.region_code,
        latest_action=_action_label(action) if action else "",
        latest_at=action_at,
        latest_by=actor_name or "",
        minutes_at_tier=timing.minutes_at_tier(request, now),
        target_minutes=timing.target_minutes(request, targets),
        breached=timing.is_breached(request, targets, now),
        minutes_to_decision=timing.minutes_to_decision(request, now),
        not_decided_in_time=timing.not_decided_in_time(request, now),
    )


def _action_label(action: str) -> str:
    try:
        return Action(action).label
    except ValueError:
        return action.replace("_", " ").capitalize()
