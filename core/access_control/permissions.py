"""What a person may do to one request now (docs/rules.md rule 15): the one question the workflow asks
before it records a deed and the pages ask before they offer one, so a page offers exactly what the
workflow accepts.

`refusal` answers with the error the workflow raises (PermissionDenied for who the person is, NotAllowed
for where the request is), or None. It needs the request's strike period (open requests expire with it,
docs/rules.md rule 1) and, for a review, the person's own audit events on the request (four eyes,
docs/rules.md rule 6). The request is one the person can already see (visibility.load_visible); the tier
they review at comes from core/access_control/scope.py, so the acting user never goes back to visibility."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from core.access_control.scope import reviewer_tier
from core.enums import BMA_ACTIONS, OPEN_STATUSES, TIER_ACTIONS, Action, Role, Status, Tier
from core.lifecycle import step
from core.models import AuditEvent, DerogationRequest, StrikePeriod, User
from core.platform.clock import format_london
from core.platform.errors import DerogationError, NotAllowed, PermissionDenied
from core.reference import periods
from core.reference.periods import PeriodState


class Deed(StrEnum):
    """One thing a person does to an existing request: one workflow command each."""

    EDIT = "edit"  # workflow.save_draft of an existing draft
    SUBMIT = "submit"
    ANSWER = "answer"  # workflow.answer_more_info
    WITHDRAW = "withdraw"
    RECORD_HARM = "record harm"
    REVIEW = "review"  # a tier below the BMA decides (workflow.review)
    BMA_DECIDE = "BMA decision"
    REVOKE = "revoke"
    RECORD_BYPASS = "record bypass"
    STAND_DOWN = "stand down"
    REVIEW_BYPASS = "review bypass"
    COMMENT = "comment"


# Deeds that need the person's own audit events on the request (four eyes, docs/rules.md rule 6).
NEEDS_HISTORY = frozenset({Deed.REVIEW, Deed.BMA_DECIDE})
WITHDRAWABLE = step(Action.WITHDRAW).from_statuses
# Refused by a reviewer or the BMA, or approved then revoked: harm that followed is recorded against it.
REFUSED = step(Action.RECORD_HARM).from_statuses
# Acting for the trust on a request: whoever did any of these filed it (docs/rules.md rule 6).
FILING_ACTIONS = frozenset(
    a.value
    for a in (
        Action.CREATE,
        Action.UPDATE_DRAFT,
        Action.SUBMIT,
        Action.RESUBMIT,
        Action.RECORD_BYPASS,
        Action.STAND_DOWN,
    )
)
REVIEW_ACTIONS = frozenset(a.value for a in (*TIER_ACTIONS, *BMA_ACTIONS))
FILED_IT = "You filed this request, so you cannot review it. Another reviewer must act."
NOT_A_REQUESTER = "Only the trust's requesters can do this."
ONLY_REQUESTERS_FILE = "Only trust requesters can file requests."


def is_requester_of(user: User, request: DerogationRequest) -> bool:
    return user.active and Role(user.role) is Role.REQUESTER and user.trust_code == request.trust_code


def is_bma(user: User) -> bool:
    return user.active and Role(user.role) is Role.BMA


def reviews_bypasses(user: User) -> bool:
    """The national MDT reviews every recall under the failsafe bypass afterwards (docs/rules.md rule 5)."""
    return user.active and Role(user.role) is Role.NATIONAL_MDT


def filing_refusal(user: User) -> PermissionDenied | None:
    """Only the trust's requesters file requests: create a draft, or open one to edit (asked before the draft
    is looked up, so it answers the same for a draft of any trust)."""
    return None if Role(user.role) is Role.REQUESTER else PermissionDenied(ONLY_REQUESTERS_FILE)


def waits_for(user: User, request: DerogationRequest) -> bool:
    """The request is waiting for a decision at the tier `user` reviews at (visibility.queue_filter, for one)."""
    tier = reviewer_tier(user)
    return tier is not None and request.status == Status.IN_REVIEW and request.current_tier == tier.value


def four_eyes_refusal(user: User, request: DerogationRequest, history: Iterable[AuditEvent]) -> str | None:
    """Why `user` may not review `request` now, or None: nobody reviews what they filed (drafted,
    submitted or answered for the trust), and nobody acts at two tiers of one request
    (docs/rules.md rule 6). `history`: the request's audit events (the user's own are enough)."""
    mine = [event for event in history if event.actor_id == user.id and event.request_id == request.id]
    if request.created_by_id == user.id or any(event.action in FILING_ACTIONS for event in mine):
        return FILED_IT
    other_tier = next(
        (
            event.from_tier
            for event in mine
            if event.action in REVIEW_ACTIONS and event.from_tier and event.from_tier != request.current_tier
        ),
        None,
    )
    if other_tier is not None:
        return (
            f"You already acted on this request at the {Tier(other_tier).label} tier; "
            "a different person must review it at this tier."
        )
    return None


def period_ended(request: DerogationRequest, period: StrikePeriod | None, now: datetime, verb: str) -> str | None:
    """Open requests expire with their strike period (docs/rules.md rule 1), even before the expiry job has
    run: why the request can no longer be `verb`, or None while its period runs."""
    if period is None or period.id != request.strike_period_id or periods.state(period, now) is not PeriodState.ENDED:
        return None
    return (
        f"The strike period ended at {format_london(period.ends_at)}; this request expires with it "
        f"and can no longer be {verb}."
    )


def stand_down_needed(request: DerogationRequest) -> bool:
    """Doctors recalled under the bypass must be stood down: the route ended without an approval that
    covers them (a decline, a revocation, anything but approval, or an approval of fewer doctors or grades),
    and the trust has not yet recorded standing them down."""
    if request.bypass_recorded_at is None or request.bypass_stood_down_at is not None:
        return False
    status = Status(request.status)
    if status in OPEN_STATUSES or status is Status.DRAFT:
        return False
    if status is Status.APPROVED:
        covered_grades = set(request.bypass_grades or []) <= set(request.approved_grades or [])
        return (request.approved_doctors or 0) < (request.bypass_doctors or 0) or not covered_grades
    return True


def _for_the_trust(
    user: User, request: DerogationRequest, deed: Deed, period: StrikePeriod | None, now: datetime
) -> str | None:
    """Why the trust's requester may not do `deed` (their side of the request), or None."""
    status = Status(request.status)
    if deed is Deed.EDIT:
        if status is Status.DRAFT:
            return None
        if status is Status.MORE_INFO:
            return "Only a draft can be edited. Answer the reviewer's question to change this request."
        return f"Only a draft can be edited: request {request.id} has been submitted ({status.label})."
    if deed is Deed.SUBMIT:
        if status is not Status.DRAFT:
            return "This request has already been submitted."
        return periods.submission_refusal(period, now)  # docs/rules.md rule 1
    if deed is Deed.ANSWER:
        if status is not Status.MORE_INFO:
            return "Nobody has asked for more information on this request."
        return period_ended(request, period, now, "answered")
    if deed is Deed.WITHDRAW:
        return None if status in WITHDRAWABLE else f"This request is closed ({status.label}); it cannot be withdrawn."
    if deed is Deed.RECORD_HARM:
        return None if status in REFUSED else "Harm or near misses are recorded against declined or revoked requests."
    if deed is Deed.RECORD_BYPASS:
        # docs/rules.md rule 5: the trust's requesters record it, as they record harm: the spec gives the
        # trust's side of a request to them, and keeps the tiers (the trust's medical director among them)
        # reviewing it with four eyes.
        if not request.mass_casualty:
            return "The failsafe bypass is only for a mass-casualty request."
        if request.bypass_recorded_at is not None:
            return "A recall under the failsafe bypass is already recorded on this request."
        if status not in OPEN_STATUSES:
            return (
                "A recall under the failsafe bypass is recorded while the request is on its route "
                f"(this one is {status.label.lower()})."
            )
        return period_ended(request, period, now, "changed")
    # Deed.STAND_DOWN
    return (
        None
        if stand_down_needed(request)
        else (
            "Nothing to stand down: no doctors recalled under the failsafe bypass are waiting to be stood down "
            "on this request."
        )
    )


