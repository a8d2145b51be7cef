"""The system's one deed: open requests expire with their strike period (docs/rules.md rule 1)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from core.enums import OPEN_STATUSES, Action
from core.models import DerogationRequest, StrikePeriod
from core.platform.clock import format_london, utcnow
from core.platform.db import read_session, write_session
from core.reference import periods
from core.workflow.command import apply


def expire_ended_periods(now: datetime | None = None) -> int:
    """Close every request still open when its strike period ended; returns how many were expired."""
    now = now or utcnow()
    expired = 0
    ended = select(StrikePeriod.id).where(periods.ended_sql(now), col(StrikePeriod.expired_processed_at).is_(None))
    with read_session() as session:  # the common case, nothing to do, must not take the write lock
        if session.exec(ended.limit(1)).first() is None:
            return 0
    with write_session() as session:
        # Locks (PostgreSQL; SQLite writers are serial anyway): when a period ends, every app process
        # tries this at once; the others wait, then find the period processed or the request closed.
        ended_periods = session.exec(
            select(StrikePeriod)
            .where(periods.ended_sql(now), col(StrikePeriod.expired_processed_at).is_(None))
            .with_for_update()
        ).all()
        for period in ended_periods:
            open_requests = session.exec(
                select(DerogationRequest)
                .where(
                    DerogationRequest.strike_period_id == period.id,
                    col(DerogationRequest.status).in_([s.value for s in OPEN_STATUSES]),
                )
                .order_by(DerogationRequest.id)
                .with_for_update()
            ).all()
            for request in open_requests:
                apply(
                    session,
                    request,
                    request.version,
                    None,
                    Action.EXPIRE,
                    {"closed_at": period.ends_at},  # closed when its period ended, not when this ran
                    rationale=f"The strike period '{period.name}' ended at {format_london(period.ends_at)}.",
                    now=now,
                )
                expired += 1
            period.expired_processed_at = now
            session.add(period)
    return expired
