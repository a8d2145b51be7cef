"""The escalation route of letter PRN02106 as state changes. Each public function is one transaction
that writes the new state and exactly one audit row, or raises and changes nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import audit, notify, periods, tally
from core.access import (
    four_eyes_refusal,
    is_bma,
    is_requester_of,
    load_visible,
    may_record_bypass,
    may_record_harm,
    may_review_bypass,
    may_revoke,
    may_stand_down,
    may_withdraw,
    reviewer_tier,
)
from core.clock import format_london, from_london, utcnow
from core.db import read_session, write_session
from core.enums import (
    BYPASS_FINDINGS,
    OPEN_STATUSES,
    REASONS_FOR,
    TIER_ACTIONS,
    Action,
    BypassReviewReason,
    BypassState,
    Grade,
    Role,
    Status,
    Tier,
)
from core.errors import BadArgument, NotAllowed, PermissionDenied, StaleVersion, ValidationFailed
from core.form import RequestForm, validate_draft, validate_submission
from core.inputs import UNSTORABLE_MESSAGE, plausible_time, request_at, unstorable, whole, yes_no
from core.models import AuditEvent, Comment, DerogationRequest, RequestReason, StrikePeriod, Trust, User

MAX_RATIONALE = 4000
MAX_SCOPE = DerogationRequest.__table__.c.approved_scope.type.length  # the BMA's "scope approved", as stored
MAX_HARM_RECORD = 8000  # the column's size: every report on one request together
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone
# The tier a request lands at after each reviewer action (None: it leaves the route).
CLOSING_STATUS = {
    Action.RESOLVE_LOCALLY: Status.RESOLVED_LOCALLY,
    Action.DECLINE_CRITERIA: Status.NOT_ELIGIBLE,
    Action.RETURN_FOR_INFO: Status.MORE_INFO,
}


# ---------------------------------------------------------------- helpers


def _active_actor(session: Session, actor: User) -> User:
    """Re-read the actor: a role changed or an account closed since sign-in takes effect at once."""
    fresh = session.get(User, actor.id) if actor.id is not None else None
    if fresh is None or not fresh.active:
        raise PermissionDenied("Your account is not active. Ask an administrator.")
    return fresh


def _rationale(text: str, field_name: str = "rationale") -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed({field_name: "Give your reasons: every action needs a written rationale."})
    if len(text) > MAX_RATIONALE:
        raise ValidationFailed({field_name: f"Use {MAX_RATIONALE:,} characters or fewer (you have {len(text):,})."})
    if unstorable(text):
        raise ValidationFailed({field_name: UNSTORABLE_MESSAGE})
    return text


def _choices(values: object, allowed: tuple, field_name: str, what: str, empty: str) -> list[str]:
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


def _reasons(action: Action, reasons: object) -> list[str]:
    """The reasons a decline, return or revocation must give (docs/rules.md rule 9). Other actions record none:
    reasons passed with them (a reviewer who ticked some, then chose to escalate) are not kept."""
    if action not in REASONS_FOR:
        return []
    return _choices(
        reasons,
        REASONS_FOR[action],
        "reasons",
        "list of reasons",
        "Choose at least one reason from the list, as well as writing your rationale.",
    )


def _apply(
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
    """Write `changes` only if nobody changed the request since `expected_version`; add the audit row, and
    a row for each reason given (docs/rules.md rule 9), counted in the same transaction."""
    if request.version != expected_version:
        raise StaleVersion()
    from_status, from_tier = request.status, request.current_tier
    counted_before = tally.entry(request)
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
    tally.move(session, counted_before, tally.entry(request))  # after the chain head's lock: writers in one order
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
        tally.count_reasons(session, request, given)
    notify.on_transition(session, request, action, actor, now, reasons=reasons or [])
    return request


def _check_trust(session: Session, actor: User, form: RequestForm) -> dict[str, str]:
    if form.trust_code != actor.trust_code:
        return {"trust_code": "You can only file requests for your own trust."}
    if session.get(Trust, form.trust_code) is None:
        return {"trust_code": "Choose a trust from the list of NHS trusts."}
    return {}


def _require_requester(actor: User, request: DerogationRequest) -> None:
    if not is_requester_of(actor, request):
        raise PermissionDenied("Only the trust's requesters can do this.")


def _load_current(session: Session, actor: User, request_id: object, version: int) -> DerogationRequest:
    """The request in the actor's scope, as they last saw it. The version is checked before any rule, so
    whoever loses a race is told the request changed, not that their action does not fit any more."""
    request = load_visible(session, actor, request_id)
    if request.version != version:
        raise StaleVersion()
    return request


# ---------------------------------------------------------------- the trust


def save_draft(
    actor: User,
    form: RequestForm,
    request_id: int | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> DerogationRequest:
    """Create or update a draft. Drafts can be saved at any time, incomplete."""
    request_id, version = request_at(request_id, version, new=True)
    now = now or utcnow()
    with write_session() as session:
        actor = _active_actor(session, actor)
        if Role(actor.role) is not Role.REQUESTER:
            raise PermissionDenied("Only trust requesters can file requests.")
        errors = validate_draft(form) | _check_trust(session, actor, form)
        if errors:
            raise ValidationFailed(errors)
        values = form.storable()
        values["region_code"] = session.get(Trust, form.trust_code).region_code
        if request_id is None:
            request = DerogationRequest(**values, created_by_id=actor.id, created_at=now, status=Status.DRAFT.value)
            session.add(request)
            session.flush()
            audit.append(
                session,
                action=Action.CREATE,
                actor=actor,
                request_id=request.id,
                to_status=Status.DRAFT.value,
                at=now,
            )
            return request
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if request.status != Status.DRAFT:
            raise NotAllowed(
                "Only a draft can be edited. Use 'answer the question' when more information is asked for."
            )
        return _apply(session, request, version, actor, Action.UPDATE_DRAFT, values, now=now)


def submit(actor: User, request_id: int, version: int, now: datetime | None = None) -> DerogationRequest:
    """Send a complete draft to the clinical director, only while strike action is in progress."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if request.status != Status.DRAFT:
            raise NotAllowed("This request has already been submitted.")
        period = periods.current(session, now)
        form = RequestForm.from_request(request)
        errors = validate_submission(form, period, now) | _check_trust(session, actor, form)
        if period is None:
            errors["_form"] = periods.submission_closed(periods.upcoming(session, now))
        if errors:
            raise ValidationFailed(errors)
        changes = {
            "status": Status.IN_REVIEW.value,
            "current_tier": Tier.CLINICAL_DIRECTOR.value,
            "tier_entered_at": now,
            "submitted_at": now,
            "strike_period_id": period.id,
        }
        details = {"mass_casualty": True} if request.mass_casualty else {}
        return _apply(session, request, version, actor, Action.SUBMIT, changes, details=details, now=now)