def _for_a_reviewer(
    user: User,
    request: DerogationRequest,
    deed: Deed,
    history: Iterable[AuditEvent],
    period: StrikePeriod | None,
    now: datetime,
) -> DerogationError | None:
    """Why `user` may not decide at the request's tier now (REVIEW below the BMA, BMA_DECIDE at it), or None."""
    if deed is Deed.BMA_DECIDE and not is_bma(user):
        return PermissionDenied("Only the BMA approves or declines a derogation.")
    tier = reviewer_tier(user)
    if tier is None or not user.active:
        return PermissionDenied("Your role does not review requests.")
    if request.status != Status.IN_REVIEW:
        return NotAllowed(f"This request is not waiting for review ({Status(request.status).label}).")
    if request.current_tier != tier.value:
        return NotAllowed(
            f"This request is waiting at the {Tier(request.current_tier).label} tier, not yours "
            f"({tier.label}). Requests move up one tier at a time."
        )
    ended = period_ended(request, period, now, "reviewed")
    if ended:
        return NotAllowed(ended)
    four_eyes = four_eyes_refusal(user, request, history)
    if four_eyes:
        return PermissionDenied(four_eyes)
    if deed is Deed.REVIEW and tier is Tier.BMA:
        return NotAllowed("The BMA approves or declines; nothing else.")
    return None


