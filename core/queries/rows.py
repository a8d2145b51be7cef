"""One request as a list shows it: the columns lists load, and the timing and latest action
worked out for a page of rows in a fixed number of queries (never one per row)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.enums import OPEN_STATUSES, Action, Status, Tier
from core.models import AuditEvent, DerogationRequest, Region, Trust
from core.timing import tier_targets

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


OPEN_VALUES = [s.value for s in OPEN_STATUSES]
CLOSED_VALUES = [s.value for s in Status if s not in OPEN_STATUSES and s is not Status.DRAFT]


def listed() -> Select:
    """SELECT of requests for a list: only the columns a row shows."""
    return select(Req).options(load_only(*LIST_COLUMNS))


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


def region_names(session: Session) -> dict[str, str]:
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


def trust_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    codes = sorted(set(codes))
    if not codes:
        return {}
    return dict(session.exec(select(Trust.ods_code, Trust.name).where(col(Trust.ods_code).in_(codes))).all())


def list_rows(session: Session, requests: list[DerogationRequest], now: datetime) -> list[ListRow]:
    targets = tier_targets(session)
    latest = _latest_events(session, [r.id for r in requests])
    trusts = trust_names(session, (r.trust_code for r in requests))
    regions = region_names(session)
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