def answer_more_info(
    actor: User,
    request_id: int,
    version: int,
    form: RequestForm,
    answer: str,
    now: datetime | None = None,
) -> DerogationRequest:
    """The trust answers a 'more information' return; the request goes back to the tier that asked."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    answer = _rationale(answer, "answer")
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if request.status != Status.MORE_INFO:
            raise NotAllowed("Nobody has asked for more information on this request.")
        period = _check_period_running(session, request, now, "answered")
        errors = validate_submission(form, period, now) | _check_trust(session, actor, form)
        if errors:
            raise ValidationFailed(errors)
        changes = form.storable() | {
            "status": Status.IN_REVIEW.value,
            "current_tier": request.returned_from_tier,
            "tier_entered_at": now,
            "returned_from_tier": None,
        }
        return _apply(session, request, version, actor, Action.RESUBMIT, changes, rationale=answer, now=now)


def withdraw(
    actor: User, request_id: int, version: int, rationale: str, now: datetime | None = None
) -> DerogationRequest:
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    rationale = _rationale(rationale)
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if not may_withdraw(actor, request):
            raise NotAllowed(f"This request is closed ({Status(request.status).label}); it cannot be withdrawn.")
        changes = {"status": Status.WITHDRAWN.value, "current_tier": None, "closed_at": now}
        return _apply(session, request, version, actor, Action.WITHDRAW, changes, rationale=rationale, now=now)


def record_harm(
    actor: User, request_id: int, version: int, report: str, now: datetime | None = None
) -> DerogationRequest:
    """After a decline (or revocation), the trust records any harm or near miss that followed."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    report = _rationale(report, "harm_report")
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if not may_record_harm(actor, request):
            raise NotAllowed("Harm or near misses are recorded against declined or revoked requests.")
        stamped = f"{request.harm_report}\n\n" if request.harm_report else ""
        changes = {"harm_report": f"{stamped}[{format_london(now)}] {report}"}
        if len(changes["harm_report"]) > MAX_HARM_RECORD:
            room = max(0, MAX_HARM_RECORD - len(changes["harm_report"]) + len(report))
            raise ValidationFailed(
                {"harm_report": f"The harm record of this request is nearly full: use {room:,} characters or fewer."}
            )
        return _apply(session, request, version, actor, Action.RECORD_HARM, changes, rationale=report, now=now)


