"""The whole escalation route through core/, on each database."""

from core import workflow
from core.enums import Action, Role, Status, Tier
from tests.conftest import valid_form
from tests.core.conftest import bma_approval


def test_whole_route_to_bma_approval(team, period):
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period))
    request = workflow.submit(requester, draft.id, draft.version)
    assert (request.status, request.current_tier) == (Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
        request = workflow.review(
            team[role], request.id, request.version, Action.ESCALATE, "Escalating: risk confirmed."
        )
    assert request.current_tier == Tier.BMA
    decision = bma_approval(request, approved_doctors=2, approved_grades=["ST3+"])
    request = workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
    assert request.status == Status.APPROVED
    assert request.approved_doctors == 2 and request.confirmation_ref
