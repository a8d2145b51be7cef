"""Who must hear about a state change, told in the same transaction: an inbox row each, and an
outbox e-mail each when SMTP is configured (core/notifications/mailer.py sends those later, outside the user's
transaction, so a mail server being down never blocks or loses a state change)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core import lifecycle
from core.access_control.permissions import stand_down_needed
from core.access_control.scope import recipients_filter
from core.access_control.visibility import visible_filter
from core.enums import Action, BypassReviewReason, BypassState, Reason, Role, Status, Tier
from core.lifecycle import Audience
from core.models import AuditEvent, DerogationRequest, EmailOutbox, Notification, Trust, User
from core.platform.clock import format_london, utcnow
from core.platform.db import read_session, write_session
from core.platform.errors import BadArgument
from core.platform.input_checks import DB_INT_MAX, whole, yes_no

REMINDER = "reminder"  # Notification.kind of a response-target reminder (core/notifications/reminders.py)
# What each deed's audience is told (who they are: core.lifecycle). "MASS CASUALTY: " goes before those marked.
HEADLINES = {
    Action.RETURN_FOR_INFO: "More information is needed",
    Action.RESOLVE_LOCALLY: "Resolved locally",
    Action.DECLINE_CRITERIA: "Declined as not meeting the criteria",
    Action.APPROVE: "APPROVED by the BMA: you may now contact the resident doctors in scope",
    Action.DECLINE: "Declined by the BMA",
    Action.REVOKE: "APPROVAL REVOKED by the BMA: stop recalling doctors",
    Action.EXPIRE: "Expired: the strike period ended",
    Action.WITHDRAW: "Withdrawn by the trust",
    Action.RECORD_HARM: "Harm or near miss recorded after a decline",
    Action.RECORD_BYPASS: "FAILSAFE BYPASS: the trust has recalled resident doctors at once (mass casualty)",
    Action.STAND_DOWN: "Doctors recalled under the failsafe bypass have been stood down",
}
UNMARKED = frozenset({Action.RECORD_HARM, Action.RECORD_BYPASS, Action.STAND_DOWN, Action.REVIEW_BYPASS})
EVERY_TIER_ALERTED = "MASS CASUALTY: every tier is alerted at once"
STAND_DOWN_NOW = (
    "You recalled doctors under the failsafe bypass: stand down those this decision does not cover now, "
    "and record it on the request."
)
INBOX_LIMIT = 200
# The path of the request page in app.py's navigation (st.Page(..., url_path="request")).
REQUEST_PATH = "request"


def smtp_configured() -> bool:
    return bool(os.environ.get("DEROG_SMTP_HOST", "").strip())


def request_link(request_id: int) -> str:
    """Deep link to the request page. Relative unless DEROG_BASE_URL says where the app is served."""
    base = os.environ.get("DEROG_BASE_URL", "").strip().rstrip("/")
    return f"{base}/{REQUEST_PATH}?id={request_id}"


def covering(session: Session, role: Role, request: DerogationRequest) -> list[User]:
    """Active people of `role` whose scope covers the request (core/access_control/scope.py)."""
    return list(session.exec(select(User).where(recipients_filter(role, request)).order_by(User.id)).all())


def reviewers_at(session: Session, tiers: list[Tier], request: DerogationRequest) -> list[User]:
    """Active reviewers of `tiers` whose scope covers the request."""
    return [user for tier in tiers for user in covering(session, tier.reviewer_role, request)]


def _everyone_with(session: Session, role: Role) -> list[User]:
    """Every active person of `role`, whatever their scope: for news that concerns no one request."""
    return list(session.exec(select(User).where(User.active, User.role == role.value).order_by(User.id)).all())


def requesters_of(session: Session, request: DerogationRequest) -> list[User]:
    return covering(session, Role.REQUESTER, request)


def _tier_left(session: Session, request: DerogationRequest, action: Action) -> Tier | None:
    """The tier the request was waiting at before `action`, whose audit row was just written."""
    tier = session.exec(
        select(AuditEvent.from_tier)
        .where(AuditEvent.request_id == request.id, AuditEvent.action == action.value)
        .order_by(col(AuditEvent.id).desc())
    ).first()
    return Tier(tier) if tier else None


def _mass(request: DerogationRequest) -> str:
    return "MASS CASUALTY: " if request.mass_casualty else ""


def reason_words(reasons: list[str]) -> str:
    """The reasons given, in words, for a message: "Reasons: A; B." (empty when none)."""
    labels = [Reason(r).label if r in set(Reason) else r for r in reasons]
    return f"Reasons: {'; '.join(labels)}." if labels else ""


def bypass_words(request: DerogationRequest) -> str:
    """What the trust recalled under the failsafe bypass, in words."""
    grades = ", ".join(request.bypass_grades or [])
    return (
        f"{request.bypass_doctors} resident doctor{'s' if request.bypass_doctors != 1 else ''} ({grades}) recalled at "
        f"{format_london(request.bypass_recalled_at)} under the failsafe bypass; the external event was declared by "
        f"{request.bypass_declared_by}."
    )


def message_detail(request: DerogationRequest, action: Action, reasons: list[str]) -> str:
    """What a notification says after its headline: the reasons given, the bypass and what it now needs."""
    parts = [reason_words(reasons)]
    if action is Action.RECORD_BYPASS:
        parts.append(bypass_words(request) + " The request continues on its route and still needs the BMA's decision.")
    elif action is Action.REVIEW_BYPASS:
        findings = [BypassReviewReason(r).label for r in request.bypass_review_reasons or []]
        parts.append(f"Findings: {'; '.join(findings)}.")
    elif Audience.REQUESTERS in lifecycle.step(action).told and stand_down_needed(request):
        parts.append(STAND_DOWN_NOW)
    return " ".join(part for part in parts if part)


def _people(session: Session, request: DerogationRequest, audience: Audience, action: Action) -> list[User]:
    """The active people in `audience` whose scope covers the request."""
    if audience is Audience.TIER_NOW:
        return reviewers_at(session, [Tier(request.current_tier)], request) if request.current_tier else []
    if audience is Audience.TIER_LEFT:
        tier = _tier_left(session, request, action)
        return reviewers_at(session, [tier], request) if tier else []
    if audience is Audience.EVERY_TIER:
        return reviewers_at(session, list(Tier), request)
    if audience is Audience.REQUESTERS:
        return requesters_of(session, request)
    if audience is Audience.TRUST_MD:
        return covering(session, Role.TRUST_MD, request)
    if audience is Audience.BMA:
        return covering(session, Role.BMA, request)
    return covering(session, Role.NATIONAL_MDT, request)  # NHS England catalogues harm and near misses


def headline(request: DerogationRequest, action: Action) -> str:
    """What the people told of `action` read first."""
    step = lifecycle.step(action)
    if action is Action.REVIEW_BYPASS:
        finding = BypassState(request.bypass_review).label if request.bypass_review else "reviewed"
        return f"Failsafe bypass reviewed by the national MDT: {finding.split(': ')[-1]}"
    if step.to_status is Status.IN_REVIEW and request.mass_casualty:  # submitted or answered (docs/rules.md rule 5)
        return EVERY_TIER_ALERTED
    if Audience.TIER_NOW in step.told:
        return f"{_mass(request)}Waiting for your review ({Tier(request.current_tier).label})"
    return HEADLINES[action] if action in UNMARKED else _mass(request) + HEADLINES[action]


def recipients(session: Session, request: DerogationRequest, action: Action) -> tuple[list[User], str]:
    """The people who must act or know next (who they are by role and tier: core.lifecycle), and the headline
    to tell them; nobody, and no headline, when nobody is told."""
    step = lifecycle.step(action)
    submitted_mass_casualty = request.mass_casualty and request.submitted_at is not None
    people = [
        person for each in step.audience(submitted_mass_casualty) for person in _people(session, request, each, action)
    ]
    return (people, headline(request, action)) if people else ([], "")


def _describe(session: Session, request: DerogationRequest, headline: str, detail: str = "") -> str:
    trust = session.get(Trust, request.trust_code)
    where = ", ".join(part for part in (request.service, request.site) if part)
    text = f"Request {request.id} ({trust.name if trust else request.trust_code}): {headline}."
    text = f"{text} {where}." if where else text
    return f"{text} {detail}" if detail else text


def tell(
    session: Session,
    request: DerogationRequest,
    people: list[User],
    headline: str,
    kind: str,
    now: datetime,
    actor: User | None = None,
    detail: str = "",
) -> int:
    """Inbox row (and outbox e-mail when SMTP is set) for each person once, never the actor; returns how many.
    `detail` follows the headline in the message (never in an e-mail's subject, which stays short)."""
    message = _describe(session, request, headline, detail)
    seen: set[int] = set()
    for person in people:
        if person.id in seen or (actor is not None and person.id == actor.id):
            continue
        seen.add(person.id)
        session.add(Notification(user_id=person.id, request_id=request.id, at=now, kind=kind, message=message))
        if smtp_configured():
            session.add(
                EmailOutbox(
                    to_address=person.email,
                    subject=f"Derogation request {request.id}: {headline}",
                    body=(
                        f"{message}\n\nOpen the request: {request_link(request.id)}\n\n"
                        "Sign in to see the request and act on it. This message was sent by the derogations "
                        "service; replies are not read.\n"
                    ),
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    return len(seen)


def on_transition(
    session: Session,
    request: DerogationRequest,
    action: Action,
    actor: User | None,
    now: datetime,
    reasons: list[str] | None = None,
) -> None:
    """Called by the workflow inside the transaction that changed `request`; `reasons`: those just given."""
    people, headline = recipients(session, request, action)
    if people:
        detail = message_detail(request, action, reasons or [])
        tell(session, request, people, headline, action.value, now, actor, detail)


INTEGRITY_ALARM = "integrity_alarm"  # Notification.kind: the live state differs from its audit history


def integrity_alarm(session: Session, findings: list[str], now: datetime) -> int:
    """Tell every administrator and the national MDT that live rows differ from their audit history
    (core/records/integrity.py); returns how many were told."""
    people = _everyone_with(session, Role.ADMIN) + _everyone_with(session, Role.NATIONAL_MDT)
    shown = findings[:20]
    more = f"\n... and {len(findings) - len(shown)} more." if len(findings) > len(shown) else ""
    message = (
        "INTEGRITY ALARM: records differ from their audit history. Someone may have changed the database "
        "outside the application. Do not rely on the records named until it is explained; run "
        "`python -m ops verify-audit` and tell the service's security lead.\n" + "\n".join(shown) + more
    )
    for person in people:
        session.add(Notification(user_id=person.id, at=now, kind=INTEGRITY_ALARM, message=message))
        if smtp_configured():
            session.add(
                EmailOutbox(
                    to_address=person.email,
                    subject="Derogations: INTEGRITY ALARM (records differ from their audit history)",
                    body=f"{message}\n\nThis message was sent by the derogations service; replies are not read.\n",
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    return len(people)


def unread_count(session: Session, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    ).one()


# ---------------------------------------------------------------- the inbox page


@dataclass(frozen=True)
class InboxItem:
    id: int
    at: datetime
    kind: str
    message: str
    read: bool
    request_id: int | None
    request_status: str | None  # the request's status now, when the reader may still see it


def inbox(user: User, *, unread_only: bool = False, limit: int = INBOX_LIMIT) -> list[InboxItem]:
    """The user's own notifications, newest first, with each request's current status if still visible."""
    unread_only, limit = yes_no(unread_only, "unread-only setting"), whole(limit, "inbox size", low=1, high=10_000)
    with read_session() as session:
        query = (
            select(Notification, DerogationRequest.status)
            .join(
                DerogationRequest,
                (DerogationRequest.id == Notification.request_id) & visible_filter(user),
                isouter=True,
            )
            .where(Notification.user_id == user.id)
            .order_by(col(Notification.at).desc(), col(Notification.id).desc())
            .limit(limit)
        )
        if unread_only:
            query = query.where(col(Notification.read_at).is_(None))
        return [
            InboxItem(
                id=n.id,
                at=n.at,
                kind=n.kind,
                message=n.message,
                read=n.read_at is not None,
                request_id=n.request_id,
                request_status=status,
            )
            for n, status in session.exec(query).all()
        ]


def mark_read(user: User, notification_ids: list[int], now: datetime | None = None) -> int:
    """Mark the user's own notifications read (anyone else's ids are ignored); returns how many changed."""
    if not isinstance(notification_ids, (list, tuple, set, frozenset)):
        raise BadArgument("list of notifications")
    checked = {whole(number, "notification id") for number in notification_ids}
    notification_ids = [number for number in checked if 0 < number <= DB_INT_MAX]  # no other can be anyone's
    if not notification_ids:
        return 0
    with write_session() as session:
        result = session.execute(
            update(Notification)
            .where(
                col(Notification.id).in_(notification_ids),
                Notification.user_id == user.id,
                col(Notification.read_at).is_(None),
            )
            .values(read_at=now or utcnow())
        )
        return result.rowcount


def mark_request_read(user: User, request_id: int, now: datetime | None = None) -> int:
    """Opening a request reads its notifications. The write happens only when some are unread, so an
    ordinary page view never takes the write lock."""
    request_id = whole(request_id, "request id")
    if not 0 < request_id <= DB_INT_MAX:
        return 0  # no such request, so no notification about it
    unread = (
        Notification.user_id == user.id,
        Notification.request_id == request_id,
        col(Notification.read_at).is_(None),
    )
    with read_session() as session:
        if session.exec(select(Notification.id).where(*unread).limit(1)).first() is None:
            return 0
    with write_session() as session:
        return session.execute(update(Notification).where(*unread).values(read_at=now or utcnow())).rowcount


def mark_all_read(user: User, now: datetime | None = None) -> int:
    with write_session() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
            .values(read_at=now or utcnow())
        )
        return result.rowcount


def unread_for(user: User) -> int:
    """Unread count in its own read session (for the header)."""
    with read_session() as session:
        return unread_count(session, user)