TRUST_DEEDS = frozenset(
    {Deed.EDIT, Deed.SUBMIT, Deed.ANSWER, Deed.WITHDRAW, Deed.RECORD_HARM, Deed.RECORD_BYPASS, Deed.STAND_DOWN}
)


def refusal(
    user: User,
    request: DerogationRequest,
    deed: Deed,
    *,
    period: StrikePeriod | None,
    now: datetime,
    history: Iterable[AuditEvent] = (),
) -> DerogationError | None:
    """The error the workflow raises if `user` does `deed` to `request` now, or None when it may. The
    request must already be in the user's scope (visibility.load_visible); `period` is its strike period."""
    if deed in TRUST_DEEDS:
        if not is_requester_of(user, request):
            return (filing_refusal(user) if deed is Deed.EDIT else None) or PermissionDenied(NOT_A_REQUESTER)
        why = _for_the_trust(user, request, deed, period, now)
        return NotAllowed(why) if why else None
    if deed in NEEDS_HISTORY:
        return _for_a_reviewer(user, request, deed, history, period, now)
    if deed is Deed.REVOKE:
        if not is_bma(user):
            return PermissionDenied("Only the BMA can revoke an approval.")
        return None if request.status == Status.APPROVED else NotAllowed("Only an approved request can be revoked.")
    if deed is Deed.REVIEW_BYPASS:
        if not reviews_bypasses(user):
            return PermissionDenied("Only the national MDT reviews a failsafe bypass.")
        if request.bypass_recorded_at is None:
            return NotAllowed("No recall under the failsafe bypass is recorded on this request.")
        if request.bypass_review is not None:
            return NotAllowed("This failsafe bypass has already been reviewed.")
        if request.status in OPEN_STATUSES:
            return NotAllowed("A failsafe bypass is reviewed once the request's route has ended (it is still open).")
        return None
    return None  # Deed.COMMENT: everyone who can see the request


def offers(
    user: User,
    request: DerogationRequest,
    *,
    period: StrikePeriod | None,
    now: datetime,
    history: Iterable[AuditEvent] = (),
) -> dict[Deed, DerogationError | None]:
    """Every deed with its refusal (None: the page offers it), as `refusal` answers for each."""
    history = list(history)
    return {deed: refusal(user, request, deed, period=period, now=now, history=history) for deed in Deed}
