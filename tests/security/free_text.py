"""Every free-text field a person types into, called through core's commands with the same text: what each
one refuses, by field. Shared by the rules that hold for all of them (invisible characters, NHS numbers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from core import workflow
from core.accounts import admin
from core.enums import Action, BypassState, Mitigation, Role
from core.models import StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.errors import ValidationFailed
from core.request.form import SHAPED, TEXT_FIELDS, RequestForm
from tests.conftest import valid_form
from tests.security.world import approval, fingerprint, make_request

FREE_TEXT_FIELDS = tuple(name for name in TEXT_FIELDS if name not in SHAPED)


def refused(call: Callable[[], object], field: str) -> str:
    """The message `call` gives at `field` (it must refuse with ValidationFailed naming that field)."""
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert field in caught.value.errors, caught.value.errors
    return caught.value.errors[field]


def free_text_refusals(
    team: dict[Role, User], period: StrikePeriod, bad: str, form_fields: tuple[str, ...] = FREE_TEXT_FIELDS
) -> dict[str, str]:
    """The message of every free-text field given `bad` (and of the request form's `form_fields`): the
    request form's text and mitigation notes, answers, rationales of every tier and the BMA, comments, harm
    reports, the BMA's scope, the bypass's declaration, note, stand-down note and review, and a strike
    period's name. Each must refuse it, and nothing may be stored."""
    requester, bma, mdt = team[Role.REQUESTER], team[Role.BMA], team[Role.NATIONAL_MDT]
    more_info = make_request(team, period, "more_info")
    at_cd = make_request(team, period, "clinical_director")
    at_bma = make_request(team, period, "bma")
    approved = make_request(team, period, "approved")
    declined = make_request(team, period, "declined")
    mass = workflow.save_draft(requester, valid_form(period, mass_casualty=True))
    mass = workflow.submit(requester, mass.id, mass.version)
    before = fingerprint()
    messages = {}
    for name in form_fields:
        messages[name] = refused(
            lambda name=name: workflow.save_draft(requester, valid_form(period, **{name: bad})), name
        )
    note = {Mitigation.OTHER.value: {"tried": True, "note": bad}}
    key = f"mitigation.{Mitigation.OTHER.value}"
    messages[key] = refused(lambda: workflow.save_draft(requester, valid_form(period, mitigations=note)), key)
    answer = RequestForm.from_request(more_info)
    recalled = {"recalled_at": utcnow() - timedelta(minutes=5), "doctors": 1, "grades": ["FY2"]}
    recall = workflow.BypassRecall(**recalled, declared_by="Police major incident", note="")
    start = period.ends_at + timedelta(days=30)
    calls = {
        "answer": lambda: workflow.answer_more_info(requester, more_info.id, more_info.version, answer, bad),
        "rationale": lambda: workflow.review(
            team[Role.CLINICAL_DIRECTOR], at_cd.id, at_cd.version, Action.ESCALATE, bad
        ),
        "comment": lambda: workflow.add_comment(requester, at_cd.id, bad),
        "harm_report": lambda: workflow.record_harm(requester, declined.id, declined.version, bad),
        "bma rationale": lambda: workflow.bma_decide(bma, at_bma.id, at_bma.version, approval(at_bma, rationale=bad)),
        "approved_scope": lambda: workflow.bma_decide(
            bma, at_bma.id, at_bma.version, approval(at_bma, approved_scope=bad)
        ),
        "revoke": lambda: workflow.revoke(bma, approved.id, approved.version, bad, reasons=["facts_changed"]),
        "withdraw": lambda: workflow.withdraw(requester, at_cd.id, at_cd.version, bad),
        "declared_by": lambda: workflow.record_bypass(
            requester, mass.id, mass.version, workflow.BypassRecall(**recalled, declared_by=bad)
        ),
        "bypass note": lambda: workflow.record_bypass(
            requester, mass.id, mass.version, workflow.BypassRecall(**(vars(recall) | {"note": bad}))
        ),
        "stand-down note": lambda: workflow.stand_down(requester, mass.id, mass.version, utcnow(), bad),
        "bypass review": lambda: workflow.review_bypass(
            mdt, mass.id, mass.version, BypassState.JUSTIFIED, ["event_confirmed"], bad
        ),
        "period name": lambda: admin.save_period(
            team[Role.ADMIN], name=f"March {bad}", starts_at=start, ends_at=start + timedelta(days=2)
        ),
    }
    fields = {
        "comment": "comment",
        "harm_report": "harm_report",
        "answer": "answer",
        "approved_scope": "approved_scope",
    }
    fields |= {"declared_by": "declared_by", "bypass note": "note", "stand-down note": "note", "period name": "name"}
    for what, call in calls.items():
        messages[what] = refused(call, fields.get(what, "rationale"))
    assert fingerprint() == before
    return messages