# ---------------------------------------------------------------- reviewers


def _four_eyes(session: Session, actor: User, request: DerogationRequest) -> None:
    """docs/rules.md rule 6, asked of the actor's own history on the request (core.access.four_eyes_refusal)."""
    mine = session.exec(
        select(AuditEvent).where(AuditEvent.request_id == request.id, AuditEvent.actor_id == actor.id)
    ).all()
    refusal = four_eyes_refusal(actor, request, mine)
    if refusal:
        raise PermissionDenied(refusal)


def _check_period_running(session: Session, request: DerogationRequest, now: datetime, verb: str) -> StrikePeriod:
    """Open requests expire with their strike period (docs/rules.md rule 1), even before the expiry job has run."""
    period = session.get(StrikePeriod, request.strike_period_id)
    if period.ends_at <= now:
        raise NotAllowed(
            f"The strike period ended at {format_london(period.ends_at)}; this request expires with it "
            f"and can no longer be {verb}."
        )
    return period


def _reviewable(session: Session, actor: User, request_id: int, version: int, now: datetime) -> DerogationRequest:
    request = _load_current(session, actor, request_id, version)
    tier = reviewer_tier(actor)
    if tier is None:
        raise PermissionDenied("Your role does not review requests.")
    if request.status != Status.IN_REVIEW:
        raise NotAllowed(f"This request is not waiting for review ({Status(request.status).label}).")
    if request.current_tier != tier.value:
        raise NotAllowed(
            f"This request is waiting at the {Tier(request.current_tier).label} tier, not yours "
            f"({tier.label}). Requests move up one tier at a time."
        )
    _check_period_running(session, request, now, "reviewed")
    _four_eyes(session, actor, request)
    return request


