"""docs/rules.md rule 4: only the BMA approves or declines; an approval may be narrower than asked, never wider;
revocation by the BMA of an approval only; harm recorded after a decline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import workflow
from core.accounts.users import update_user
from core.enums import Action, Grade, Role, Status, Tier
from core.platform.db import write_session
from core.platform.errors import NotAllowed, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from tests.core.conftest import (
    REASON,
    audit_rows,
    bma_approval,
    escalate_to,
    file_request,
    nothing_changes,
    notifications_for,
    reload,
)

OTHER_ROLES = (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT)
DECLINE = workflow.BmaDecision(
    approve=False, rationale="Consultant cover has not been shown to be exhausted.", reasons=["evidence_missing"]
)


@pytest.fixture
def at_bma(team, period):
    return escalate_to(team, file_request(team, period), Tier.BMA)


def test_the_bma_approves_exactly_what_it_gives(team, at_bma):
    start = at_bma.window_start + timedelta(hours=1)
    decision = bma_approval(
        at_bma,
        approved_doctors=2,  # 3 asked for
        approved_grades=[Grade.ST3_PLUS.value],  # FY2 and ST3+ asked for
        approved_window_start=start,
        approved_window_end=start + timedelta(hours=4),
        approved_scope="Majors only, night shift",
    )
    approved = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, decision)
    assert (approved.status, approved.current_tier) == (Status.APPROVED, None)
    assert approved.approved_doctors == 2 and approved.approved_grades == [Grade.ST3_PLUS]
    assert (approved.approved_window_start, approved.approved_window_end) == (start, start + timedelta(hours=4))
    assert approved.approved_scope == "Majors only, night shift"
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", approved.confirmation_ref)
    assert approved.decided_at == approved.closed_at is not None
    last = audit_rows(at_bma.id)[-1]
    assert (last.action, last.actor_role, last.from_tier, last.to_status) == (
        Action.APPROVE,
        Role.BMA,
        Tier.BMA,
        Status.APPROVED,
    )
    assert last.details["approved_doctors"] == 2 and last.details["confirmation_ref"] == approved.confirmation_ref
    told = notifications_for(team[Role.REQUESTER], at_bma.id)
    assert any(n.kind == Action.APPROVE and "APPROVED" in n.message for n in told)


def test_an_approval_as_wide_as_the_request_is_fine(team, at_bma):
    approved = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, bma_approval(at_bma))
    assert approved.approved_doctors == at_bma.doctors_requested
    assert approved.approved_grades == at_bma.grades_requested


def test_confirmation_references_are_unique(team, period):
    refs = set()
    for _ in range(3):
        request = escalate_to(team, file_request(team, period), Tier.BMA)
        refs.add(
            workflow.bma_decide(team[Role.BMA], request.id, request.version, bma_approval(request)).confirmation_ref
        )
    assert len(refs) == 3


def test_an_approval_can_never_be_wider_than_the_request(team, at_bma):
    before, after = at_bma.window_start - timedelta(minutes=1), at_bma.window_end + timedelta(minutes=1)
    wider = [
        ({"approved_doctors": at_bma.doctors_requested + 1}, "approved_doctors", "more doctors than were asked for"),
        ({"approved_doctors": 0}, "approved_doctors", "1 or more"),
        ({"approved_doctors": None}, "approved_doctors", "1 or more"),
        ({"approved_grades": [Grade.FY1.value]}, "approved_grades", "only approve grades that were asked for"),
        ({"approved_grades": [Grade.ST3_PLUS.value, Grade.FY1.value]}, "approved_grades", "were asked for"),
        ({"approved_grades": []}, "approved_grades", "at least one grade"),
        ({"approved_grades": ["consultant"]}, "approved_grades", "at least one grade"),
        ({"approved_window_start": before}, "approved_window", "inside the window asked for"),
        ({"approved_window_end": after}, "approved_window", "inside the window asked for"),
        ({"approved_window_end": None}, "approved_window", "Enter the approved start and end."),
        ({"approved_window_end": at_bma.window_start}, "approved_window", "must end after it starts"),
        (
            {"approved_scope": "s" * (workflow.MAX_SCOPE + 1)},
            "approved_scope",
            f"{workflow.MAX_SCOPE:,} characters or fewer",
        ),
    ]
    for overrides, field, message in wider:
        with nothing_changes(at_bma.id), pytest.raises(ValidationFailed) as caught:
            workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, bma_approval(at_bma, **overrides))
        assert message in caught.value.errors[field], overrides


def test_the_bma_declines_with_a_reason(team, at_bma):
    declined = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, DECLINE)
    assert (declined.status, declined.current_tier, declined.confirmation_ref) == (Status.DECLINED, None, None)
    assert declined.approved_doctors is None
    last = audit_rows(at_bma.id)[-1]
    assert (last.action, last.rationale) == (Action.DECLINE, DECLINE.rationale)


def test_only_the_bma_approves_or_declines(team, at_bma):
    for role in OTHER_ROLES:
        for decision in (bma_approval(at_bma), DECLINE):
            with nothing_changes(at_bma.id), pytest.raises(PermissionDenied, match="Only the BMA approves or declines"):
                workflow.bma_decide(team[role], at_bma.id, at_bma.version, decision)
    with nothing_changes(at_bma.id), pytest.raises(NotFound):  # an administrator cannot even find it
        workflow.bma_decide(team[Role.ADMIN], at_bma.id, at_bma.version, bma_approval(at_bma))


def test_a_decision_is_made_once(team, staff, at_bma):
    """Two BMA reviewers decide at once: the second is told the request changed."""
    workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, DECLINE)
    colleague = staff.make(Role.BMA)
    with nothing_changes(at_bma.id), pytest.raises(StaleVersion):
        workflow.bma_decide(colleague, at_bma.id, at_bma.version, bma_approval(at_bma))
    current = reload(at_bma.id)
    with nothing_changes(at_bma.id), pytest.raises(NotAllowed, match="not waiting for review"):
        workflow.bma_decide(colleague, at_bma.id, current.version, bma_approval(at_bma))


def test_a_national_reviewer_who_joins_the_bma_cannot_decide_what_they_escalated(team, period):
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    with write_session() as session:
        moved = update_user(session, team[Role.NATIONAL_MDT].id, by=team[Role.ADMIN], role=Role.BMA)
    with (
        nothing_changes(request.id),
        pytest.raises(PermissionDenied, match="already acted on this request at the National MDT tier"),
    ):
        workflow.bma_decide(moved, request.id, request.version, bma_approval(request))


# ---------------------------------------------------------------- revocation


def _approved(team, at_bma):
    return workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, bma_approval(at_bma))


def test_the_bma_revokes_an_approval_and_the_trust_is_told(team, staff, at_bma):
    approved = _approved(team, at_bma)
    other_bma = staff.make(Role.BMA)
    revoked = workflow.revoke(
        other_bma, approved.id, approved.version, "New information: consultant cover found.", reasons=["facts_changed"]
    )
    assert (revoked.status, revoked.revoke_reason) == (Status.REVOKED, "New information: consultant cover found.")
    assert revoked.revoked_at is not None and revoked.confirmation_ref == approved.confirmation_ref
    last = audit_rows(at_bma.id)[-1]
    assert (last.action, last.from_status, last.to_status) == (Action.REVOKE, Status.APPROVED, Status.REVOKED)
    assert any(n.kind == Action.REVOKE for n in notifications_for(team[Role.REQUESTER], at_bma.id))


def test_only_the_bma_revokes(team, at_bma):
    approved = _approved(team, at_bma)
    for role in OTHER_ROLES:
        with nothing_changes(approved.id), pytest.raises(PermissionDenied, match="Only the BMA can revoke"):
            workflow.revoke(
                team[role], approved.id, approved.version, "Not theirs to revoke.", reasons=["facts_changed"]
            )
    with nothing_changes(approved.id), pytest.raises(NotFound):
        workflow.revoke(
            team[Role.ADMIN], approved.id, approved.version, "Not theirs to revoke.", reasons=["facts_changed"]
        )


def test_only_an_approval_can_be_revoked(team, period, at_bma):
    with nothing_changes(at_bma.id), pytest.raises(NotAllowed, match="Only an approved request can be revoked."):
        workflow.revoke(team[Role.BMA], at_bma.id, at_bma.version, "Too early.", reasons=["facts_changed"])
    declined = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, DECLINE)
    with nothing_changes(at_bma.id), pytest.raises(NotAllowed, match="Only an approved request can be revoked."):
        workflow.revoke(team[Role.BMA], declined.id, declined.version, "Already declined.", reasons=["facts_changed"])
    approved = _approved(team, escalate_to(team, file_request(team, period), Tier.BMA))
    revoked = workflow.revoke(
        team[Role.BMA], approved.id, approved.version, "New information.", reasons=["facts_changed"]
    )
    with nothing_changes(approved.id), pytest.raises(NotAllowed):
        workflow.revoke(team[Role.BMA], revoked.id, revoked.version, "Twice.", reasons=["facts_changed"])
    with nothing_changes(approved.id), pytest.raises(StaleVersion):
        workflow.revoke(team[Role.BMA], approved.id, approved.version, "From an old copy.", reasons=["facts_changed"])


# ---------------------------------------------------------------- harm after a decline


def test_harm_is_recorded_after_a_decline_and_kept_in_order(team, at_bma):
    declined = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, DECLINE)
    first = workflow.record_harm(
        team[Role.REQUESTER], declined.id, declined.version, "Delayed review of a septic patient."
    )
    second = workflow.record_harm(team[Role.REQUESTER], first.id, first.version, "Near miss on the ward round.")
    assert "Delayed review of a septic patient." in second.harm_report
    assert second.harm_report.index("septic") < second.harm_report.index("Near miss")
    assert second.status == Status.DECLINED  # recording harm does not change the outcome
    assert [r.action for r in audit_rows(at_bma.id)][-2:] == [Action.RECORD_HARM, Action.RECORD_HARM]


def test_harm_can_follow_a_decline_at_any_tier_or_a_revocation(team, period):
    request = file_request(team, period)
    not_eligible = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.DECLINE_CRITERIA,
        REASON,
        reasons=["evidence_missing"],
    )
    assert workflow.record_harm(team[Role.REQUESTER], request.id, not_eligible.version, "Harm noted.").harm_report
    approved = _approved(team, escalate_to(team, file_request(team, period), Tier.BMA))
    revoked = workflow.revoke(
        team[Role.BMA], approved.id, approved.version, "New information.", reasons=["facts_changed"]
    )
    assert workflow.record_harm(team[Role.REQUESTER], revoked.id, revoked.version, "Near miss.").harm_report


def test_harm_is_not_recorded_on_open_or_approved_requests(team, at_bma):
    with nothing_changes(at_bma.id), pytest.raises(NotAllowed, match="declined or revoked"):
        workflow.record_harm(team[Role.REQUESTER], at_bma.id, at_bma.version, "Too early.")
    approved = _approved(team, at_bma)
    with nothing_changes(at_bma.id), pytest.raises(NotAllowed, match="declined or revoked"):
        workflow.record_harm(team[Role.REQUESTER], approved.id, approved.version, "Approved, nothing to record.")


def test_only_the_trust_records_harm_and_the_record_cannot_overflow(team, staff, at_bma):
    declined = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, DECLINE)
    with nothing_changes(at_bma.id), pytest.raises(PermissionDenied):
        workflow.record_harm(team[Role.NATIONAL_MDT], declined.id, declined.version, "Not theirs.")
    elsewhere = staff.make(Role.REQUESTER, trust="RJ1")
    with nothing_changes(at_bma.id), pytest.raises(NotFound):
        workflow.record_harm(elsewhere, declined.id, declined.version, "Not theirs.")
    request = declined
    for _ in range(2):  # two full-length reports fit in the record ...
        request = workflow.record_harm(team[Role.REQUESTER], request.id, request.version, "h" * 3900)
    with nothing_changes(at_bma.id), pytest.raises(ValidationFailed) as caught:  # ... a third does not
        workflow.record_harm(team[Role.REQUESTER], request.id, request.version, "h" * 3900)
    assert "nearly full" in caught.value.errors["harm_report"]


def test_a_recall_window_that_has_already_passed_cannot_be_approved(team, period):
    """Approving a window that is over would tell doctors to return to shifts that have ended."""
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    after_window = request.window_end + timedelta(minutes=1)
    with nothing_changes(request.id), pytest.raises(ValidationFailed) as caught:
        workflow.bma_decide(team[Role.BMA], request.id, request.version, bma_approval(request), now=after_window)
    assert caught.value.errors == {"approved_window": "The approved window has already ended: decline instead."}
    # Part of the window still to come can be approved, and a decline is always possible.
    mid = request.window_start + (request.window_end - request.window_start) / 2
    approved = workflow.bma_decide(
        team[Role.BMA], request.id, request.version, bma_approval(request, approved_window_start=mid), now=mid
    )
    assert approved.approved_window_start == mid
