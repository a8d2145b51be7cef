"""The failsafe bypass (docs/rules.md rule 5): on a submitted mass-casualty request the trust's requesters record the doctors
they recalled at once; every tier and the BMA are told; the route goes on and the BMA still decides; after a
decline (or a narrower approval) the trust stands the doctors down; the national MDT reviews every bypass
afterwards. Mass casualty stays at the top of what needs attention from submission until it is closed."""

from datetime import timedelta

import pytest

from core import queries, workflow
from core.enums import Action, BypassReviewReason, BypassState, Grade, Role, Status, Tier
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.platform.errors import NotAllowed, PermissionDenied, ValidationFailed
from core.request import running_counts
from tests.core.conftest import (
    REASON,
    audit_rows,
    bma_approval,
    escalate_to,
    file_request,
    nothing_changes,
    notifications_for,
)

DECLARED = "Greater Manchester Police declared a major incident at 01:40"


def recall(**overrides) -> workflow.BypassRecall:
    values = {
        "recalled_at": utcnow() - timedelta(minutes=20),
        "doctors": 3,
        "grades": [Grade.ST3_PLUS.value, Grade.FY2.value],
        "declared_by": DECLARED,
        "note": "Gold command agreed.",
    }
    return workflow.BypassRecall(**(values | overrides))


def bypassed(team, period):
    request = file_request(team, period, mass_casualty=True)
    return workflow.record_bypass(team[Role.REQUESTER], request.id, request.version, recall())


def test_the_trust_records_a_bypass_and_every_tier_and_the_bma_hear_at_once(team, period):
    request = bypassed(team, period)
    assert (request.status, request.current_tier) == (Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)  # route goes on
    assert (request.bypass_doctors, request.bypass_grades) == (3, ["FY2", "ST3+"])
    assert request.bypass_declared_by == DECLARED and running_counts.bypass_state(request) is BypassState.REVIEW_DUE
    last = audit_rows(request.id)[-1]
    assert (last.action, last.actor_id, last.rationale) == (
        Action.RECORD_BYPASS,
        team[Role.REQUESTER].id,
        "Gold command agreed.",
    )
    assert last.details["doctors"] == 3 and last.details["declared_by"] == DECLARED
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT, Role.BMA):
        told = [n for n in notifications_for(team[role], request.id) if n.kind == Action.RECORD_BYPASS]
        assert told and "FAILSAFE BYPASS" in told[0].message and DECLARED in told[0].message, role


def test_who_may_record_a_bypass_and_when(team, period):
    ordinary = file_request(team, period)
    with nothing_changes(ordinary.id), pytest.raises(NotAllowed, match="only for a mass-casualty request"):
        workflow.record_bypass(team[Role.REQUESTER], ordinary.id, ordinary.version, recall())
    request = file_request(team, period, mass_casualty=True)
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.NATIONAL_MDT):
        with nothing_changes(request.id), pytest.raises(PermissionDenied, match="requesters"):
            workflow.record_bypass(team[role], request.id, request.version, recall())
    bad = {
        "recalled_at": (recall(recalled_at=utcnow() + timedelta(hours=1)), "in the future"),
        "doctors": (recall(doctors=0), "how many"),
        "grades": (recall(grades=["Consultant"]), "grades"),
        "declared_by": (recall(declared_by="  "), "who declared"),
    }
    for field, (given, message) in bad.items():
        with nothing_changes(request.id), pytest.raises(ValidationFailed, match=message) as caught:
            workflow.record_bypass(team[Role.REQUESTER], request.id, request.version, given)
        assert set(caught.value.errors) == {field}
    done = workflow.record_bypass(team[Role.REQUESTER], request.id, request.version, recall())
    with nothing_changes(done.id), pytest.raises(NotAllowed, match="already recorded"):
        workflow.record_bypass(team[Role.REQUESTER], done.id, done.version, recall())


def test_recording_the_bypass_counts_as_filing_for_four_eyes(team, staff, period):
    request = bypassed(team, period)
    from tests.core.workflow.test_route import _change_role

    recorder = _change_role(team[Role.REQUESTER], team[Role.ADMIN], Role.CLINICAL_DIRECTOR, trust_code="R0A")
    with nothing_changes(request.id), pytest.raises(PermissionDenied, match="You filed this request"):
        workflow.review(recorder, request.id, request.version, Action.ESCALATE, REASON)