def review(
    actor: User,
    request_id: int,
    version: int,
    action: Action | str,
    rationale: str,
    now: datetime | None = None,
    *,
    reasons: list[str] | tuple[str, ...] = (),
) -> DerogationRequest:
    """A tier below the BMA escalates, resolves locally, returns for more information, or declines; a
    return or a decline gives one or more reasons from the fixed list (core.enums.Reason) as well."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    try:
        action = Action(action)
    except ValueError:
        raise NotAllowed("Choose escalate, resolve locally, return for more information, or decline.") from None
    rationale = _rationale(rationale)
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _reviewable(session, actor, request_id, version, now)
        tier = Tier(request.current_tier)
        if tier is Tier.BMA or action not in TIER_ACTIONS:
            raise NotAllowed(
                "The BMA approves or declines; nothing else."
                if tier is Tier.BMA
                else "Choose escalate, resolve locally, return for more information, or decline."
            )
        reasons = _reasons(action, reasons)  # after the checks of who may act: a refusal says that first
        if action is Action.ESCALATE:
            changes = {"current_tier": tier.next.value, "tier_entered_at": now}
            if tier.next is Tier.BMA:
                changes["escalated_to_bma_at"] = now
        elif action is Action.RETURN_FOR_INFO:
            changes = {"status": Status.MORE_INFO.value, "returned_from_tier": tier.value, "tier_entered_at": now}
        else:
            changes = {"status": CLOSING_STATUS[action].value, "current_tier": None, "closed_at": now}
        return _apply(session, request, version, actor, action, changes, rationale=rationale, reasons=reasons, now=now)


@dataclass
class BmaDecision:
    approve: bool
    rationale: str
    approved_doctors: int | None = None
    approved_grades: list[str] = field(default_factory=list)
    approved_window_start: datetime | None = None
    approved_window_end: datetime | None = None
    approved_scope: str = ""
    reasons: list[str] = field(default_factory=list)  # a decline's reasons (core.enums.Reason); none to approve


def _check_approval(decision: BmaDecision, request: DerogationRequest, now: datetime) -> dict:
    """What the BMA approves can be narrower than asked, never wider (docs/rules.md rule 4)."""
    errors: dict[str, str] = {}
    doctors = decision.approved_doctors
    if not isinstance(doctors, int) or isinstance(doctors, bool) or doctors < 1:
        errors["approved_doctors"] = "Enter how many doctors are approved (1 or more)."
    elif doctors > request.doctors_requested:
        errors["approved_doctors"] = (
            f"You cannot approve more doctors than were asked for ({request.doctors_requested})."
        )
    grades = list(decision.approved_grades)
    if not grades or any(g not in set(Grade) for g in grades):
        errors["approved_grades"] = "Choose at least one grade."
    elif not set(grades) <= set(request.grades_requested):
        errors["approved_grades"] = (
            "You can only approve grades that were asked for: " + ", ".join(request.grades_requested) + "."
        )
    if not (plausible_time(decision.approved_window_start) and plausible_time(decision.approved_window_end)):
        errors["approved_window"] = "Enter the approved start and end."
    else:
        start, end = from_london(decision.approved_window_start), from_london(decision.approved_window_end)
        if end <= start:
            errors["approved_window"] = "The approved window must end after it starts."
        elif start < request.window_start or end > request.window_end:
            errors["approved_window"] = (
                f"The approved window must sit inside the window asked for ({format_london(request.window_start)} "
                f"to {format_london(request.window_end)})."
            )
        elif end <= now:  # doctors would be told to return to shifts that are over
            errors["approved_window"] = "The approved window has already ended: decline instead."
    scope = decision.approved_scope
    if not isinstance(scope, str) or len(scope) > MAX_SCOPE:
        errors["approved_scope"] = f"Use plain text of {MAX_SCOPE:,} characters or fewer."
    elif unstorable(scope):
        errors["approved_scope"] = UNSTORABLE_MESSAGE
    if errors:
        raise ValidationFailed(errors)
    return {
        "approved_doctors": doctors,
        "approved_grades": [g for g in Grade if g in grades],
        "approved_window_start": from_london(decision.approved_window_start),
        "approved_window_end": from_london(decision.approved_window_end),
        "approved_scope": decision.approved_scope,
    }


def new_confirmation_ref() -> str:
    raw = "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def bma_decide(
    actor: User, request_id: int, version: int, decision: BmaDecision, now: datetime | None = None
) -> DerogationRequest:
    request_id, version = request_at(request_id, version)
    yes_no(decision.approve, "decision (approve or decline)")
    now = now or utcnow()
    rationale = _rationale(decision.rationale)
    with write_session() as session:
        actor = _active_actor(session, actor)
        if not is_bma(actor):
            load_visible(session, actor, request_id)  # out of scope still reads as not found
            raise PermissionDenied("Only the BMA approves or declines a derogation.")
        request = _reviewable(session, actor, request_id, version, now)
        reasons = _reasons(Action.APPROVE if decision.approve else Action.DECLINE, decision.reasons)
        if decision.approve:
            approved = _check_approval(decision, request, now)
            changes = approved | {
                "status": Status.APPROVED.value,
                "current_tier": None,
                "decided_at": now,
                "closed_at": now,
                "confirmation_ref": new_confirmation_ref(),
            }
            details = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in approved.items()}
            details["confirmation_ref"] = changes["confirmation_ref"]
            return _apply(
                session, request, version, actor, Action.APPROVE, changes, rationale=rationale, details=details, now=now
            )
        changes = {"status": Status.DECLINED.value, "current_tier": None, "decided_at": now, "closed_at": now}
        return _apply(
            session, request, version, actor, Action.DECLINE, changes, rationale=rationale, reasons=reasons, now=now
        )


def revoke(
    actor: User,
    request_id: int,
    version: int,
    reason: str,
    now: datetime | None = None,
    *,
    reasons: list[str] | tuple[str, ...] = (),
) -> DerogationRequest:
    """The BMA withdraws an approval when new information comes to light, with a written reason and one or
    more from the fixed list; the trust is told at once."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    reason = _rationale(reason)
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        if not is_bma(actor):
            raise PermissionDenied("Only the BMA can revoke an approval.")
        if not may_revoke(actor, request):
            raise NotAllowed("Only an approved request can be revoked.")
        reasons = _reasons(Action.REVOKE, reasons)
        changes = {"status": Status.REVOKED.value, "revoked_at": now, "revoke_reason": reason}
        return _apply(
            session, request, version, actor, Action.REVOKE, changes, rationale=reason, reasons=reasons, now=now
        )


# ---------------------------------------------------------------- the failsafe bypass (docs/rules.md rule 5)

MAX_DECLARED_BY = 300
MAX_BYPASS_DOCTORS = 500
CLOCK_SLACK_MINUTES = 5  # a recall "now" typed on a clock a little ahead of the server's


