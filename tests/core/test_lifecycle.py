"""The lifecycle table (core/lifecycle.py) is the one account of what each deed does: every Action has a row,
docs/lifecycle.md is generated from it, the permissions refuse a deed exactly where the table does not let it
happen, and the real workflow moves requests exactly as the table says."""

from __future__ import annotations

from datetime import timedelta

from core import workflow
from core.access_control.permissions import Deed, refusal
from core.enums import BMA_ACTIONS, REASONS_FOR, TIER_ACTIONS, Action, Grade, Reason, Role, Status, Tier
from core.lifecycle import BELOW_BMA, LIFECYCLE, REASONED_ACTION_LABELS, Actor, markdown, reasoned_deed_into, step
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from tests.conftest import TRUST_A, valid_form
from tests.core.conftest import REASON, audit_rows, bma_approval, escalate_to, file_request

# The deeds a person asks permission for, and the row of each (a review is one of four rows, a BMA decision two).
DEEDS = {
    Deed.EDIT: (Action.UPDATE_DRAFT,),
    Deed.SUBMIT: (Action.SUBMIT,),
    Deed.ANSWER: (Action.RESUBMIT,),
    Deed.WITHDRAW: (Action.WITHDRAW,),
    Deed.RECORD_HARM: (Action.RECORD_HARM,),
    Deed.REVIEW: TIER_ACTIONS,
    Deed.BMA_DECIDE: BMA_ACTIONS,
    Deed.REVOKE: (Action.REVOKE,),
    Deed.RECORD_BYPASS: (Action.RECORD_BYPASS,),
    Deed.STAND_DOWN: (Action.STAND_DOWN,),
    Deed.REVIEW_BYPASS: (Action.REVIEW_BYPASS,),
    Deed.COMMENT: (Action.COMMENT,),
}
WHO_ASKS = {Actor.TRUST: Role.REQUESTER, Actor.BMA: Role.BMA, Actor.NATIONAL_MDT: Role.NATIONAL_MDT}


def test_every_action_has_one_row_in_the_order_of_the_enum():
    assert [s.action for s in LIFECYCLE] == list(Action)


