"""Who must hear about a state change, told in the same transaction: an inbox row each, and an
outbox e-mail each when SMTP is configured (a worker sends those later; see core/mailer.py)."""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, true
from sqlmodel import Session, col, select

from core.enums import Action, Role, Tier
from core.models import DerogationRequest, EmailOutbox, Notification, User

TO_REQUESTERS = {
    Action.RETURN_FOR_INFO: "More information is needed",
    Action.RESOLVE_LOCALLY: "Resolved locally",
    Action.DECLINE_CRITERIA: "Declined as not meeting the criteria",
    Action.APPROVE: "APPROVED by the BMA: you may now contact the resident doctors in scope",
    Action.DECLINE: "Declined by the BMA",
    Action.REVOKE: "APPROVAL REVOKED by the BMA: stop recalling doctors",
    Action.EXPIRE: "Expired: the strike period ended",
}
TO_NEXT_TIER = {Action.SUBMIT, Action.RESUBMIT, Action.ESCALATE}


def smtp_configured() -> bool:
    return bool(os.environ.get("DEROG_SMTP_HOST"))


def request_link(request_id: int) -> str:
    base = os.environ.get("DEROG_BASE_URL", "").rstrip("/")
    return f"{base}/request?id={request_id}"


def _tier_scope(tier: Tier, request: DerogationRequest) -> ColumnElement[bool]:
    if tier in (Tier.CLINICAL_DIRECTOR, Tier.TRUST_MD):
        return User.trust_code == request.trust_code
    if tier is Tier.REGIONAL_MD:
        return User.region_code == request.region_code
    return true()


def reviewers_at(session: Session, tiers: list[Tier], request: DerogationRequest) -> list[User]:
    users: list[User] = []
    for tier in tiers:
        users += session.exec(
            select(User).where(User.active, User.role == tier.value, _tier_scope(tier, request))
        ).all()
    return users


def requesters_of(session: Session, request: DerogationRequest) -> list[User]:
    return list(
        session.exec(
            select(User).where(
                and_(User.active, User.role == Role.REQUESTER.value, User.trust_code == request.trust_code)
            )
        ).all()
    )


def recipients(session: Session, request: DerogationRequest, action: Action) -> tuple[list[User], str]:
    """The people who must act or know next, and what to tell them."""
    if action is Action.SUBMIT and request.mass_casualty:
        return reviewers_at(session, list(Tier), request), "MASS CASUALTY: every tier is alerted at once"
    if action in TO_NEXT_TIER and request.current_tier:
        tier = Tier(request.current_tier)
        prefix = "MASS CASUALTY: " if request.mass_casualty else ""
        return reviewers_at(session, [tier], request), f"{prefix}Waiting for your review ({tier.label})"
    if action in TO_REQUESTERS:
        return requesters_of(session, request), TO_REQUESTERS[action]
    return [], ""


def on_transition(
    session: Session, request: DerogationRequest, action: Action, actor: User | None, now: datetime
) -> None:
    people, headline = recipients(session, request, action)
    if not people:
        return
    message = f"Request {request.id}: {headline}. {request.service} at {request.site}."
    seen: set[int] = set()
    for person in people:
        if person.id in seen or (actor is not None and person.id == actor.id):
            continue
        seen.add(person.id)
        session.add(Notification(user_id=person.id, request_id=request.id, at=now, kind=action.value, message=message))
        if smtp_configured():
            session.add(
                EmailOutbox(
                    to_address=person.email,
                    subject=f"Derogation request {request.id}: {headline}",
                    body=f"{message}\n\nOpen the request: {request_link(request.id)}\n",
                    created_at=now,
                    next_attempt_at=now,
                )
            )


def unread_count(session: Session, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    ).one()