@dataclass
class BypassRecall:
    """What the trust did under the failsafe bypass: when it recalled whom, and who declared the event."""

    recalled_at: datetime | None
    doctors: int | None
    grades: list[str] = field(default_factory=list)
    declared_by: str = ""  # who declared the massive, external event (e.g. "Greater Manchester Police, 01:40")
    note: str = ""  # optional: anything else the reviewers should know


def _check_recall(recall: BypassRecall, period: StrikePeriod, now: datetime) -> dict:
    errors: dict[str, str] = {}
    if not plausible_time(recall.recalled_at):
        errors["recalled_at"] = "Enter when the doctors were recalled."
    else:
        at = from_london(recall.recalled_at)
        if at > now + timedelta(minutes=CLOCK_SLACK_MINUTES):
            errors["recalled_at"] = "Record a recall that has happened: this time is in the future."
        elif at < period.starts_at:
            errors["recalled_at"] = (
                f"The recall must be during the strike period (it started at {format_london(period.starts_at)})."
            )
    doctors = recall.doctors
    if not isinstance(doctors, int) or isinstance(doctors, bool) or not 1 <= doctors <= MAX_BYPASS_DOCTORS:
        errors["doctors"] = f"Enter how many resident doctors were recalled (1 to {MAX_BYPASS_DOCTORS})."
    grades = recall.grades
    if not isinstance(grades, (list, tuple)) or not grades or any(g not in set(Grade) for g in grades):
        errors["grades"] = "Choose the grades recalled."
    declared = recall.declared_by
    if not isinstance(declared, str) or not declared.strip():
        errors["declared_by"] = "Say who declared the external event (for example the police or the ambulance service)."
    elif len(declared) > MAX_DECLARED_BY:
        errors["declared_by"] = f"Use {MAX_DECLARED_BY:,} characters or fewer (you have {len(declared):,})."
    elif unstorable(declared):
        errors["declared_by"] = UNSTORABLE_MESSAGE
    note = recall.note
    if not isinstance(note, str) or len(note) > MAX_RATIONALE:
        errors["note"] = f"Use plain text of {MAX_RATIONALE:,} characters or fewer."
    elif unstorable(note):
        errors["note"] = UNSTORABLE_MESSAGE
    if errors:
        raise ValidationFailed(errors)
    return {
        "bypass_recalled_at": from_london(recall.recalled_at),
        "bypass_doctors": doctors,
        "bypass_grades": [g for g in Grade if g in set(grades)],
        "bypass_declared_by": declared.strip(),
        "bypass_recorded_at": now,
    }


def record_bypass(
    actor: User, request_id: int, version: int, recall: BypassRecall, now: datetime | None = None
) -> DerogationRequest:
    """The trust records the doctors it recalled at once under the failsafe bypass on a submitted
    mass-casualty request. Every tier and the BMA are told at once; the request stays on its route and
    still needs the BMA's decision; the national MDT reviews the bypass afterwards."""
    request_id, version = request_at(request_id, version)
    if not isinstance(recall, BypassRecall):
        raise BadArgument("bypass record")
    now = now or utcnow()
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if not request.mass_casualty:
            raise NotAllowed("The failsafe bypass is only for a mass-casualty request.")
        if request.bypass_recorded_at is not None:
            raise NotAllowed("A recall under the failsafe bypass is already recorded on this request.")
        if not may_record_bypass(actor, request):
            raise NotAllowed(
                f"A recall under the failsafe bypass is recorded while the request is on its route "
                f"(this one is {Status(request.status).label.lower()})."
            )
        period = _check_period_running(session, request, now, "changed")
        changes = _check_recall(recall, period, now)
        details = {
            "recalled_at": changes["bypass_recalled_at"].isoformat(),
            "doctors": changes["bypass_doctors"],
            "grades": changes["bypass_grades"],
            "declared_by": changes["bypass_declared_by"],
        }
        return _apply(
            session,
            request,
            version,
            actor,
            Action.RECORD_BYPASS,
            changes,
            rationale=recall.note.strip(),
            details=details,
            now=now,
        )


