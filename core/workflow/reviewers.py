"""What the reviewing tiers below the BMA do (escalate, resolve locally, return for more information,
decline), and the national MDT's review of a failsafe bypass once the route has ended."""

from __future__ import annotations

from datetime import datetime

from core.access_control.permissions import Deed
from core.enums import BYPASS_FINDINGS, TIER_ACTIONS, Action, BypassReviewReason, BypassState, Tier
from core.models import DerogationRequest, User
from core.platform.errors import NotAllowed, ValidationFailed
from core.workflow.command import acting_on, choices, reasons_for, written

CHOOSE_AN_ACTION = "Choose escalate, resolve locally, return for more information, or decline."
# Findings of a bypass review that cannot both be true: one review records one of each pair at most.
CONTRADICTORY_FINDINGS = (
    (BypassReviewReason.EVENT_CONFIRMED, BypassReviewReason.NO_EXTERNAL_EVENT),
    (BypassReviewReason.RECALL_PROPORTIONATE, BypassReviewReason.RECALL_EXCESSIVE),
    (BypassReviewReason.ESCALATED_IN_PARALLEL, BypassReviewReason.NOT_ESCALATED_PROMPTLY),
    (BypassReviewReason.STOOD_DOWN_PROMPTLY, BypassReviewReason.NOT_STOOD_DOWN_PROMPTLY),
)


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
    try:
        action = Action(action)
    except ValueError:
        raise NotAllowed(CHOOSE_AN_ACTION) from None
    rationale = written(rationale)
    with acting_on(actor, request_id, version, Deed.REVIEW, now) as act:
        if action not in TIER_ACTIONS:
            raise NotAllowed(CHOOSE_AN_ACTION)
        reasons = reasons_for(action, reasons)  # after the checks of who may act: a refusal says that first
        # Where the request goes is core.lifecycle's; what else each deed records is here.
        tier = Tier(act.request.current_tier)
        changes: dict = {}
        if action is Action.ESCALATE and tier.next is Tier.BMA:
            changes["escalated_to_bma_at"] = act.now
        elif action is Action.RETURN_FOR_INFO:
            changes["returned_from_tier"] = tier.value
        return act.record(action, changes, rationale=rationale, reasons=reasons)


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
    rationale = written(rationale)
    with acting_on(actor, request_id, version, Deed.REVIEW_BYPASS, now) as act:
        if not isinstance(finding, str) or finding not in {f.value for f in BYPASS_FINDINGS}:
            raise ValidationFailed({"finding": "Choose whether the bypass was justified."})
        chosen = choices(
            reasons,
            tuple(BypassReviewReason),
            "reasons",
            "list of reasons",
            "Choose at least one finding from the list, as well as writing your rationale.",
        )
        if clashes := [pair for pair in CONTRADICTORY_FINDINGS if set(pair) <= set(chosen)]:
            named = "; ".join(f"'{one.label}' and '{other.label}'" for one, other in clashes)
            raise ValidationFailed({"reasons": f"These findings contradict each other: {named}. Keep one of each."})
        changes = {"bypass_review": str(finding), "bypass_review_reasons": chosen, "bypass_reviewed_at": act.now}
        details = {"finding": str(finding), "findings": chosen}
        return act.record(Action.REVIEW_BYPASS, changes, rationale=rationale, details=details)
