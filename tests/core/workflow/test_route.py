"""docs/rules.md rule 3, the escalation route: one tier at a time, four actions at each tier with a rationale,
resubmission to the tier that asked, withdrawal, and docs/rules.md rule 6 (four eyes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import queries, workflow
from core.access_control.permissions import Deed
from core.accounts.users import update_user
from core.enums import TIER_ACTIONS, TIER_ORDER, Action, Role, Status, Tier
from core.platform.db import write_session
from core.platform.errors import NotAllowed, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from core.request.form import RequestForm
from tests.conftest import TRUST_B, valid_form
from tests.core.conftest import (
    REASON,
    audit_rows,
    escalate_to,
    file_request,
    nothing_changes,
    notifications_for,
    reload,
)

REVIEW_TIERS = [t for t in TIER_ORDER if t is not Tier.BMA]
REVIEWER_ROLES = [Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT]
BAD_RATIONALES = [
    ("", "Give your reasons: every action needs a written rationale."),
    ("   \n\t", "Give your reasons: every action needs a written rationale."),
    (
        "x" * (workflow.MAX_RATIONALE + 1),
        f"Use {workflow.MAX_RATIONALE:,} characters or fewer (you have {workflow.MAX_RATIONALE + 1:,}).",
    ),
    ("fine\x00", "Remove the invisible control character from this text."),
    (None, "Give your reasons: every action needs a written rationale."),
]


def _answer(team, request, answer="Consultants asked by name: Dr A on leave, Dr B covering days.", **changes):
    form = RequestForm.from_request(request)
    for name, value in changes.items():
        setattr(form, name, value)
    return workflow.answer_more_info(team[Role.REQUESTER], request.id, request.version, form, answer)


def _change_role(user, admin, role: Role, **scope):
    with write_session() as session:
        return update_user(session, user.id, by=admin, role=role, **scope)


# ---------------------------------------------------------------- one tier at a time


def test_the_route_is_walked_one_tier_at_a_time_and_every_hop_is_recorded(team, period):
    request = file_request(team, period)
    for tier, role in zip(REVIEW_TIERS, REVIEWER_ROLES, strict=True):
        assert request.current_tier == tier
        request = workflow.review(team[role], request.id, request.version, Action.ESCALATE, f"{tier}: {REASON}")
        assert request.current_tier == tier.next and request.status == Status.IN_REVIEW
    assert request.escalated_to_bma_at is not None
    hops = [r for r in audit_rows(request.id) if r.action == Action.ESCALATE]
    assert [(r.from_tier, r.to_tier) for r in hops] == [(t.value, t.next.value) for t in REVIEW_TIERS]
    assert [(r.actor_id, r.actor_role) for r in hops] == [(team[role].id, role.value) for role in REVIEWER_ROLES]
    assert [r.rationale for r in hops] == [f"{tier}: {REASON}" for tier in REVIEW_TIERS]


def test_reviewers_cannot_act_at_a_tier_that_is_not_theirs(team, period):
    request = file_request(team, period)
    for tier in REVIEW_TIERS:
        request = escalate_to(team, request, tier)
        for role in REVIEWER_ROLES:
            if role.value == tier.value:
                continue
            with nothing_changes(request.id), pytest.raises(NotAllowed) as caught:
                workflow.review(team[role], request.id, request.version, Action.ESCALATE, REASON)
            assert str(caught.value).startswith(f"This request is waiting at the {tier.label} tier, not yours")
            assert "one tier at a time" in str(caught.value)


def test_national_mdt_cannot_act_until_the_three_tiers_below_have_escalated(team, period):
    """Skipping a tier is impossible: at each lower tier every national action is refused."""
    request = file_request(team, period)
    for tier in (Tier.CLINICAL_DIRECTOR, Tier.TRUST_MD, Tier.REGIONAL_MD):
        request = escalate_to(team, request, tier)
        for action in TIER_ACTIONS:
            with nothing_changes(request.id), pytest.raises(NotAllowed, match="not yours"):
                workflow.review(
                    team[Role.NATIONAL_MDT], request.id, request.version, action, REASON, reasons=["evidence_missing"]
                )
    request = escalate_to(team, request, Tier.NATIONAL_MDT)
    escalated = workflow.review(team[Role.NATIONAL_MDT], request.id, request.version, Action.ESCALATE, REASON)
    assert escalated.current_tier == Tier.BMA


def test_the_bma_cannot_see_a_request_before_it_is_escalated_to_it(team, period):
    request = escalate_to(team, file_request(team, period), Tier.NATIONAL_MDT)
    with nothing_changes(request.id), pytest.raises(NotFound):
        workflow.review(team[Role.BMA], request.id, request.version, Action.ESCALATE, REASON)
    with nothing_changes(request.id), pytest.raises(NotFound):
        workflow.bma_decide(
            team[Role.BMA],
            request.id,
            request.version,
            workflow.BmaDecision(False, REASON, reasons=["evidence_missing"]),
        )


def test_the_bma_only_approves_or_declines(team, period):
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    for action in TIER_ACTIONS:
        with nothing_changes(request.id), pytest.raises(NotAllowed, match="The BMA approves or declines"):
            workflow.review(team[Role.BMA], request.id, request.version, action, REASON, reasons=["evidence_missing"])


def test_requesters_do_not_review(team, period):
    request = file_request(team, period)
    with nothing_changes(request.id), pytest.raises(PermissionDenied, match="Your role does not review requests."):
        workflow.review(team[Role.REQUESTER], request.id, request.version, Action.ESCALATE, REASON)


def test_administrators_cannot_even_see_requests(team, period):
    request = file_request(team, period)
    with nothing_changes(request.id), pytest.raises(NotFound):
        workflow.review(team[Role.ADMIN], request.id, request.version, Action.ESCALATE, REASON)


def test_only_the_four_tier_actions_exist_below_the_bma(team, period):
    request = file_request(team, period)
    for action in ["approve", "decline", "submit", "bogus", "", None]:
        with nothing_changes(request.id), pytest.raises(NotAllowed, match="Choose escalate, resolve locally"):
            workflow.review(
                team[Role.CLINICAL_DIRECTOR], request.id, request.version, action, REASON, reasons=["evidence_missing"]
            )


# ---------------------------------------------------------------- the four actions at each tier


@pytest.mark.parametrize(
    ("action", "status"),
    [(Action.RESOLVE_LOCALLY, Status.RESOLVED_LOCALLY), (Action.DECLINE_CRITERIA, Status.NOT_ELIGIBLE)],
)
def test_resolving_locally_or_declining_closes_the_request_at_any_tier(team, period, action, status):
    for tier in REVIEW_TIERS:
        _close_at(team, period, tier, action, status)


def _close_at(team, period, tier, action, status):
    request = escalate_to(team, file_request(team, period), tier)
    closed = workflow.review(
        team[Role(tier.value)], request.id, request.version, action, REASON, reasons=["evidence_missing"]
    )
    assert (closed.status, closed.current_tier) == (status, None)
    assert closed.closed_at is not None and closed.version == request.version + 1
    last = audit_rows(request.id)[-1]
    assert (last.action, last.from_status, last.to_status, last.from_tier, last.to_tier) == (
        action,
        Status.IN_REVIEW,
        status,
        tier,
        None,
    )
    for role in REVIEWER_ROLES:  # closed: nobody can act on it any more
        with nothing_changes(request.id), pytest.raises((NotAllowed, NotFound)):
            workflow.review(team[role], closed.id, closed.version, Action.ESCALATE, REASON)


def test_more_information_goes_back_to_the_tier_that_asked(team, period):
    for tier in REVIEW_TIERS:
        _round_trip(team, period, tier)


def _round_trip(team, period, tier):
    request = escalate_to(team, file_request(team, period), tier)
    reviewer = team[Role(tier.value)]
    returned = workflow.review(
        reviewer,
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which consultants?",
        reasons=["evidence_missing"],
    )
    assert (returned.status, returned.returned_from_tier) == (Status.MORE_INFO, tier)
    for role in REVIEWER_ROLES:  # nobody reviews it while the trust is answering
        with nothing_changes(request.id), pytest.raises(NotAllowed):
            workflow.review(team[role], returned.id, returned.version, Action.ESCALATE, REASON)

    answered = _answer(team, returned, doctors_requested=2)
    assert (answered.status, answered.current_tier, answered.returned_from_tier) == (Status.IN_REVIEW, tier, None)
    assert answered.doctors_requested == 2
    last = audit_rows(request.id)[-1]
    assert (last.action, last.from_status, last.to_status, last.to_tier) == (
        Action.RESUBMIT,
        Status.MORE_INFO,
        Status.IN_REVIEW,
        tier,
    )
    # Four eyes is about tiers, not visits: the reviewer who asked acts again at the same tier.
    after = workflow.review(reviewer, answered.id, answered.version, Action.ESCALATE, REASON)
    assert after.current_tier == tier.next


def test_answering_needs_an_open_question_a_valid_form_and_an_answer(team, period):
    request = file_request(team, period)
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="Nobody has asked for more information"):
        _answer(team, request)
    returned = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which consultants?",
        reasons=["evidence_missing"],
    )
    with nothing_changes(request.id), pytest.raises(ValidationFailed) as caught:
        _answer(team, returned, answer="  ")
    assert "answer" in caught.value.errors
    with nothing_changes(request.id), pytest.raises(ValidationFailed) as caught:
        _answer(team, returned, category="routine_elective", risk_description="")
    assert {"category", "risk_description"} <= caught.value.errors.keys()
    with nothing_changes(request.id), pytest.raises(ValidationFailed) as caught:
        _answer(team, returned, trust_code=TRUST_B)  # a request cannot move to another trust
    assert caught.value.errors == {"trust_code": "You can only file requests for your own trust."}
    with nothing_changes(request.id), pytest.raises(PermissionDenied):
        workflow.answer_more_info(
            team[Role.CLINICAL_DIRECTOR], returned.id, returned.version, RequestForm.from_request(returned), "x" * 20
        )


def test_every_tier_action_needs_a_rationale(team, period):
    request = file_request(team, period)
    for action in TIER_ACTIONS:
        for text, message in BAD_RATIONALES:
            with nothing_changes(request.id), pytest.raises(ValidationFailed) as caught:
                workflow.review(
                    team[Role.CLINICAL_DIRECTOR],
                    request.id,
                    request.version,
                    action,
                    text,
                    reasons=["evidence_missing"],
                )
            assert caught.value.errors == {"rationale": message}, (action, text)


def test_every_other_action_needs_its_text_too(team, period):
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    for text, message in BAD_RATIONALES:
        cases = [
            (lambda t=text: workflow.withdraw(team[Role.REQUESTER], request.id, request.version, t), "rationale"),
            (
                lambda t=text: workflow.bma_decide(
                    team[Role.BMA],
                    request.id,
                    request.version,
                    workflow.BmaDecision(approve=False, rationale=t, reasons=["evidence_missing"]),
                ),
                "rationale",
            ),
            (lambda t=text: workflow.add_comment(team[Role.NATIONAL_MDT], request.id, t), "comment"),
        ]
        for call, field in cases:
            with nothing_changes(request.id), pytest.raises(ValidationFailed) as caught:
                call()
            assert caught.value.errors == {field: message}, (field, text)


# ---------------------------------------------------------------- withdrawal


@pytest.mark.parametrize("where", ["draft", "clinical_director", "more_info", "bma"])
def test_the_trust_can_withdraw_while_open(team, period, where):
    requester = team[Role.REQUESTER]
    if where == "draft":
        request = workflow.save_draft(requester, valid_form(period))
    else:
        request = file_request(team, period)
        if where == "more_info":
            request = workflow.review(
                team[Role.CLINICAL_DIRECTOR],
                request.id,
                request.version,
                Action.RETURN_FOR_INFO,
                "Which wards?",
                reasons=["evidence_missing"],
            )
        elif where == "bma":
            request = escalate_to(team, request, Tier.BMA)
    before = request.status
    withdrawn = workflow.withdraw(requester, request.id, request.version, "Cover found.")
    assert (withdrawn.status, withdrawn.current_tier) == (Status.WITHDRAWN, None)
    assert withdrawn.closed_at is not None
    last = audit_rows(request.id)[-1]
    assert (last.action, last.from_status, last.to_status, last.rationale) == (
        Action.WITHDRAW,
        before,
        Status.WITHDRAWN,
        "Cover found.",
    )
    with nothing_changes(request.id), pytest.raises(NotAllowed):  # the trust cannot answer a withdrawn request
        _answer(team, withdrawn)


def test_a_closed_request_cannot_be_withdrawn(team, period):
    request = file_request(team, period)
    closed = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.RESOLVE_LOCALLY, REASON)
    with nothing_changes(request.id), pytest.raises(NotAllowed, match=r"closed \(Resolved locally\)"):
        workflow.withdraw(team[Role.REQUESTER], closed.id, closed.version, "Changed our mind.")


def test_only_the_trusts_own_requesters_withdraw(team, staff, period):
    request = file_request(team, period)
    other_trust = staff.make(Role.REQUESTER, trust=TRUST_B)
    with nothing_changes(request.id), pytest.raises(NotFound, match="That request was not found."):
        workflow.withdraw(other_trust, request.id, request.version, "Not ours.")
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
        with nothing_changes(request.id), pytest.raises(PermissionDenied):
            workflow.withdraw(team[role], request.id, request.version, "Not theirs to withdraw.")


# ---------------------------------------------------------------- docs/rules.md rule 6: four eyes


def test_the_filer_cannot_review_their_own_request_even_after_a_role_change(team, period):
    request = file_request(team, period)
    filer = _change_role(team[Role.REQUESTER], team[Role.ADMIN], Role.CLINICAL_DIRECTOR, trust_code="R0A")
    with nothing_changes(request.id), pytest.raises(PermissionDenied, match="You filed this request"):
        workflow.review(filer, request.id, request.version, Action.ESCALATE, REASON)


def test_whoever_submitted_or_answered_counts_as_a_filer(team, staff, period):
    """A colleague who submitted the draft (or answered the questions on it) filed it just as much."""
    colleague = staff.make(Role.REQUESTER, trust="R0A")
    draft = workflow.save_draft(team[Role.REQUESTER], valid_form(period))
    request = workflow.submit(colleague, draft.id, draft.version)
    colleague = _change_role(colleague, team[Role.ADMIN], Role.CLINICAL_DIRECTOR, trust_code="R0A")
    with nothing_changes(request.id), pytest.raises(PermissionDenied, match="You filed this request"):
        workflow.review(colleague, request.id, request.version, Action.ESCALATE, REASON)


def test_nobody_acts_at_two_tiers_of_one_request(team, period):
    request = file_request(team, period)
    director = team[Role.CLINICAL_DIRECTOR]
    request = workflow.review(director, request.id, request.version, Action.ESCALATE, REASON)
    promoted = _change_role(director, team[Role.ADMIN], Role.TRUST_MD, trust_code="R0A")
    with nothing_changes(request.id), pytest.raises(PermissionDenied) as caught:
        workflow.review(promoted, request.id, request.version, Action.ESCALATE, REASON)
    assert str(caught.value) == (
        "You already acted on this request at the Clinical director tier; "
        "a different person must review it at this tier."
    )
    # The other trust medical director can act: the rule is about the person, not the tier.
    assert workflow.review(team[Role.TRUST_MD], request.id, request.version, Action.ESCALATE, REASON).current_tier == (
        Tier.REGIONAL_MD
    )


def test_four_eyes_counts_returns_for_information_as_acting(team, period):
    request = file_request(team, period)
    director = team[Role.CLINICAL_DIRECTOR]
    request = workflow.review(
        director, request.id, request.version, Action.RETURN_FOR_INFO, "Which wards?", reasons=["evidence_missing"]
    )
    request = _answer(team, request)
    request = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON)
    promoted = _change_role(director, team[Role.ADMIN], Role.TRUST_MD, trust_code="R0A")
    with nothing_changes(request.id), pytest.raises(PermissionDenied, match="already acted"):
        workflow.review(
            promoted, request.id, request.version, Action.DECLINE_CRITERIA, REASON, reasons=["evidence_missing"]
        )


def test_what_the_panel_offers_is_what_the_workflow_accepts_under_four_eyes(team, staff, period):
    """The review panel offers a decision only when the request's record does (core.access_control.permissions.refusal, four
    eyes included); the workflow asks the same function. For each kind of person, the two agree."""
    colleague = staff.make(Role.REQUESTER, trust="R0A")
    draft = workflow.save_draft(team[Role.REQUESTER], valid_form(period))
    request = workflow.submit(colleague, draft.id, draft.version)
    director = team[Role.CLINICAL_DIRECTOR]
    request = workflow.review(director, request.id, request.version, Action.ESCALATE, REASON)
    people = {
        "the creator, now a trust MD": _change_role(
            team[Role.REQUESTER], team[Role.ADMIN], Role.TRUST_MD, trust_code="R0A"
        ),
        "the submitter, now a trust MD": _change_role(colleague, team[Role.ADMIN], Role.TRUST_MD, trust_code="R0A"),
        "the escalating director, now a trust MD": _change_role(
            director, team[Role.ADMIN], Role.TRUST_MD, trust_code="R0A"
        ),
        "another trust MD": team[Role.TRUST_MD],
    }
    for who, person in people.items():  # the only one who may act comes last: acting moves the request on
        offered = queries.request_record(person, request.id).offers(Deed.REVIEW)
        try:
            workflow.review(person, request.id, request.version, Action.ESCALATE, REASON)
            accepted = True
        except PermissionDenied:
            accepted = False
        assert offered == accepted == (who == "another trust MD"), who


def test_the_actor_is_read_afresh_so_a_stale_sign_in_has_no_power(team, period):
    request = file_request(team, period)
    director = team[Role.CLINICAL_DIRECTOR]
    with write_session() as session:
        update_user(
            session, director.id, by=team[Role.ADMIN], role=Role.CLINICAL_DIRECTOR, trust_code="R0A", active=False
        )
    with nothing_changes(request.id), pytest.raises(PermissionDenied, match="not active"):
        workflow.review(director, request.id, request.version, Action.ESCALATE, REASON)


# ---------------------------------------------------------------- stale versions


def test_an_action_on_a_stale_version_is_refused_and_changes_nothing(team, period):
    request = file_request(team, period)
    escalated = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON)
    stale = request.version
    calls = [
        lambda: workflow.review(team[Role.TRUST_MD], request.id, stale, Action.ESCALATE, REASON),
        lambda: workflow.withdraw(team[Role.REQUESTER], request.id, stale, "Cover found."),
    ]
    for call in calls:
        with nothing_changes(request.id), pytest.raises(StaleVersion) as caught:
            call()
        assert str(caught.value).startswith("This request changed since you opened it.")
    assert reload(request.id).version == escalated.version


def test_whoever_loses_a_race_is_told_the_request_changed(team, staff, period):
    """Two clinical directors open the same request; the second to act hears 'changed', not 'not yours'."""
    request = file_request(team, period)
    other_director = staff.make(Role.CLINICAL_DIRECTOR, trust="R0A")
    workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON)
    with nothing_changes(request.id), pytest.raises(StaleVersion):
        workflow.review(other_director, request.id, request.version, Action.RESOLVE_LOCALLY, REASON)


def test_every_versioned_action_of_the_trust_refuses_an_old_copy(team, staff, period):
    requester, colleague = team[Role.REQUESTER], staff.make(Role.REQUESTER, trust="R0A")
    draft = workflow.save_draft(requester, valid_form(period))
    workflow.save_draft(colleague, valid_form(period, ward="Ward 9"), draft.id, draft.version)
    with nothing_changes(draft.id), pytest.raises(StaleVersion):
        workflow.submit(requester, draft.id, draft.version)  # submitting what the colleague has since changed

    request = file_request(team, period)
    returned = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which wards?",
        reasons=["evidence_missing"],
    )
    _answer(team, returned)  # one requester answers; a colleague answers from the same old copy
    with nothing_changes(request.id), pytest.raises(StaleVersion):
        workflow.answer_more_info(
            colleague, returned.id, returned.version, RequestForm.from_request(returned), "Ward 3."
        )

    closed = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        returned.version + 1,
        Action.DECLINE_CRITERIA,
        REASON,
        reasons=["evidence_missing"],
    )
    workflow.record_harm(requester, closed.id, closed.version, "Delayed review.")
    with nothing_changes(request.id), pytest.raises(StaleVersion):
        workflow.record_harm(colleague, closed.id, closed.version, "Delayed review, again.")


def test_a_draft_saved_from_an_old_copy_is_refused(team):
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(None))
    workflow.save_draft(requester, valid_form(None, ward="Ward 9"), draft.id, draft.version)
    with nothing_changes(draft.id), pytest.raises(StaleVersion):
        workflow.save_draft(requester, valid_form(None, ward="Ward 1"), draft.id, draft.version)
    assert reload(draft.id).ward == "Ward 9"


# ---------------------------------------------------------------- comments


def test_anyone_in_scope_can_comment_and_it_is_audited(team, staff, period):
    request = file_request(team, period)
    comment = workflow.add_comment(team[Role.REGIONAL_MD], request.id, "Called the trust; cover confirmed for days.")
    assert comment.body == "Called the trust; cover confirmed for days."
    last = audit_rows(request.id)[-1]
    assert (last.action, last.actor_id, last.details) == (
        Action.COMMENT,
        team[Role.REGIONAL_MD].id,
        {"comment_id": comment.id},
    )
    assert (last.from_status, last.to_status) == (Status.IN_REVIEW, Status.IN_REVIEW)
    assert reload(request.id).version == request.version  # a comment does not invalidate open copies
    outsider = staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_B)
    for person in (outsider, team[Role.BMA], team[Role.ADMIN]):
        with nothing_changes(request.id), pytest.raises(NotFound):
            workflow.add_comment(person, request.id, "Out of scope")


# ---------------------------------------------------------------- docs/rules.md rule 5: mass casualty


def test_mass_casualty_alerts_every_tier_at_once_but_walks_the_route(team, staff, period):
    outsiders = [
        staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_B),
        staff.make(Role.TRUST_MD, trust="RJ1"),
        staff.make(Role.REGIONAL_MD, region="Y56"),
    ]
    request = file_request(team, period, mass_casualty=True)
    assert request.mass_casualty
    for role in (*REVIEWER_ROLES, Role.BMA):
        alerts = [n for n in notifications_for(team[role], request.id) if n.kind == Action.SUBMIT]
        assert len(alerts) == 1 and "MASS CASUALTY" in alerts[0].message, role
    for person in (*outsiders, team[Role.REQUESTER], team[Role.ADMIN]):
        assert notifications_for(person, request.id) == []
    assert audit_rows(request.id)[-1].details == {"mass_casualty": True, "strike_period_id": period.id}
    # Still one tier at a time, and still the BMA's decision on record.
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="not yours"):
        workflow.review(team[Role.NATIONAL_MDT], request.id, request.version, Action.ESCALATE, REASON)
    request = escalate_to(team, request, Tier.BMA)
    assert request.status == Status.IN_REVIEW and request.current_tier == Tier.BMA


def test_an_ordinary_request_alerts_only_the_tier_it_waits_at(team, period):
    request = file_request(team, period)
    assert len(notifications_for(team[Role.CLINICAL_DIRECTOR], request.id)) == 1
    for role in (Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT, Role.BMA):
        assert notifications_for(team[role], request.id) == []


# ---------------------------------------------------------------- the strike period ends


def test_reviewers_cannot_act_once_the_strike_period_has_ended(team, period):
    """Between the end of the strike and the expiry job, an open request must not be escalated or approved."""
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    after_end = period.ends_at + timedelta(minutes=5)
    decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=["evidence_missing"])
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="strike period ended"):
        workflow.bma_decide(team[Role.BMA], request.id, request.version, decision, now=after_end)


def test_the_trust_cannot_answer_once_the_strike_period_has_ended(team, period):
    request = file_request(team, period)
    returned = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which wards?",
        reasons=["evidence_missing"],
    )
    form = RequestForm.from_request(returned)
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="can no longer be answered"):
        workflow.answer_more_info(
            team[Role.REQUESTER], returned.id, returned.version, form, "Ward 3.", now=period.ends_at
        )
