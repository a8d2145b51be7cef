"""What every command shares: the actor read afresh, the request loaded as the person saw it, the one
question of who may act (core.access_control.permissions.refusal), and the write of the new state with its audit row.

A command is one transaction that writes the new state and exactly one audit row, or raises and changes
nothing. `acting_on` is each command's opening; `Act.record` its close."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from core import lifecycle
from core.access_control.permissions import NEEDS_HISTORY, Deed, filing_refusal, refusal
from core.access_control.visibility import load_visible
from core.enums import REASONS_FOR, Action, Status, Tier
from core.models import MAX_RATIONALE, AuditEvent, DerogationRequest, RequestReason, StrikePeriod, User
from core.notifications import notify
from core.platform.clock import utcnow
from core.platform.db import write_session
from core.platform.errors import BadArgument, NotAllowed, PermissionDenied, StaleVersion, ValidationFailed
from core.platform.input_checks import free_text_problem, request_at, whole
from core.records import audit
from core.reference import periods
from core.request import running_counts


def active_actor(session: Session, actor: User) -> User:
    """Re-read the actor: a role changed or an account closed since sign-in takes effect at once."""
    fresh = session.get(User, actor.id) if actor.id is not None else None
    if fresh is None or not fresh.active:
        raise PermissionDenied("Your account is not active. Ask an administrator.")
    return fresh


def written(text: object, field_name: str = "rationale") -> str:
    """The written reasons every action needs: present, not too long, storable as typed."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed({field_name: "Give your reasons: every action needs a written rationale."})
    if len(text) > MAX_RATIONALE:
        raise ValidationFailed({field_name: f"Use {MAX_RATIONALE:,} characters or fewer (you have {len(text):,})."})
    if problem := free_text_problem(text):
        raise ValidationFailed({field_name: problem})
    return text


def choices(values: object, allowed: tuple, field_name: str, what: str, empty: str) -> list[str]:
    """One or more values from a fixed list, as a page passes them (a list of the enum's values), in the
    list's order without repeats; ValidationFailed names the field otherwise."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set, frozenset)):
        raise BadArgument(what)
    if not all(isinstance(v, str) for v in values):
        raise BadArgument(what)
    chosen = set(values)
    if not chosen:
        raise ValidationFailed({field_name: empty})
    if not chosen <= {a.value for a in allowed}:
        raise ValidationFailed({field_name: "Choose from the reasons listed."})
    return [a.value for a in allowed if a.value in chosen]


def reasons_for(action: Action, reasons: object) -> list[str]:
    """The reasons a decline, return or revocation must give (docs/rules.md rule 9). Other actions record none:
    reasons passed with them (a reviewer who ticked some, then chose to escalate) are not kept."""
    if action not in REASONS_FOR:
        return []
    return choices(
        reasons,
        REASONS_FOR[action],
        "reasons",
        "list of reasons",
        "Choose at least one reason from the list, as well as writing your rationale.",
    )


def apply(
    session: Session,
    request: DerogationRequest,
    expected_version: int,
    actor: User | None,
    action: Action,
    changes: dict,
    *,
    rationale: str = "",
    details: dict | None = None,
    reasons: list[str] | None = None,
    now: datetime,
) -> DerogationRequest:
    """Move the request as the lifecycle table says `action` does (core.lifecycle: its status, tier and when
    it started waiting or closed) and write the deed's own `changes`, only if nobody changed the request since
    `expected_version`; add the audit row, and a row for each reason given (docs/rules.md rule 9), counted in
    the same transaction."""
    if request.version != expected_version:
        raise StaleVersion()
    from_status, from_tier = request.status, request.current_tier
    step = lifecycle.step(action)
    if not step.may_happen(from_status, from_tier):  # permissions refused it already: the table has the last word
        raise NotAllowed(f"{step.label} cannot happen to a request that is {Status(from_status).label.lower()}.")
    changes = step.changes(from_status, from_tier, now) | changes  # the deed's own last: expiry dates its close
    counted_before = running_counts.entry(request)
    result = session.execute(
        update(DerogationRequest)
        .where(DerogationRequest.id == request.id, DerogationRequest.version == expected_version)
        .values(**changes, version=DerogationRequest.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion()
    session.refresh(request)
    details = dict(details or {})
    if reasons:
        details["reasons"] = list(reasons)
    event = audit.append(
        session,
        action=action,
        actor=actor,
        request_id=request.id,
        from_status=from_status,
        to_status=request.status,
        from_tier=from_tier,
        to_tier=request.current_tier,
        rationale=rationale,
        details=details,
        at=now,
    )
    running_counts.move(
        session, counted_before, running_counts.entry(request)
    )  # after the chain head's lock: writers in one order
    if reasons:
        given = [
            RequestReason(
                request_id=request.id,
                audit_event_id=event.id,
                action=action.value,
                by_tier=from_tier or Tier.BMA.value,  # a revocation comes from the BMA after the route
                reason=reason,
                doctors_requested=request.doctors_requested or 0,
                at=now,
            )
            for reason in reasons
        ]
        session.add_all(given)
        running_counts.count_reasons(session, request, given)
    notify.on_transition(session, request, action, actor, now, reasons=reasons or [])
    return request


@dataclass
class Act:
    """One command under way: who acts, on which request (as they saw it), in its strike period (for a draft,
    the one it would be submitted into: core.reference.periods.of_request), and when."""

    session: Session
    actor: User
    request: DerogationRequest
    period: StrikePeriod | None
    version: int | None  # None for a comment, which changes nothing on the request
    now: datetime

    def record(
        self,
        action: Action,
        changes: dict,
        *,
        rationale: str = "",
        details: dict | None = None,
        reasons: list[str] | None = None,
    ) -> DerogationRequest:
        return apply(
            self.session,
            self.request,
            self.version,
            self.actor,
            action,
            changes,
            rationale=rationale,
            details=details,
            reasons=reasons,
            now=self.now,
        )


@contextmanager
def acting_on(
    actor: User, request_id: object, version: object, deed: Deed, now: datetime | None, *, filing: bool = False
) -> Iterator[Act]:
    """Every command's opening, in one order: arguments of the right type (BadArgument before any SQL),
    the actor read afresh, the request in their scope (NotFound as for a missing id), the version they saw
    (checked before any rule, so whoever loses a race is told the request changed, not that their action
    does not fit any more), then core.access_control.permissions.refusal: what the pages offer, the workflow accepts.
    `filing` (editing a draft): only requesters file, asked before the draft is looked up, as when creating one."""
    if deed is Deed.COMMENT:  # a comment changes nothing on the request: it needs no version
        request_id, version = whole(request_id, "request id"), None
    else:
        request_id, version = request_at(request_id, version)
    now = now or utcnow()
    with write_session() as session:
        actor = active_actor(session, actor)
        if filing and (refused := filing_refusal(actor)):
            raise refused
        request = load_visible(session, actor, request_id)
        if version is not None and request.version != version:
            raise StaleVersion()
        period = periods.of_request(session, request, now)
        history = (
            session.exec(
                select(AuditEvent).where(AuditEvent.request_id == request.id, AuditEvent.actor_id == actor.id)
            ).all()
            if deed in NEEDS_HISTORY
            else ()
        )
        refused = refusal(actor, request, deed, period=period, now=now, history=history)
        if refused is not None:
            raise refused
        yield Act(session, actor, request, period, version, now)