def test_docs_lifecycle_md_is_the_table():
    """Regenerate with `python -m core.lifecycle > docs/lifecycle.md` after changing the table."""
    assert (PROJECT_ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8") == markdown()


def test_the_vocabulary_agrees_with_the_table():
    assert {a for a in Action if step(a).by is Actor.REVIEWER} == set(TIER_ACTIONS)
    assert all(step(a).at_tiers == BELOW_BMA for a in TIER_ACTIONS)
    assert all(step(a).at_tiers == (Tier.BMA,) and step(a).by is Actor.BMA for a in BMA_ACTIONS)
    assert set(REASONED_ACTION_LABELS) == set(REASONS_FOR)
    assert Action.REVOKE.label == "Approval revoked" and REASONED_ACTION_LABELS[Action.REVOKE] == (
        "Approval revoked by the BMA"
    )
    shown_with_reasons = {s: reasoned_deed_into(s) for s in Status if reasoned_deed_into(s)}
    assert shown_with_reasons == {
        Status.MORE_INFO: Action.RETURN_FOR_INFO,
        Status.NOT_ELIGIBLE: Action.DECLINE_CRITERIA,
        Status.DECLINED: Action.DECLINE,
        Status.REVOKED: Action.REVOKE,
    }


def _places() -> list[tuple[Status, Tier | None]]:
    """Every place a request can be: a draft or closed off the route, open at any tier."""
    return [(s, t) for s in Status for t in ((None,) if s in (Status.DRAFT, *CLOSED) else tuple(Tier))]


CLOSED = tuple(s for s in Status if not s.is_open and s is not Status.DRAFT)


def _asker(deed: Deed, tier: Tier | None) -> User:
    if deed in (Deed.REVIEW, Deed.BMA_DECIDE):
        role = Role(tier.value) if tier else Role.CLINICAL_DIRECTOR
    else:
        role = WHO_ASKS.get(step(DEEDS[deed][0]).by, Role.NATIONAL_MDT)
    return User(id=1, email="a@test.nhs.uk", full_name="A", role=role.value, trust_code=TRUST_A, region_code="Y62")


def _request(deed: Deed, status: Status, tier: Tier | None, period: StrikePeriod) -> DerogationRequest:
    """A mass-casualty request in `status` at `tier`, as the deed needs it otherwise: a recall under the bypass
    recorded (and approved only in part) for those that follow one, none for recording one."""
    recorded = deed in (Deed.STAND_DOWN, Deed.REVIEW_BYPASS) and status is not Status.DRAFT  # never on a draft
    return DerogationRequest(
        id=1,
        status=status.value,
        current_tier=tier.value if tier else None,
        trust_code=TRUST_A,
        region_code="Y62",
        created_by_id=2,
        mass_casualty=True,
        strike_period_id=period.id,
        bypass_recorded_at=utcnow() if recorded else None,
        bypass_doctors=3 if recorded else None,
        bypass_grades=[Grade.FY2.value] if recorded else None,
        approved_doctors=1,
        approved_grades=[Grade.FY2.value],
    )


def test_a_deed_is_refused_exactly_where_the_table_does_not_let_it_happen():
    now = utcnow()
    period = StrikePeriod(id=1, name="Strike", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    disagreements = []
    for deed, actions in DEEDS.items():
        for status, tier in _places():
            request = _request(deed, status, tier, period)
            allowed = refusal(_asker(deed, tier), request, deed, period=period, now=now) is None
            if allowed != any(step(a).may_happen(status, tier) for a in actions):
                disagreements.append((deed, status, tier, allowed))
    assert disagreements == []


def _walk(team: dict[Role, User], period: StrikePeriod) -> None:
    """Every deed, from every status the table moves a request out of."""
    requester, cd, tmd, bma = (team[r] for r in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.BMA))
    reasons = [Reason.EVIDENCE_MISSING.value]

    draft = workflow.save_draft(requester, valid_form(period))
    draft = workflow.save_draft(requester, valid_form(period), draft.id, draft.version)
    workflow.withdraw(requester, draft.id, draft.version, REASON)

    returned = file_request(team, period)
    returned = workflow.review(cd, returned.id, returned.version, Action.RETURN_FOR_INFO, REASON, reasons=reasons)
    answered = workflow.answer_more_info(requester, returned.id, returned.version, valid_form(period), "Answered.")
    workflow.withdraw(requester, answered.id, answered.version, REASON)
    returned = file_request(team, period)
    returned = workflow.review(cd, returned.id, returned.version, Action.RETURN_FOR_INFO, REASON, reasons=reasons)
    workflow.withdraw(requester, returned.id, returned.version, REASON)

    local = file_request(team, period)
    workflow.review(cd, local.id, local.version, Action.RESOLVE_LOCALLY, REASON)
    criteria = escalate_to(team, file_request(team, period), Tier.TRUST_MD)
    criteria = workflow.review(tmd, criteria.id, criteria.version, Action.DECLINE_CRITERIA, REASON, reasons=reasons)
    workflow.record_harm(requester, criteria.id, criteria.version, "A near miss.")
    workflow.add_comment(requester, criteria.id, "For the record.")

    approved = escalate_to(team, file_request(team, period), Tier.BMA)
    approved = workflow.bma_decide(bma, approved.id, approved.version, bma_approval(approved))
    workflow.revoke(bma, approved.id, approved.version, REASON, reasons=[Reason.FACTS_CHANGED.value])

    bypassed = file_request(team, period, mass_casualty=True)
    recall = workflow.BypassRecall(
        recalled_at=utcnow() - timedelta(minutes=20), doctors=3, grades=[Grade.FY2.value], declared_by="The police"
    )
    bypassed = workflow.record_bypass(requester, bypassed.id, bypassed.version, recall)
    bypassed = escalate_to(team, bypassed, Tier.BMA)
    no = workflow.BmaDecision(approve=False, rationale=REASON, reasons=reasons)
    declined = workflow.bma_decide(bma, bypassed.id, bypassed.version, no)
    stood_down = workflow.stand_down(requester, declined.id, declined.version, utcnow(), "Stood down.")
    national = team[Role.NATIONAL_MDT]
    workflow.review_bypass(national, stood_down.id, stood_down.version, "justified", ["event_confirmed"], REASON)

    asked = file_request(team, period, mass_casualty=True)
    asked = workflow.review(cd, asked.id, asked.version, Action.RETURN_FOR_INFO, REASON, reasons=reasons)
    workflow.record_bypass(requester, asked.id, asked.version, recall)
    file_request(team, period)  # in review when the period ends
    workflow.expire_ended_periods(now=period.ends_at + timedelta(minutes=1))


def test_the_workflow_moves_every_request_as_the_table_says(team, period):
    _walk(team, period)
    done, wrong = set(), []
    for event in audit_rows():
        if event.request_id is None:
            continue  # not about a request (the period's creation)
        s = step(event.action)
        done.add((s.action, event.from_status))
        if event.from_status is None:  # the row that made the request
            moved = s.from_statuses == frozenset() and event.to_status == s.to_status
        else:
            moved = s.may_happen(event.from_status, event.from_tier) and (event.to_status, event.to_tier) == (
                s.next_status(event.from_status).value,
                s.next_tier(event.from_tier).value if s.next_tier(event.from_tier) else None,
            )
        if not moved:
            wrong.append((event.action, event.from_status, event.from_tier, event.to_status, event.to_tier))
    assert wrong == []
    assert {action for action, _ in done} == set(Action)
    # Every arrow of docs/lifecycle.md's diagram was walked.
    arrows = {
        (s.action, status.value)
        for s in LIFECYCLE
        for status in s.from_statuses
        if s.next_status(status) is not status or s.action is Action.ESCALATE
    }
    assert arrows <= done