def test_after_a_bma_decline_the_trust_stands_the_doctors_down_and_the_mdt_reviews(team, period):
    request = escalate_to(team, bypassed(team, period), Tier.BMA)
    requester, national = team[Role.REQUESTER], team[Role.NATIONAL_MDT]
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="Nothing to stand down"):
        workflow.stand_down(requester, request.id, request.version, utcnow(), "Stood down.")
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="still open"):
        workflow.review_bypass(national, request.id, request.version, "justified", ["event_confirmed"], REASON)
    decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=["non_urgent_work_running"])
    declined = workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
    told = notifications_for(requester, declined.id)[-1]
    assert "stand down" in told.message
    with nothing_changes(declined.id), pytest.raises(ValidationFailed, match="before they were recalled"):
        workflow.stand_down(requester, declined.id, declined.version, utcnow() - timedelta(hours=2), "Stood down.")
    stood = workflow.stand_down(requester, declined.id, declined.version, utcnow(), "All three sent home at 09:10.")
    assert stood.bypass_stood_down_at is not None
    with nothing_changes(stood.id), pytest.raises(NotAllowed, match="Nothing to stand down"):
        workflow.stand_down(requester, stood.id, stood.version, utcnow(), "Twice.")
    for who in (team[Role.TRUST_MD], team[Role.BMA]):
        with nothing_changes(stood.id), pytest.raises(PermissionDenied, match="national MDT"):
            workflow.review_bypass(who, stood.id, stood.version, "justified", ["event_confirmed"], REASON)
    with nothing_changes(stood.id), pytest.raises(ValidationFailed) as caught:
        workflow.review_bypass(national, stood.id, stood.version, "maybe", [], REASON)
    assert set(caught.value.errors) == {"finding"}
    with nothing_changes(stood.id), pytest.raises(ValidationFailed, match="at least one finding"):
        workflow.review_bypass(national, stood.id, stood.version, "not_justified", [], REASON)
    due = queries.bypass_reviews(national)
    assert [(row.request_id, row.ready_for_review) for row in due] == [(stood.id, True)]
    reviewed = workflow.review_bypass(
        national, stood.id, stood.version, "not_justified", ["other_cover_available", "recall_excessive"], REASON
    )
    assert (reviewed.bypass_review, reviewed.bypass_review_reasons) == (
        "not_justified",
        ["recall_excessive", "other_cover_available"],
    )
    assert running_counts.bypass_state(reviewed) is BypassState.NOT_JUSTIFIED
    assert queries.bypass_reviews(national) == []
    assert [r.review for r in queries.bypass_reviews(national, include_reviewed=True)] == ["not_justified"]
    assert "not justified" in notifications_for(requester, reviewed.id)[-1].message
    with nothing_changes(reviewed.id), pytest.raises(NotAllowed, match="already been reviewed"):
        workflow.review_bypass(national, reviewed.id, reviewed.version, "justified", ["event_confirmed"], REASON)
    with read_session() as session:
        running_counts.hold_writers(session)
        assert running_counts.differences(session) == {}


@pytest.mark.parametrize(
    ("findings", "named"),
    [
        (list(BypassReviewReason), "'A massive, externally declared event was confirmed' and 'No externally declared"),
        (["recall_proportionate", "recall_excessive", "other"], "'The number and grades recalled were proportionate'"),
        (["stood_down_promptly", "not_stood_down_promptly"], "'Doctors stood down promptly when required' and"),
        (["escalated_in_parallel", "not_escalated_promptly"], "'Not escalated promptly'"),
    ],
)
def test_contradictory_bypass_findings_are_refused_by_the_workflow(team, period, findings, named):
    request = escalate_to(team, bypassed(team, period), Tier.BMA)
    decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=["other"])
    declined = workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
    stood = workflow.stand_down(team[Role.REQUESTER], declined.id, declined.version, utcnow(), "All sent home.")
    national = team[Role.NATIONAL_MDT]
    with nothing_changes(stood.id), pytest.raises(ValidationFailed) as caught:
        workflow.review_bypass(national, stood.id, stood.version, "justified", findings, REASON)
    (message,) = caught.value.errors.values()
    assert set(caught.value.errors) == {"reasons"} and "contradict each other" in message and named in message
    consistent = [f for f in findings if not f.startswith(("no_", "not_", "recall_excessive"))]
    reviewed = workflow.review_bypass(national, stood.id, stood.version, "justified", consistent, REASON)
    assert reviewed.bypass_review == "justified"


def test_an_approval_covering_the_recall_needs_no_stand_down_a_narrower_one_does(team, period):
    wide = escalate_to(team, bypassed(team, period), Tier.BMA)
    wide = workflow.bma_decide(team[Role.BMA], wide.id, wide.version, bma_approval(wide))
    with nothing_changes(wide.id), pytest.raises(NotAllowed, match="Nothing to stand down"):
        workflow.stand_down(team[Role.REQUESTER], wide.id, wide.version, utcnow(), "Nothing to do.")
    narrow = escalate_to(team, bypassed(team, period), Tier.BMA)
    narrow = workflow.bma_decide(team[Role.BMA], narrow.id, narrow.version, bma_approval(narrow, approved_doctors=1))
    assert "stand down" in notifications_for(team[Role.REQUESTER], narrow.id)[-1].message
    workflow.stand_down(team[Role.REQUESTER], narrow.id, narrow.version, utcnow(), "Two of three stood down.")


def test_the_dashboard_counts_bypasses_and_their_reviews(team, period):
    bypassed(team, period)
    file_request(team, period, mass_casualty=True)
    file_request(team, period)
    for viewer in (team[Role.NATIONAL_MDT], team[Role.REGIONAL_MD], team[Role.TRUST_MD]):  # tally, requests
        figures = queries.headline(
            queries.dashboard_breakdown(viewer, period.id), queries.reason_counts(viewer, period.id)
        )
        assert (figures.bypasses, figures.bypass_doctors, figures.bypass_reviews_due) == (1, 3, 1)
        assert (figures.mass_casualty, figures.mass_casualty_open) == (2, 2)


def test_mass_casualty_is_at_the_top_of_needs_attention_from_submission_until_closed(team, period):
    """A fresh mass-casualty request is neither breached nor near its decision-needed-by time, yet it needs
    attention on every scope that may see it, above everything else, until it is closed."""
    late = file_request(
        team, period, decision_needed_by=utcnow() + timedelta(minutes=30), window_start=utcnow() + timedelta(hours=1)
    )
    calm = file_request(team, period)  # neither mass casualty, breached nor near: not listed
    mass = file_request(team, period, mass_casualty=True, decision_needed_by=utcnow() + timedelta(hours=3))
    for viewer in (team[Role.NATIONAL_MDT], team[Role.REGIONAL_MD]):
        listed = [row.request.id for row in queries.live_figures(viewer, period.id).attention]
        assert listed == [mass.id, late.id], viewer.role
        assert calm.id not in listed
    workflow.withdraw(team[Role.REQUESTER], mass.id, mass.version, "Incident stood down.")
    listed = [row.request.id for row in queries.attention(team[Role.NATIONAL_MDT], period.id)]
    assert listed == [late.id]
