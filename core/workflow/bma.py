"""What the BMA does: approve (no wider than asked, docs/rules.md rule 4) or decline a request that reached
it, and revoke an approval when new information comes to light."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from core.access_control.permissions import Deed
from core.enums import Action, Grade
from core.models import DerogationRequest, User, column_limit
from core.platform.clock import format_london, from_london
from core.platform.errors import ValidationFailed
from core.platform.input_checks import plausible_time, request_at, text_problem, yes_no
from core.workflow.command import acting_on, reasons_for, written

MAX_SCOPE = column_limit(DerogationRequest.approved_scope)  # the BMA's "scope approved"
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone


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
    if problem := text_problem(decision.approved_scope, MAX_SCOPE):
        errors["approved_scope"] = problem
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
    request_at(request_id, version)  # a wrong-typed id or version is the first thing refused
    yes_no(decision.approve, "decision (approve or decline)")
    rationale = written(decision.rationale)
    with acting_on(actor, request_id, version, Deed.BMA_DECIDE, now) as act:
        reasons = reasons_for(Action.APPROVE if decision.approve else Action.DECLINE, decision.reasons)
        decided = {"decided_at": act.now}  # the status, and the end of the route, are core.lifecycle's
        if not decision.approve:
            return act.record(Action.DECLINE, decided, rationale=rationale, reasons=reasons)
        approved = _check_approval(decision, act.request, act.now)
        reference = new_confirmation_ref()
        changes = approved | decided | {"confirmation_ref": reference}
        details = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in approved.items()}
        details["confirmation_ref"] = reference
        return act.record(Action.APPROVE, changes, rationale=rationale, details=details)


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
    reason = written(reason)
    with acting_on(actor, request_id, version, Deed.REVOKE, now) as act:
        reasons = reasons_for(Action.REVOKE, reasons)
        changes = {"revoked_at": act.now, "revoke_reason": reason}
        return act.record(Action.REVOKE, changes, rationale=reason, reasons=reasons)
