"""Response-target reminders: when a request passes its tier's target, that tier's reviewers in scope
are reminded once. One `tier_reminder` row per visit (request, tier, tier_entered_at), inserted with
ON CONFLICT DO NOTHING, makes the job idempotent however often and from however many processes it runs
(the mail worker's loop, and the app's pages through `core.workflow.upkeep`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core.enums import Status, Tier
from core.models import DerogationRequest, StrikePeriod, TierReminder
from core.notifications import notify
from core.platform.clock import format_duration, utcnow
from core.platform.db import read_session, write_session
from core.reference import periods
from core.request.timing import breached_sql, minutes_at_tier, target_minutes, tier_targets

BATCH = 200  # visits per run; the next run picks up the rest


def _reminded():  # noqa: ANN202  (an EXISTS clause)
    return exists().where(
        TierReminder.request_id == DerogationRequest.id,
        TierReminder.tier == DerogationRequest.current_tier,
        TierReminder.tier_entered_at == DerogationRequest.tier_entered_at,
    )


def due(session: Session, now: datetime, limit: int = BATCH) -> list[tuple[int, str, datetime]]:
    """(request id, tier, tier_entered_at) of breached visits not yet reminded, oldest first."""
    rows = session.exec(
        select(DerogationRequest.id, DerogationRequest.current_tier, DerogationRequest.tier_entered_at)
        .join(StrikePeriod, col(StrikePeriod.id) == DerogationRequest.strike_period_id)
        # A request whose strike has ended can no longer be acted on: it expires, nobody is reminded.
        .where(breached_sql(tier_targets(session), now), ~_reminded(), ~periods.ended_sql(now))
        .order_by(DerogationRequest.tier_entered_at, DerogationRequest.id)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _record_once(session: Session, request: DerogationRequest, recipients: int, now: datetime) -> bool:
    """Claim this visit's reminder; False if another run already did."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(TierReminder)
        .values(
            request_id=request.id,
            tier=request.current_tier,
            tier_entered_at=request.tier_entered_at,
            sent_at=now,
            recipients=recipients,
        )
        .on_conflict_do_nothing(index_elements=["request_id", "tier", "tier_entered_at"])
        .returning(TierReminder.id)  # rowcount is not reliable for ORM inserts: a returned id is
    )
    return session.execute(statement).first() is not None


def send_due_reminders(now: datetime | None = None) -> int:
    """Remind each breached tier visit's reviewers once; returns how many visits were reminded."""
    now = now or utcnow()
    with read_session() as session:
        pending = due(session, now)
    if not pending:
        return 0  # the common case costs one indexed read and no write lock
    sent = 0
    with write_session() as session:
        targets = tier_targets(session)
        for request_id, tier_value, entered in pending:
            request = session.exec(
                select(DerogationRequest).where(DerogationRequest.id == request_id).with_for_update()
            ).one()
            if (request.status, request.current_tier, request.tier_entered_at) != (
                Status.IN_REVIEW.value,
                tier_value,
                entered,
            ):
                continue  # acted on since the read: that visit is over
            tier = Tier(tier_value)
            people = notify.reviewers_at(session, [tier], request)
            if not _record_once(session, request, len({p.id for p in people}), now):
                continue
            # Still in review at this visit (checked above): the same figures the pages show.
            waited = format_duration(minutes_at_tier(request, now))
            target = format_duration(target_minutes(request, targets))
            headline = (
                f"{'MASS CASUALTY: ' if request.mass_casualty else ''}REMINDER: waiting {waited} for your review, "
                f"past the {tier.label} target of {target}"
            )
            notify.tell(session, request, people, headline, notify.REMINDER, now)
            sent += 1
    return sent