def stand_down(
    actor: User,
    request_id: int,
    version: int,
    stood_down_at: datetime | None,
    note: str,
    now: datetime | None = None,
) -> DerogationRequest:
    """After a decline (or a revocation, or an approval of fewer doctors or grades than were recalled) the
    trust stands the doctors recalled under the bypass down, and records when."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    note = _rationale(note, "note")
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        _require_requester(actor, request)
        if not may_stand_down(actor, request):
            raise NotAllowed(
                "Nothing to stand down: no doctors recalled under the failsafe bypass are waiting to be stood down "
                "on this request."
            )
        if not plausible_time(stood_down_at):
            raise ValidationFailed({"stood_down_at": "Enter when the doctors were stood down."})
        at = from_london(stood_down_at)
        if at > now + timedelta(minutes=CLOCK_SLACK_MINUTES):
            raise ValidationFailed(
                {"stood_down_at": "Record a stand-down that has happened: this time is in the future."}
            )
        if at < request.bypass_recalled_at:
            raise ValidationFailed(
                {"stood_down_at": "The doctors were stood down before they were recalled: check the time."}
            )
        changes = {"bypass_stood_down_at": at}
        details = {"stood_down_at": at.isoformat()}
        return _apply(
            session, request, version, actor, Action.STAND_DOWN, changes, rationale=note, details=details, now=now
        )


def review_bypass(
    actor: User,
    request_id: int,
    version: int,
    finding: BypassState | str,
    reasons: list[str] | tuple[str, ...],
    rationale: str,
    now: datetime | None = None,
) -> DerogationRequest:
    """The national MDT's review of a failsafe bypass, once the request's route has ended: justified or not,
    with one or more reasons from a fixed list and a written rationale."""
    request_id, version = request_at(request_id, version)
    now = now or utcnow()
    rationale = _rationale(rationale)
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = _load_current(session, actor, request_id, version)
        if Role(actor.role) is not Role.NATIONAL_MDT:
            raise PermissionDenied("Only the national MDT reviews a failsafe bypass.")
        if request.bypass_recorded_at is None:
            raise NotAllowed("No recall under the failsafe bypass is recorded on this request.")
        if request.bypass_review is not None:
            raise NotAllowed("This failsafe bypass has already been reviewed.")
        if not may_review_bypass(actor, request):
            raise NotAllowed("A failsafe bypass is reviewed once the request's route has ended (it is still open).")
        if not isinstance(finding, str) or finding not in {f.value for f in BYPASS_FINDINGS}:
            raise ValidationFailed({"finding": "Choose whether the bypass was justified."})
        chosen = _choices(
            reasons,
            tuple(BypassReviewReason),
            "reasons",
            "list of reasons",
            "Choose at least one finding from the list, as well as writing your rationale.",
        )
        changes = {"bypass_review": str(finding), "bypass_review_reasons": chosen, "bypass_reviewed_at": now}
        details = {"finding": str(finding), "findings": chosen}
        return _apply(
            session,
            request,
            version,
            actor,
            Action.REVIEW_BYPASS,
            changes,
            rationale=rationale,
            details=details,
            now=now,
        )


# ---------------------------------------------------------------- everyone in scope, and the system


def add_comment(actor: User, request_id: int, body: str, now: datetime | None = None) -> Comment:
    request_id = whole(request_id, "request id")
    now = now or utcnow()
    body = _rationale(body, "comment")
    with write_session() as session:
        actor = _active_actor(session, actor)
        request = load_visible(session, actor, request_id)
        comment = Comment(request_id=request.id, author_id=actor.id, at=now, body=body)
        session.add(comment)
        session.flush()
        audit.append(
            session,
            action=Action.COMMENT,
            actor=actor,
            request_id=request.id,
            from_status=request.status,
            to_status=request.status,
            rationale=body,
            details={"comment_id": comment.id},
            at=now,
        )
        return comment


def expire_ended_periods(now: datetime | None = None) -> int:
    """Close every request still open when its strike period ended; returns how many were expired."""
    now = now or utcnow()
    expired = 0
    ended = select(StrikePeriod.id).where(StrikePeriod.ends_at <= now, col(StrikePeriod.expired_processed_at).is_(None))
    with read_session() as session:  # the common case, nothing to do, must not take the write lock
        if session.exec(ended.limit(1)).first() is None:
            return 0
    with write_session() as session:
        # Locks (PostgreSQL; SQLite writers are serial anyway): when a period ends, every app process
        # tries this at once; the others wait, then find the period processed or the request closed.
        ended_periods = session.exec(
            select(StrikePeriod)
            .where(StrikePeriod.ends_at <= now, col(StrikePeriod.expired_processed_at).is_(None))
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
                changes = {"status": Status.EXPIRED.value, "current_tier": None, "closed_at": period.ends_at}
                _apply(
                    session,
                    request,
                    request.version,
                    None,
                    Action.EXPIRE,
                    changes,
                    rationale=f"The strike period '{period.name}' ended at {format_london(period.ends_at)}.",
                    now=now,
                )
                expired += 1
            period.expired_processed_at = now
            session.add(period)
    return expired
