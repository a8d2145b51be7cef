"""docs/rules.md rule 5: a mass-casualty request alerts every tier at once, the BMA included, so the BMA can open it
from submission; it still acts only when the request reaches it."""

import pytest

from core import queries, workflow
from core.enums import Action, Role
from core.platform.errors import NotAllowed, NotFound
from core.request.form import RequestForm
from tests.core.conftest import REASON, file_request, notifications_for


def test_bma_can_read_a_mass_casualty_request_from_submission_but_not_act(team, period):
    request = file_request(team, period, mass_casualty=True)
    bma = team[Role.BMA]
    assert notifications_for(bma, request.id), "the BMA is alerted at once"
    assert queries.request_record(bma, request.id).request.id == request.id
    with pytest.raises(NotAllowed):
        workflow.bma_decide(
            bma, request.id, request.version, workflow.BmaDecision(False, REASON, reasons=["evidence_missing"])
        )


def test_bma_still_cannot_see_an_ordinary_request_before_escalation(team, period):
    request = file_request(team, period)
    with pytest.raises(NotFound):
        queries.request_record(team[Role.BMA], request.id)
    workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON)
    with pytest.raises(NotFound):
        queries.request_record(team[Role.BMA], request.id)


def test_mass_casualty_declared_in_an_answer_alerts_every_tier(team, period):
    request = file_request(team, period)
    request = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON)
    request = workflow.review(
        team[Role.TRUST_MD], request.id, request.version, Action.RETURN_FOR_INFO, REASON, reasons=["evidence_missing"]
    )
    form = RequestForm.from_request(request)
    form.mass_casualty = True
    workflow.answer_more_info(team[Role.REQUESTER], request.id, request.version, form, "Major incident declared.")
    for role in (Role.CLINICAL_DIRECTOR, Role.REGIONAL_MD, Role.NATIONAL_MDT, Role.BMA):
        assert any("MASS CASUALTY" in n.message for n in notifications_for(team[role], request.id)), role
